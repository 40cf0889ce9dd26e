"""Drop folders on real folders with real recordings: each complete file becomes a call once, then moves to
processed/ or to failed/ with its reason; metadata from sidecars, a CSV manifest or the file's name; bad input
(half-written, twice the same, a sidecar that does not parse, removed, unknown rep, a full disk) loses nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from enable.auth.models import Role
from enable.calls.models import Call, CallStatus
from enable.db import utcnow
from enable.extensions import db
from enable.sources import folders
from enable.sources.models import CallParticipant, SourceFile, SourceStatus
from tests.calls.helpers import load_content
from tests.conftest import base_config
from tests.deals.makers import make_deal
from tests.small_disk import fill, mounted_tmpfs
from tests.sources.helpers import age, speech_wav

PATTERN = r"^(?P<email>[^_]+@[^_]+)__"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["DROP_REP_PATTERN"] = PATTERN
    return app_config


def _sources() -> dict[str, SourceFile]:
    db.session.expire_all()
    return {s.name: s for s in db.session.scalars(select(SourceFile).order_by(SourceFile.id))}


def _call(call_id: int | None) -> Call:
    assert call_id is not None
    call = db.session.get(Call, call_id)
    assert call is not None
    return call


def test_a_folder_of_recordings_becomes_calls_once_and_each_file_shows_its_fate(app, users, drop):
    with app.app_context():
        load_content()
        make_deal(external_id="D-7", name="Acme renewal", account="Acme")
        db.session.commit()
    speech_wav(drop / "a.wav", 0)
    (drop / "a.json").write_text(json.dumps({
        "title": "Acme discovery", "rep_email": "rep@example.test", "deal_external_id": "D-7",
        "date": "2026-03-01T14:30:00+01:00", "stage": "discovery", "language": "en", "speakers": 2,
        "participants": [{"email": "Anna@Acme.example", "name": "Anna Petrova"}, "Bob <bob@acme.example>"]}))
    speech_wav(drop / "manager@example.test__weekly.wav", 1)  # the rep from the file name
    speech_wav(drop / "c.wav", 0)  # the same bytes as a.wav
    speech_wav(drop / "d.wav", 2)
    (drop / "d.json").write_text('{\n  "title": "Broken",\n  "rep_email": "rep@example.test"\n  "stage": "x"\n}\n')
    speech_wav(drop / "e.wav", 3, age_s=None)  # being written right now
    speech_wav(drop / "f.wav", 4, age_s=None)
    (drop / "f.wav.done").write_text("")  # ... but its writer says it is complete
    (drop / "g.mp3").write_text("Meeting notes, not a recording.\n" * 40)
    age(drop / "g.mp3")
    speech_wav(drop / "h.wav", 5)
    (drop / "h.json").write_text(json.dumps({"rep_email": "nobody@example.test"}))
    (drop / "notes.txt").write_text("left alone")

    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        fates = {f.name: f.fate for f in report.files}
        assert fates == {"a.wav": "imported", "c.wav": "duplicate", "d.wav": "failed", "e.wav": "incomplete",
                         "f.wav": "unassigned", "g.mp3": "failed", "h.wav": "unassigned",
                         "manager@example.test__weekly.wav": "imported"}
        assert len(report.queue) == 4

        sources = _sources()
        a = _call(sources["a.wav"].call_id)
        assert (a.title, a.rep_id, a.deal.external_id, a.stage, a.language) == (
            "Acme discovery", users[Role.REP], "D-7", "discovery", "en")
        assert str(a.call_date) == "2026-03-01"
        people = db.session.scalars(select(CallParticipant).where(CallParticipant.call_id == a.id)).all()
        assert {(p.email, p.name) for p in people} == {("anna@acme.example", "Anna Petrova"),
                                                       ("bob@acme.example", "Bob")}
        assert _call(sources["manager@example.test__weekly.wav"].call_id).rep_id == users[Role.MANAGER]
        assert sources["c.wav"].call_id == a.id and "already call" in sources["c.wav"].reason
        assert "d.json line 4" in sources["d.wav"].reason
        assert sources["e.wav"].status == SourceStatus.WAITING and sources["e.wav"].call_id is None
        assert _call(sources["f.wav"].call_id).rep_id is None
        assert _call(sources["g.mp3"].call_id).status == CallStatus.FAILED
        assert "nobody@example.test" in sources["h.wav"].reason
        assert _call(sources["h.wav"].call_id).rep_id is None
        assert db.session.scalar(select(db.func.count()).select_from(Call)) == 5  # a, weekly, f, g (failed), h

    processed = sorted(p.name for p in (drop / "processed").iterdir())
    assert processed == ["a.json", "a.wav", "c.wav", "f.wav", "f.wav.done", "h.json", "h.wav",
                         "manager@example.test__weekly.wav"]
    failed = sorted(p.name for p in (drop / "failed").iterdir())
    assert failed == ["d.json", "d.wav", "d.wav.reason.txt", "g.mp3", "g.mp3.reason.txt"]
    assert "d.json line 4" in (drop / "failed" / "d.wav.reason.txt").read_text()
    assert sorted(p.name for p in drop.iterdir() if p.is_file() and not p.name.startswith(".")) == [
        "e.wav", "notes.txt"]

    with app.app_context():  # a minute later e.wav has not changed: it is complete now
        later = folders.scan_folder(drop, now=utcnow() + timedelta(seconds=60), queue=False)
        assert [(f.name, f.fate) for f in later.files] == [("e.wav", "unassigned")]
        assert _sources()["e.wav"].status == SourceStatus.UNASSIGNED
    assert (drop / "processed" / "e.wav").exists()


def test_a_file_still_growing_waits_and_a_file_removed_before_it_completes_is_reported(app, drop):
    path = speech_wav(drop / "growing.wav", 0, age_s=None)
    with app.app_context():
        folders.scan_folder(drop, queue=False)
        with path.open("ab") as out:
            out.write(b"\0" * 3200)
        report = folders.scan_folder(drop, now=utcnow() + timedelta(seconds=60), queue=False)
        assert [f.fate for f in report.files] == ["incomplete"]  # it grew: the wait starts again
        speech_wav(drop / "gone.wav", 1, age_s=None)
        folders.scan_folder(drop, queue=False)
        (drop / "gone.wav").unlink()
        folders.scan_folder(drop, now=utcnow() + timedelta(seconds=120), queue=False)
        sources = _sources()
        assert sources["growing.wav"].status == SourceStatus.UNASSIGNED
        assert sources["gone.wav"].status == SourceStatus.GONE
        assert "removed" in sources["gone.wav"].reason


def test_a_manifest_gives_metadata_and_one_that_does_not_parse_keeps_the_files_waiting(app, users, drop):
    speech_wav(drop / "one.wav", 0)
    speech_wav(drop / "two.wav", 1)
    (drop / "manifest.csv").write_text(  # line 2 has more values than the header: an unquoted ";"
        "file;title;rep email;participants\n"
        "one.wav;Call one;rep@example.test;Anna <anna@acme.example>; bob@acme.example\n")
    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        assert [(f.name, f.fate) for f in report.files] == [("one.wav", "waiting"), ("two.wav", "waiting")]
        assert "manifest.csv line 2" in report.files[0].reason
        assert _sources()["one.wav"].status == SourceStatus.WAITING
    assert (drop / "one.wav").exists() and (drop / "two.wav").exists()
    assert "manifest.csv line 2" in (drop / "manifest.csv.reason.txt").read_text()

    (drop / "manifest.csv").write_text(
        "file;title;rep email;participants;date\n"
        'one.wav;Call one;rep@example.test;"Anna <anna@acme.example>; bob@acme.example";01.03.2026\n'
        "two.wav;Call two;manager@example.test;;2026-03-02 10:00\n")
    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        assert [(f.name, f.fate) for f in report.files] == [("one.wav", "imported"), ("two.wav", "imported")]
        one, two = (_call(f.call_id) for f in report.files)
        assert (one.title, one.rep_id, one.call_date) == ("Call one", users[Role.REP], None)
        assert "date" in _sources()["one.wav"].reason  # 01.03.2026 is ambiguous: left out, and said so
        assert {p.email for p in db.session.scalars(select(CallParticipant).where(
            CallParticipant.call_id == one.id))} == {"anna@acme.example", "bob@acme.example"}
        assert (two.title, two.rep_id, str(two.call_date)) == ("Call two", users[Role.MANAGER], "2026-03-02")


@pytest.fixture
def full_media(tmp_path: Path):
    """MEDIA_DIR on a 1 MB tmpfs filled to the last byte (root only)."""
    with mounted_tmpfs(tmp_path / "media", "1m") as mount:
        (mount / ".incoming").mkdir()  # where uploads are written first
        filler = fill(mount)
        yield mount, filler


def test_a_full_disk_leaves_the_file_waiting_in_the_folder_and_the_watcher_goes_on(tmp_path, drop, full_media):
    from tests.conftest import made_app

    media, filler = full_media
    with made_app(base_config(tmp_path, DROP_DIRS=str(drop), MEDIA_DIR=media)) as app:
        speech_wav(drop / "big.wav", 0)
        with app.app_context():
            report = folders.scan_all()[0]
            assert [f.fate for f in report.files] == ["waiting"]
            assert "disk is full" in report.files[0].reason
            assert _sources()["big.wav"].status == SourceStatus.WAITING
        assert (drop / "big.wav").exists() and not (drop / "failed").exists()
        filler.unlink()
        with app.app_context():
            report = folders.scan_all()[0]
            assert [f.fate for f in report.files] == ["unassigned"]
        assert (drop / "processed" / "big.wav").exists()


def test_the_watcher_imports_and_transcribes_a_dropped_call(app, users, drop):
    """The worker's periodic job on the real pipeline: the dropped recording is a ready call with bites."""
    speech_wav(drop / "rep@example.test__intro.wav", 0)
    from enable.sources.jobs import watch_drop_folders

    with app.app_context():
        load_content()
        watch_drop_folders.call_local()
        source = _sources()["rep@example.test__intro.wav"]
        call = _call(source.call_id)
        assert call.status == CallStatus.READY, call.error
        assert call.bites and call.rep_id == users[Role.REP]
