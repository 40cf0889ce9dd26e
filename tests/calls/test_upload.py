"""Uploading recordings on the web: several files at once, refusing what is not media, duplicates, limits."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from tests.calls.helpers import AUDIO, hostile_files, load_content


@pytest.fixture
def app_config(app_config):
    # Uploads are queued, not processed: these tests need no speech model.
    app_config["JOBS_IMMEDIATE"] = False
    return app_config


@pytest.fixture
def content(app):
    with app.app_context():
        load_content()


def _upload(client, *paths, **fields):
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in paths]
    data = {"files": files, "title": "", "rep": "", "deal": "", "call_date": "", "stage": "", "language": ""}
    data.update(fields)
    return client.post("/calls/upload", data=data, content_type="multipart/form-data", follow_redirects=True)


def _calls(app) -> list[Call]:
    with app.app_context():
        return list(db.session.scalars(select(Call).order_by(Call.id)))


def test_upload_page_offers_the_details(login, content):
    page = login(Role.MANAGER).get("/calls/upload").get_data(as_text=True)
    labels = ("Recordings", "Title", "Rep", "Deal", "Call date", "Stage", "Language spoken", "Detect automatically")
    for label in labels:
        assert label in page
    assert 'multiple' in page and "Negotiation" in page


def test_a_batch_keeps_the_good_file_and_explains_each_refusal(app, login, content, tmp_path):
    bad = hostile_files(tmp_path / "bad")
    good = AUDIO / "short_en.ogg"
    response = _upload(login(Role.ENABLEMENT), bad["corrupt"], good, bad["empty"], bad["text"], stage="negotiation",
                       call_date="2026-03-02")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "corrupt.ogg was not accepted: This file is not audio or video we can read" in page
    assert "empty.wav is empty." in page
    assert "notes.mp3 was not accepted" in page
    assert "1 recording(s) uploaded" in page

    (call,) = _calls(app)
    assert call.status == CallStatus.QUEUED and call.stage == "negotiation" and str(call.call_date) == "2026-03-02"
    assert call.title == "short en" and call.original_filename == "short_en.ogg"
    sha = hashlib.sha256(good.read_bytes()).hexdigest()
    media = app.config["MEDIA_DIR"]
    assert call.sha256 == sha and call.media_path == f"{sha}.ogg"
    assert (media / call.media_path).read_bytes() == good.read_bytes()
    assert sorted(p.name for p in media.iterdir() if p.is_file()) == [f"{sha}.ogg"]  # nothing of the refused files
    assert list((media / ".incoming").iterdir()) == []
    assert call.duration_s == pytest.approx(8.3, abs=1.0) and call.channels == 1 and not call.has_video
    assert "short en" in page and "Queued" in page


def test_the_same_file_twice_yields_the_existing_call(app, login, content):
    client = login(Role.MANAGER)
    _upload(client, AUDIO / "short_en.ogg", title="Pricing call")
    page = _upload(client, AUDIO / "short_en.ogg", title="Another title").get_data(as_text=True)
    assert "short_en.ogg was uploaded before, as “Pricing call” (Queued)." in page
    calls = _calls(app)
    assert [c.title for c in calls] == ["Pricing call"]


def test_several_files_share_the_details_and_title(app, login, content, users):
    _upload(login(Role.ENABLEMENT), AUDIO / "short_en.ogg", AUDIO / "silence.ogg", title="Week 3",
            rep=str(users[Role.REP]), stage="discovery", language="en")
    calls = _calls(app)
    assert [c.title for c in calls] == ["Week 3 — short_en.ogg", "Week 3 — silence.ogg"]
    assert {(c.rep_id, c.stage, c.language) for c in calls} == {(users[Role.REP], "discovery", "en")}


def test_an_english_only_model_refuses_another_language(app, login, content):
    client = login(Role.ENABLEMENT)
    page = client.get("/calls/upload").get_data(as_text=True)
    assert "English" in page and "Русский" not in page  # tiny.en: only English or automatic is offered
    response = _upload(client, AUDIO / "short_en.ogg", language="ru")
    assert response.status_code == 422
    assert _calls(app) == []


def test_an_unknown_stage_is_refused(app, login, content):
    response = _upload(login(Role.ENABLEMENT), AUDIO / "short_en.ogg", stage="nonsense")
    assert response.status_code == 422
    assert _calls(app) == []


def test_choosing_no_file_explains_itself(app, login, content):
    response = _upload(login(Role.ENABLEMENT), title="x")
    assert response.status_code == 422
    assert "Choose at least one recording." in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_gets_the_413_page(app_config):
    from enable import create_app
    from tests.factories import PASSWORD, make_user

    app_config["MAX_UPLOAD_MB"] = 1
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
        make_user(role=Role.ENABLEMENT, email="lead@example.test")
        db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"email": "lead@example.test", "password": PASSWORD})
    big = AUDIO / "sales_dialogue.ogg"
    assert big.stat().st_size > 1024 * 1024
    response = _upload(client, big)
    assert response.status_code == 413
    assert "larger than the 1 MB limit" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call)) == 0
        db.engine.dispose()


def test_a_recording_longer_than_allowed_is_refused(app, login, content):
    app.config["MAX_CALL_MINUTES"] = 2
    page = _upload(login(Role.ENABLEMENT), AUDIO / "sales_dialogue.ogg").get_data(as_text=True)
    assert re.search(r"sales_dialogue.ogg lasts \d+ minutes; calls may last at most 2 minutes.", page)
    assert _calls(app) == []
