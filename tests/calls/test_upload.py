"""Uploading recordings on the web: several files at once, failing what is not media, duplicates, limits."""

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
def app_config(app_config, request):
    # Uploads are queued, not processed: these tests need no speech model.
    app_config["JOBS_IMMEDIATE"] = False
    app_config.update(getattr(request, "param", {}))
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


def test_the_deal_list_names_its_two_runs(app, login, content):
    """Open deals, then won or lost ones, each A-Z under a label: not two unlabelled A-Z runs."""
    from enable.deals.models import Deal, DealOutcome

    with app.app_context():
        for ext, name, outcome in [("D-1", "Zeta", DealOutcome.OPEN), ("D-2", "Alpha", DealOutcome.WON),
                                   ("D-3", "Beta", DealOutcome.OPEN), ("D-4", "Gamma", DealOutcome.LOST)]:
            db.session.add(Deal(external_id=ext, name=name, outcome=outcome))
        db.session.commit()
    page = login(Role.MANAGER).get("/calls/upload").get_data(as_text=True)
    select_html = re.search(r'<select id="deal".*?</select>', page, re.S).group()
    assert select_html.index("— no deal —") < select_html.index("<optgroup")
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select_html, re.S)
    assert [(label, re.findall(r">(\w+) \(D-", body)) for label, body in groups] == [
        ("Open deals", ["Beta", "Zeta"]), ("Won or lost deals", ["Alpha", "Gamma"])]


def test_a_batch_keeps_the_good_file_and_fails_each_bad_one_with_its_reason(app, login, content, tmp_path):
    bad = hostile_files(tmp_path / "bad")
    good = AUDIO / "short_en.ogg"
    response = _upload(login(Role.ENABLEMENT), bad["corrupt"], good, bad["empty"], bad["text"], stage="negotiation",
                       call_date="2026-03-02")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "corrupt.ogg was refused: This file is not audio or video we can read" in page
    assert "empty.wav was refused: The file is empty: it holds no recording." in page
    assert "notes.mp3 was refused: This file is not audio or video we can read" in page
    assert "1 recording uploaded" in page

    calls = {c.original_filename: c for c in _calls(app)}
    assert list(calls) == ["corrupt.ogg", "short_en.ogg", "empty.wav", "notes.mp3"]
    call = calls.pop("short_en.ogg")
    assert call.status == CallStatus.QUEUED and call.stage == "negotiation" and str(call.call_date) == "2026-03-02"
    assert call.title == "short en" and call.error is None
    sha = hashlib.sha256(good.read_bytes()).hexdigest()
    media = app.config["MEDIA_DIR"]
    assert call.sha256 == sha and call.media_path == f"{sha}.ogg"
    assert (media / call.media_path).read_bytes() == good.read_bytes()
    assert call.duration_s == pytest.approx(8.3, abs=1.0) and call.channels == 1 and not call.has_video
    # The others are calls too, failed with the reason; their bytes are kept under their SHA-256, never their name.
    for name, failed in calls.items():
        data = bad[{"corrupt.ogg": "corrupt", "empty.wav": "empty", "notes.mp3": "text"}[name]].read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert failed.status == CallStatus.FAILED and failed.stage == "negotiation"
        assert failed.sha256 == digest and failed.media_path == f"{digest}.bin"
        assert (media / failed.media_path).read_bytes() == data
        assert failed.duration_s is None and failed.content_type is None
    assert "This file is not audio or video we can read" in calls["corrupt.ogg"].error
    assert calls["empty.wav"].error == "The file is empty: it holds no recording."
    assert sorted(p.name for p in media.iterdir() if p.is_file()) == sorted(c.media_path for c in _calls(app))
    assert list((media / ".incoming").iterdir()) == []
    # The list shows every call with its state, and the reason of each failed one.
    assert "short en" in page and "Queued" in page and page.count('data-status="failed"') == 3
    assert page.count("This file is not audio or video we can read") >= 4  # 2 flashes + 2 rows


def test_a_file_that_is_not_media_is_listed_without_a_retry_that_cannot_help(app, login, content, tmp_path):
    notes = hostile_files(tmp_path)["text"]
    client = login(Role.ENABLEMENT)
    _upload(client, notes)
    (call,) = _calls(app)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Processing failed: This file is not audio or video we can read" in page
    assert 'id="call-media"' not in page  # no player for a file that is not a recording
    # The same bytes again: the existing call, not a copy.
    page = _upload(client, notes).get_data(as_text=True)
    assert "notes.mp3 was uploaded before, as “notes” (Failed)." in page
    assert len(_calls(app)) == 1
    # No Retry offered on the list or the page; asked anyway, it says why and changes nothing.
    for url in ("/calls/", f"/calls/{call.id}"):
        assert f'/calls/{call.id}/retry"' not in client.get(url).get_data(as_text=True)
    refused = client.post(f"/calls/{call.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "notes.mp3 is not a recording, so processing it again cannot help" in refused
    (again,) = _calls(app)
    assert again.status == CallStatus.FAILED and again.error == call.error and again.attempts == call.attempts


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


@pytest.mark.parametrize("app_config", [{"WHISPER_MODEL": "tiny.en"}], indirect=True)
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
    media = app.config["MEDIA_DIR"]
    assert [p for p in media.iterdir() if p.is_file()] == [] and list((media / ".incoming").iterdir()) == []


@pytest.mark.parametrize("fields", [{"call_date": "0001-01-01"}, {"call_date": "9999-12-31"},
                                    {"rep": "99999999999999999999999"}, {"deal": "²"}])
def test_upload_form_refuses_far_dates_and_ids_beyond_any_row_with_a_message(app, login, content, fields):
    response = _upload(login(Role.MANAGER), AUDIO / "short_en.ogg", **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    if "call_date" in fields:
        assert "Enter a date between 1900-01-01 and 2199-12-31." in html
    assert 'class="field has-error"' in html
    assert _calls(app) == []


def test_a_stored_reason_reads_in_the_readers_language_not_the_workers(app, login, content, tmp_path, users):
    """Issue 23: reasons were stored as text in the language of whoever stored them; now as a code and parameters."""
    bad = hostile_files(tmp_path)
    _upload(login(Role.ENABLEMENT), bad["empty"], bad["corrupt"])
    empty, corrupt = _calls(app)
    assert (empty.error_code, empty.error_params) == ("call.empty_file", None)
    assert empty.error == "The file is empty: it holds no recording."  # English beside it (logs, webhooks, API)
    assert corrupt.error_code == "call.unreadable" and corrupt.error_params["why"]
    reader = login(Role.ENABLEMENT)
    english = reader.get(f"/calls/{empty.id}").get_data(as_text=True)
    assert "Processing failed: The file is empty: it holds no recording." in english
    reader.post("/auth/settings", data={"locale": "ru"})
    page = reader.get(f"/calls/{empty.id}").get_data(as_text=True)
    assert "Ошибка обработки: Файл пустой: в нём нет записи." in page
    assert "Этот файл — не аудио и не видео" in reader.get(f"/calls/{corrupt.id}").get_data(as_text=True)
    assert "Файл пустой" in reader.get("/calls/").get_data(as_text=True)
    # A reason stored before codes still shows, as it was written.
    with app.app_context():
        old = db.session.get(Call, empty.id)
        old.error, old.error_code, old.error_params = "Ancient free-text reason.", None, None
        db.session.commit()
    assert "Ancient free-text reason." in reader.get(f"/calls/{empty.id}").get_data(as_text=True)


def test_every_reason_code_has_a_message_that_its_parameters_fill(app):
    from flask_babel import force_locale

    from enable import reasons

    samples = {"n": 3, "kind": "OSError", "why": "x", "host": "h", "cause": "c", "seconds": "10", "error": "e",
               "url": "https://example.test/", "code": 404}
    with app.test_request_context("/"):
        for code, message in reasons.MESSAGES.items():
            names = set(re.findall(r"%\((\w+)\)", message))
            why = reasons.reason(code, **{k: samples[k] for k in names})
            for locale in ("en", "ru"):
                with force_locale(locale):
                    shown = reasons.text(why.code, why.params, why.english)
                    assert shown and "%(" not in shown, (code, locale)
        with force_locale("ru"):
            assert reasons.text("link.not_found_redirect", {"url": "https://a.test/"}) == \
                "Не найдено (после перенаправления на https://a.test/)."
            assert reasons.text("link.ok", {"wrong": 1}, "stored text") == "stored text"  # params no longer fit
            assert reasons.text(None, None, "old text") == "old text"
