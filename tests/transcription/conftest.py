"""Fixtures for the transcription tests: test recordings, the shared real recordings, one model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from enable.transcription import Transcriber, decode_stereo

REPO = Path(__file__).resolve().parents[2]
DATA_AUDIO = REPO / "tests" / "data" / "audio"
SHARED_AUDIO = REPO.parent / "shared" / "audio"


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    """The folder of real recordings beside the repository; skips when a fresh clone lacks it."""
    if not (SHARED_AUDIO / "jfk.flac").is_file():
        pytest.skip(f"real recordings not found at {SHARED_AUDIO} (the audio tests need ../shared/audio)")
    return SHARED_AUDIO


@pytest.fixture(scope="session")
def dialogue_script() -> dict[str, Any]:
    """The script of the synthesized sales call: every line with speaker and start/end seconds."""
    return json.loads((DATA_AUDIO / "sales_dialogue.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def transcriber(tmp_path_factory: pytest.TempPathFactory) -> Transcriber:
    """One tiny.en Transcriber, loaded once, as a worker keeps it."""
    transcriber = Transcriber(cache_dir=tmp_path_factory.mktemp("models"))
    transcriber.load()
    return transcriber


@pytest.fixture(scope="session")
def dialogue_channels() -> tuple[np.ndarray, np.ndarray]:
    """Left (rep) and right (customer) samples of the synthesized call, decoded once."""
    return decode_stereo(DATA_AUDIO / "sales_dialogue.ogg")
