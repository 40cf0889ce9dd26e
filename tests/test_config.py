"""Settings come from the environment; the secret key is generated once and kept."""

from __future__ import annotations

import stat

import pytest

from enable.config import load_config


def test_defaults_live_in_the_data_folder(tmp_path):
    cfg = load_config(environ={"ENABLE_DATA_DIR": str(tmp_path)})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'enable.db'}"
    assert cfg["INDEX_DIR"] == tmp_path / "index" and cfg["QUEUE_PATH"] == tmp_path / "queue.db"
    assert cfg["WHISPER_MODEL"] == "auto" and cfg["MAX_CONTENT_LENGTH"] == 500 * 1024 * 1024
    assert cfg["TRANSCRIPTION_QUALITY"] == "fast" and cfg["TRANSCRIPTION_LANGUAGES"] == "en,ru"


def test_environment_overrides(tmp_path):
    cfg = load_config(environ={"ENABLE_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql+psycopg://x/y",
                               "MAX_UPLOAD_MB": "20", "WHISPER_MODEL": "base", "QUEUE_URL": "redis://r:6379/0",
                               "TRANSCRIPTS_DIR": str(tmp_path / "t"), "TRANSCRIPTION_QUALITY": "accurate",
                               "TRANSCRIPTION_LANGUAGES": "en,ru,de"})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://x/y"
    assert cfg["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024 and cfg["WHISPER_MODEL"] == "base"
    assert cfg["TRANSCRIPTS_DIR"] == tmp_path / "t" and cfg["QUEUE_URL"] == "redis://r:6379/0"
    assert cfg["TRANSCRIPTION_QUALITY"] == "accurate" and cfg["TRANSCRIPTION_LANGUAGES"] == "en,ru,de"


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = load_config(environ={"ENABLE_DATA_DIR": str(tmp_path)})["SECRET_KEY"]
    second = load_config(environ={"ENABLE_DATA_DIR": str(tmp_path)})["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_secret_key_from_the_environment_wins(tmp_path):
    cfg = load_config(environ={"ENABLE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 40})
    assert cfg["SECRET_KEY"] == "x" * 40 and not (tmp_path / "secret_key").exists()


def test_an_unknown_transcription_quality_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="TRANSCRIPTION_QUALITY must be fast or accurate"):
        load_config(environ={"ENABLE_DATA_DIR": str(tmp_path), "TRANSCRIPTION_QUALITY": "best"})
