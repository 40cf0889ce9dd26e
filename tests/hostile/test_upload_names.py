"""Uploaded file names with `../`, NUL bytes, very long names or any Unicode are stored safely: the file lives in
MEDIA_DIR under its SHA-256, the name is kept only as display text and shown escaped."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import select

from enable.auth.models import Role
from enable.calls.models import Call
from enable.extensions import db

NAMES = {
    "../../../outside.ogg": "outside.ogg",
    "/etc/passwd": "passwd",
    "evil\x00name.ogg": "evilname.ogg",
    "bell\x07and\ttab.ogg": "bellandtab.ogg",
    "x" * 1000 + ".ogg": ("x" * 1000 + ".ogg")[-255:],
    "звонок 😀 تماس\u200cها.ogg": "звонок 😀 تماس\u200cها.ogg",
    "<img src=x onerror=alert(1)>.ogg": "<img src=x onerror=alert(1)>.ogg",
    "e\u0301cole.ogg": "\u00e9cole.ogg",  # NFC
}


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False
    return app_config


def test_hostile_file_names_are_stored_safely_and_shown_escaped(app, login, tmp_path):
    client = login(Role.ENABLEMENT)
    files = [(io.BytesIO(os.urandom(2048)), name) for name in NAMES]  # not media: each stored as a failed call
    response = client.post("/calls/upload", data={"files": files, "title": "", "rep": "", "deal": "",
                                                  "call_date": "", "stage": "", "language": ""},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    media = app.config["MEDIA_DIR"]
    with app.app_context():
        stored = list(db.session.scalars(select(Call).order_by(Call.id)))
        assert sorted(c.original_filename for c in stored) == sorted(NAMES.values())
        for call in stored:
            assert "\x00" not in call.title and "/" not in call.media_path and ".." not in call.media_path
            assert call.media_path == f"{call.sha256}.bin"
            assert (media / call.media_path).is_file()
    # Nothing was written anywhere but the media folder
    assert not (tmp_path / "outside.ogg").exists() and not (media.parent / "outside.ogg").exists()
    assert sorted(p.name for p in media.rglob("*") if p.is_file()) == sorted(c.media_path for c in stored)
    page = client.get("/calls/").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.ogg" in page
    assert "звонок 😀 تماس\u200cها.ogg" in page
    detail = client.get(f"/calls/{stored[0].id}").get_data(as_text=True)
    assert "outside.ogg" in detail and "../" not in detail
