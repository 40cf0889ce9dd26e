"""Drop folders against a hostile or awkward share, on real folders and files: symbolic links are never followed
(nothing outside the folder is read or overwritten), a file that cannot be moved out is not imported again every
minute, a name that is not UTF-8 (cp1251 from an SMB share) is imported, and recordings sharing a stem do not share
a sidecar."""

from __future__ import annotations

import json
import os

from sqlalchemy import func, select

from enable.auth.models import Role
from enable.calls.models import Call
from enable.extensions import db
from enable.sources import folders
from enable.sources.models import SourceFile, SourceStatus
from tests.sources.helpers import age, speech_m4a, speech_wav


def _calls() -> int:
    return db.session.scalar(select(func.count()).select_from(Call)) or 0


def test_a_reason_file_that_is_a_symlink_is_not_followed(app, users, drop, tmp_path):
    victim = tmp_path / "victim.db"
    victim.write_text("PRECIOUS DATA")
    speech_wav(drop / "one.wav", 0)
    (drop / "manifest.csv").write_text("file;title\none.wav;a;b;c\n")  # does not parse: its reason is written
    os.symlink(victim, drop / "manifest.csv.reason.txt")
    (drop / "failed").mkdir()
    (drop / "two.mp3").write_text("not audio\n" * 50)
    os.utime(drop / "two.mp3", (1, 1))
    os.symlink(victim, drop / "failed" / "two.mp3.reason.txt")
    with app.app_context():
        folders.scan_folder(drop, queue=False)
    assert victim.read_text() == "PRECIOUS DATA"


def test_a_symlinked_recording_or_sidecar_is_not_imported(app, users, drop, tmp_path):
    outside = speech_wav(tmp_path / "private" / "secret.wav", 3)
    secret_meta = tmp_path / "private" / "meta.json"
    secret_meta.write_text(json.dumps({"title": "SECRET TITLE"}))
    os.symlink(outside, drop / "link.wav")
    speech_wav(drop / "real.wav", 0)
    os.symlink(secret_meta, drop / "real.json")
    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        assert [f.name for f in report.files] == ["real.wav"]  # the link is no recording
        call = db.session.get(Call, report.files[0].call_id)
        assert call is not None and call.title != "SECRET TITLE"
        assert _calls() == 1
    assert (drop / "link.wav").is_symlink() and outside.exists()


def test_a_symlinked_processed_folder_is_refused_with_a_reason_on_the_sources_page(app, users, drop, tmp_path,
                                                                                    login):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, drop / "processed")
    speech_wav(drop / "one.wav", 0)
    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        assert "symbolic link" in (report.files[0].reason or "")
        again = folders.scan_folder(drop, queue=False)  # not imported again either
        assert [f.call_id for f in again.files] == [None]
        assert _calls() == 1
    assert list(elsewhere.iterdir()) == []
    assert (drop / "one.wav").is_file()
    page = login(Role.ENABLEMENT).get("/sources/").get_data(as_text=True)
    assert "symbolic link" in page


def test_a_file_that_cannot_be_moved_is_not_imported_again_every_scan(app, users, drop):
    speech_wav(drop / "one.wav", 0)
    (drop / "processed").write_text("not a folder")
    with app.app_context():
        for _ in range(3):
            folders.scan_folder(drop, queue=False)
        assert db.session.scalar(select(func.count()).select_from(SourceFile)) == 1
        assert _calls() == 1
        source = db.session.scalars(select(SourceFile)).one()
        assert source.status == SourceStatus.UNASSIGNED and "could not be moved" in (source.reason or "")
    (drop / "processed").unlink()
    speech_wav(drop / "one.wav", 2)  # other bytes under the same name: a new recording, imported and moved
    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        assert report.files[0].call_id is not None and _calls() == 2
    assert (drop / "processed" / "one.wav").is_file()


def test_a_failed_file_moved_back_after_its_fix_is_imported(app, users, drop):
    speech_wav(drop / "a.wav", 0)
    (drop / "a.json").write_text('{"title": "x",,}')
    with app.app_context():
        assert folders.scan_folder(drop, queue=False).files[0].fate == "failed"
    os.replace(drop / "failed" / "a.wav", drop / "a.wav")  # the same size and time
    (drop / "failed" / "a.json").unlink()
    (drop / "a.json").write_text('{"title": "Fixed"}')
    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        assert report.files[0].call_id is not None


def test_a_name_that_is_not_utf8_is_imported_and_shown_readably(app, users, drop, login):
    raw = os.fsdecode(b"\xc7\xe2\xee\xed\xee\xea.wav")  # "Звонок.wav" in cp1251, as an SMB share may give it
    speech_wav(drop / raw, 0)
    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        assert report.files[0].call_id is not None
        assert report.files[0].name == "\ufffd" * 6 + ".wav"
        assert db.session.scalars(select(SourceFile)).one().status == SourceStatus.UNASSIGNED
        folders.scan_folder(drop, queue=False)
        assert _calls() == 1
    assert os.listdir(drop / "processed") == [raw]
    assert login(Role.ENABLEMENT).get("/sources/").status_code == 200


def test_recordings_sharing_a_stem_need_their_own_sidecar(app, users, drop):
    speech_wav(drop / "a.wav", 0)
    age(speech_m4a(drop / "a.m4a", 1))
    (drop / "a.json").write_text(json.dumps({"title": "Whose?"}))
    (drop / "a.m4a.json").write_text(json.dumps({"title": "The m4a"}))
    speech_wav(drop / "b.wav", 2)
    (drop / "b.json").write_text(json.dumps({"title": "Only b"}))  # one recording of that stem: the stem form works
    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        titles = {f.name: db.session.get(Call, f.call_id).title for f in report.files if f.call_id}
    assert titles["a.m4a"] == "The m4a"
    assert titles["a.wav"] != "Whose?"
    assert titles["b.wav"] == "Only b"
    assert (drop / "a.json").exists()  # belongs to neither: left in the folder
