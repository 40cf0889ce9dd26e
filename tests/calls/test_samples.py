"""The sample calls that ship with Enable import for the demo without the speech model, once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from enable.calls.models import Call, CallStatus
from enable.calls.samples import SAMPLES_DIR, load_sample_calls
from enable.demo import ensure_demo_users
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.indexing import get_index
from tests.calls.helpers import SAMPLES, load_content


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False
    return app_config


def test_samples_ship_audio_transcript_and_captions():
    for slug in SAMPLES:
        assert (SAMPLES_DIR / f"{slug}.ogg").stat().st_size < 1_000_000
        assert (SAMPLES_DIR / f"{slug}.json").is_file() and (SAMPLES_DIR / f"{slug}.vtt").is_file()


def test_demo_step_imports_the_samples_once(app):
    with app.app_context():
        load_content()
        users = ensure_demo_users()
        db.session.commit()
        message = load_sample_calls(users, today=date(2026, 5, 10))
        assert message == "3 sample calls imported, 0 already there"
        calls = list(db.session.scalars(select(Call).order_by(Call.id)))
        assert [c.status for c in calls] == [CallStatus.READY] * 3
        assert {c.stage for c in calls} == {"negotiation", "discovery", "closing"}
        assert calls[0].rep.email == "rep@example.test" and calls[0].call_date == date(2026, 5, 4)
        assert all(len(c.bites) >= 1 and c.stats["talk_ratio"] for c in calls)
        index = get_index()
        assert index.search(SearchQuery(filters={"objection": ["price"]})).total == 1
        assert index.search(SearchQuery(filters={"objection": ["authority"]})).total == 1
        assert index.search(SearchQuery(text="Salesforce")).total >= 1
        count = index.count()

        assert load_sample_calls(users) == "0 sample calls imported, 3 already there"
        assert len(db.session.scalars(select(Call)).all()) == 3 and index.count() == count
