"""How many people talk on a call, given at upload (form, API, CLI) or by a meeting's metadata: stored on the call,
refused out of range (the diarization itself: tests/pipeline/test_speakers_pipeline.py)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from enable.api import tokens
from enable.auth.models import Role, User
from enable.calls import services as calls
from enable.calls.models import Call
from enable.errors import UserError
from enable.extensions import db
from tests.calls.helpers import AUDIO, load_content


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False  # uploads are queued, not transcribed
    return app_config


@pytest.fixture
def content(app):
    with app.app_context():
        load_content()


def _counts(app) -> list[int | None]:
    with app.app_context():
        return list(db.session.scalars(select(Call.expected_speakers).order_by(Call.id)))


def _upload(client, speakers: str, name: str = "short_en.ogg"):
    data = {"files": [(io.BytesIO((AUDIO / name).read_bytes()), name)], "title": "", "rep": "", "deal": "",
            "call_date": "", "stage": "", "language": "", "quality": "", "speakers": speakers}
    return client.post("/calls/upload", data=data, content_type="multipart/form-data", follow_redirects=True)


def test_the_upload_form_offers_automatic_and_one_to_six_speakers(app, login, content):
    client = login(Role.MANAGER)
    page = client.get("/calls/upload").get_data(as_text=True)
    assert 'name="speakers"' in page and "Speakers on the call" in page and "Find automatically" in page
    assert '<option value="6">6</option>' in page and '<option value="7">' not in page
    assert _upload(client, "3").status_code == 200
    assert _upload(client, "", "silence.ogg").status_code == 200
    assert _counts(app) == [3, None]
    refused = _upload(client, "7", "sales_dialogue.ogg")
    assert refused.status_code == 422 and "from 1 to 6" in refused.get_data(as_text=True)
    assert _counts(app) == [3, None]


def test_the_api_and_cli_take_a_number_of_speakers(app, runner, content, users):
    taken = runner.invoke(args=["calls", "ingest", str(AUDIO / "short_en.ogg"), "--speakers", "2"])
    assert taken.exit_code == 0, taken.output
    assert runner.invoke(args=["calls", "ingest", str(AUDIO / "silence.ogg"), "--speakers", "9"]).exit_code != 0
    with app.app_context():
        _row, token = tokens.create_token(db.session.get(User, users[Role.MANAGER]), name="t",
                                          scope=tokens.TokenScope.READ_WRITE)
        db.session.commit()
    client = app.test_client()

    def post(speakers: str):
        return client.post("/api/v1/calls", headers={"Authorization": f"Bearer {token}"},
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO((AUDIO / "silence.ogg").read_bytes()), "s.ogg"),
                                 "speakers": speakers})

    for bad in ("0", "7", "two", "99999999999"):
        refused = post(bad)
        assert refused.status_code in (400, 422), bad
        assert refused.get_json()["error"]["message"]
    assert _counts(app) == [2]
    assert post("auto").status_code == 201
    assert _counts(app) == [2, None]


def test_metadata_sets_the_number_through_the_service(app, content):
    with app.app_context():
        call = calls.accept_file(AUDIO / "short_en.ogg", calls.CallDetails(speakers=4)).call
        assert call.expected_speakers == 4
        calls.set_expected_speakers(call, "auto")
        assert call.expected_speakers is None
        calls.set_expected_speakers(call, 2)
        assert call.expected_speakers == 2
        for bad in (0, 7, "2.5", True, "-1"):
            with pytest.raises(UserError, match="from 1 to 6"):
                calls.expected_speakers(bad)
        assert calls.expected_speakers(" 5 ") == 5 and calls.expected_speakers(None) is None
