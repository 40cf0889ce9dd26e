"""The sources pages: every file's fate in a table (name, folder, status, reason, call), the calls waiting for a
rep, and enablement assigning one; `flask calls import-folder` with a dry run and its progress."""

from __future__ import annotations

import json

from sqlalchemy import select

from enable.auth.models import Role
from enable.calls.models import Call
from enable.extensions import db
from enable.sources import folders
from enable.sources.models import SourceFile, SourceStatus
from tests.sources.helpers import speech_wav


def test_the_sources_page_shows_each_files_fate_and_enablement_assigns_a_rep(app, users, drop, login):
    speech_wav(drop / "no-rep.wav", 0)
    speech_wav(drop / "broken.wav", 1)
    (drop / "broken.json").write_text("{\n  \"title\": <b>oops</b>\n}\n")
    with app.app_context():
        folders.scan_folder(drop, queue=False)
    client = login(Role.ENABLEMENT)
    page = client.get("/sources/").get_data(as_text=True)
    assert "no-rep.wav" in page and "Waiting for a rep" in page
    assert "broken.wav" in page and "Failed" in page and "broken.json line 2" in page
    assert str(drop) in page
    failed_only = client.get("/sources/?status=failed").get_data(as_text=True)
    assert "broken.wav" in failed_only and "no-rep.wav" not in failed_only
    assert client.get("/sources/?status=nonsense&page=2").status_code == 200

    progress = "Recordings that arrived by themselves: 0 of 1 calls processed, 0.0 of 0.0 hours of audio."
    assert progress in page and progress in client.get("/calls/").get_data(as_text=True)
    assert progress not in login(Role.REP).get("/calls/").get_data(as_text=True)

    waiting = client.get("/sources/unassigned").get_data(as_text=True)
    assert "no-rep.wav" in waiting
    with app.app_context():
        source = db.session.scalar(select(SourceFile).where(SourceFile.name == "no-rep.wav"))
        source_id, call_id = source.id, source.call_id
    assert client.post(f"/sources/{source_id}/assign", data={"rep": "999999"}).status_code == 302  # not a choice
    with app.app_context():
        assert db.session.get(Call, call_id).rep_id is None
    response = client.post(f"/sources/{source_id}/assign", data={"rep": str(users[Role.REP])})
    assert response.status_code == 302
    assert "no-rep.wav" not in client.get("/sources/unassigned").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Call, call_id).rep_id == users[Role.REP]
        assert db.session.get(SourceFile, source_id).status == SourceStatus.IMPORTED
    assert client.post("/sources/999999/assign", data={"rep": str(users[Role.REP])}).status_code == 404


def test_import_folder_dry_run_changes_nothing_then_imports_with_progress(app, runner, drop):
    speech_wav(drop / "one.wav", 0)
    speech_wav(drop / "two.wav", 1)
    (drop / "two.json").write_text(json.dumps({"rep_email": "nobody@example.test", "title": "Second"}))
    dry = runner.invoke(args=["calls", "import-folder", str(drop), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "[2/2] two.wav: would import: No user has the rep's email nobody@example.test." in dry.output
    assert "dry run: nothing changed" in dry.output
    assert sorted(p.name for p in drop.iterdir() if not p.name.startswith(".")) == ["one.wav", "two.json", "two.wav"]
    with app.app_context():
        assert db.session.scalar(select(SourceFile)) is None

    result = runner.invoke(args=["calls", "import-folder", str(drop), "--wait"])
    assert result.exit_code == 0, result.output
    assert "[1/2] one.wav: unassigned (call 1)" in result.output
    assert "2 unassigned; 0.00 h of audio" in result.output or "2 unassigned; 0.01 h of audio" in result.output
    assert "2/2 files done" in result.output and "left" in result.output
    assert sorted(p.name for p in (drop / "processed").iterdir()) == ["one.wav", "two.json", "two.wav"]
    with app.app_context():
        titles = sorted(c.title for c in db.session.scalars(select(Call)))
        assert titles == ["Second", "one"]
