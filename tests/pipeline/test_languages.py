"""The whole pipeline with the default configuration on a real call that changes language (English, then German):
each part transcribed in its language, the German part marked as outside the supported set and never tagged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from enable import create_app, pipeline
from enable.bites.models import Bite
from enable.calls import services as calls
from enable.calls.models import CallStatus
from enable.extensions import db
from tests.calls.helpers import AUDIO, call_of, load_content
from tests.conftest import SHARED_AUDIO, base_config

pytestmark = pytest.mark.slow


def _ingest(tmp_path, **config) -> tuple[object, int]:
    if not (SHARED_AUDIO / "multilingual.mp3").is_file():
        pytest.skip(f"real recordings not found at {SHARED_AUDIO} (the audio tests need ../shared/audio)")
    app = create_app(base_config(tmp_path, **config))
    with app.app_context():
        db.create_all()
        load_content()
        call = calls.accept_file(SHARED_AUDIO / "multilingual.mp3", calls.CallDetails()).call
        db.session.commit()
        pipeline.ingest_call(call.id)
        return app, call.id


def _detected_tags(app, call_id: int) -> list[tuple[str, float]]:
    with app.app_context():
        bites = db.session.scalars(select(Bite).where(Bite.call_id == call_id)).all()
        return [(row.tag.key, row.at_s or 0.0) for bite in bites for row in bite.tags]


@pytest.mark.audio
def test_the_german_part_is_transcribed_in_german_marked_and_not_tagged(tmp_path):
    app, call_id = _ingest(tmp_path)
    with app.app_context():
        call = call_of(call_id)
        assert call.status == CallStatus.READY, call.error
        assert call.detected_language == "en" and call.model == "tiny.en+base"
        transcript = calls.read_transcript(call_id)
    german = [s for s in transcript.segments if s.language == "de"]
    assert german and all(s.unsupported_language for s in german)
    assert "software" in " ".join(s.text for s in german).casefold()
    german_from = min(s.start for s in german)
    # no tag from the German part (tiny.en alone heard it as English and tagged the competitor "Seismic" at 34.8 s)
    assert all(at < german_from for _key, at in _detected_tags(app, call_id))


def test_a_call_asking_for_accuracy_has_its_english_heard_by_the_multilingual_model(tmp_path):
    app = create_app(base_config(tmp_path))
    with app.app_context():
        db.create_all()
        load_content()
        call = calls.accept_file(AUDIO / "short_en.ogg", calls.CallDetails(quality="accurate")).call
        db.session.commit()
        pipeline.ingest_call(call.id)
        call = call_of(call.id)
        assert call.status == CallStatus.READY, call.error
        assert call.model == "base" and call.detected_language == "en"
        assert "too expensive" in calls.read_transcript(call.id).text.casefold()
