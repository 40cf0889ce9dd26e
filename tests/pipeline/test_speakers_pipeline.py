"""A one-channel call through the whole pipeline gets its speakers by voice; a broken speaker model loses no call."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import pytest

from enable.auth.models import Role
from enable.calls import services as calls
from enable.calls.models import CallStatus
from enable.extensions import db
from enable.pipeline import ingest_call
from tests.calls.helpers import call_of, ingest_recording
from tests.conftest import base_config, made_app

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mono_call(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-second one-channel call of two synthesized voices."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed to synthesize the test voices (apt-get install espeak-ng sox)")
    from synth_speakers import synthesize_conversation

    path = tmp_path_factory.mktemp("mono") / "mono_call.wav"
    synthesize_conversation(path, voices=2, language="en", seconds=40, seed=2)
    return path


def test_a_one_channel_call_shows_two_speakers_and_their_figures(app, login, mono_call):
    call_id = ingest_recording(app, mono_call)
    with app.app_context():
        call = call_of(call_id)
        assert call.status == CallStatus.READY, call.error
        transcript = calls.read_transcript(call_id)
        assert transcript.speakers == ["speaker1", "speaker2"]
        assert all(w.speaker in ("speaker1", "speaker2") for w in transcript.words())
        assert all(len({w.speaker for w in s.words}) == 1 for s in transcript.segments)
        assert set(call.stats["talk_ratio"]) == {"speaker1", "speaker2"}
        assert set(call.stats["interruptions"]) == {"speaker1", "speaker2"}
        bite_id = call.bites[0].id
    page = login(Role.MANAGER).get(f"/calls/{call_id}").get_data(as_text=True)
    assert "Speaker 1:" in page and "Speaker 2:" in page
    assert "Interruptions" in page and "Patience" in page
    bite = login(Role.MANAGER).get(f"/bites/{bite_id}").get_data(as_text=True)
    assert "Speaker 1" in bite


def test_a_corrupt_speaker_model_leaves_the_call_transcribed_without_speakers(tmp_path, mono_call, caplog):
    broken = tmp_path / "campplus.onnx"
    broken.write_bytes(b"\x08\x07garbage" * 64)
    with made_app(base_config(tmp_path, SPEAKER_MODEL=str(broken))) as app:
        with caplog.at_level(logging.ERROR, logger="enable.pipeline"):
            call_id = ingest_recording(app, mono_call)
        with app.app_context():
            call = call_of(call_id)
            assert call.status == CallStatus.READY, call.error
            transcript = calls.read_transcript(call_id)
            assert transcript.segments and transcript.speakers == []
            assert all(w.speaker is None for w in transcript.words())
    assert any("without speakers" in r.getMessage() and "Could not load the speaker model" in r.getMessage()
               for r in caplog.records)


def test_the_heartbeat_goes_on_while_the_voices_are_told_apart(app, mono_call, monkeypatch):
    """Telling voices apart decodes the whole recording again; the worker's heartbeat must move through it, or a
    long one-channel call looks abandoned (its retry offered, its job queued again) while it is worked on."""
    from enable import pipeline

    monkeypatch.setattr(pipeline, "HEARTBEAT_S", 0.0)
    events: list[str] = []
    label = pipeline.label_speakers_with_voices

    def label_seen(*args, **kwargs):
        events.append("voices")
        try:
            return label(*args, **kwargs)
        finally:
            events.append("voices done")

    monkeypatch.setattr(pipeline, "label_speakers_with_voices", label_seen)
    with app.app_context():
        call = calls.accept_file(mono_call, calls.CallDetails()).call
        db.session.commit()
        beats = []
        watched = pipeline._advance

        def advance_seen(call_id, **values):
            if "progress" in values and "voices" in events and "voices done" not in events:
                beats.append(values)
            return watched(call_id, **values)

        monkeypatch.setattr(pipeline, "_advance", advance_seen)
        ingest_call(call.id, progress=lambda status, share: events.append(status))
        assert call_of(call.id).status == CallStatus.READY
    during = events[events.index("voices") + 1 : events.index("voices done")]
    assert during.count("transcribing") >= 2 and len(beats) >= 2


@pytest.fixture(scope="module")
def three_voices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60-second one-channel call of three synthesized voices."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed to synthesize the test voices (apt-get install espeak-ng sox)")
    from synth_speakers import synthesize_conversation

    path = tmp_path_factory.mktemp("three") / "three_voices.wav"
    synthesize_conversation(path, voices=3, language="en", seconds=60, seed=3)
    return path


def test_the_number_of_speakers_given_at_upload_is_the_number_found(app, login, three_voices):
    call_id = ingest_recording(app, three_voices, speakers="3")
    with app.app_context():
        call = call_of(call_id)
        assert call.status == CallStatus.READY, call.error
        assert call.expected_speakers == 3
        transcript = calls.read_transcript(call_id)
        assert transcript.speakers == ["speaker1", "speaker2", "speaker3"]
        assert set(call.stats["talk_ratio"]) == {"speaker1", "speaker2", "speaker3"}
    page = login(Role.MANAGER).get(f"/calls/{call_id}").get_data(as_text=True)
    assert "Speaker 3:" in page
