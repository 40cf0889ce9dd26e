"""A full disk, for real: the site's whole data folder on a 16 MB tmpfs, filled to the last byte. Uploads answer 507
with the reason (form and API), search goes on without its log, and a call whose index write fails is marked failed
with the reason once the database can take it, never left "indexing"; retried after space is freed, it is ready."""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from enable import create_app, deferred_writes, pipeline
from enable.api import tokens
from enable.auth.models import Role, User
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.queue import huey
from enable.search.index import SearchQuery
from enable.search.indexing import get_index
from enable.search.models import SearchLog
from tests.calls.helpers import AUDIO, call_of, ingest_sample, load_content, sample_transcript
from tests.conftest import base_config
from tests.factories import PASSWORD, make_user
from tests.small_disk import FILLER, mounted_tmpfs
from tests.small_disk import fill as fill_to_the_last_byte


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 16 MB tmpfs mounted for this test (root only), unmounted afterwards."""
    with mounted_tmpfs(tmp_path / "disk", "16m") as mount:
        yield mount


def fill(folder: Path, *, database_on_it: bool = True) -> None:
    """Write into `folder` until the filesystem has no byte left. The database's write-ahead log is emptied
    first, so that its next commit needs new space, as on a disk that filled up while the site ran."""
    if database_on_it:
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
    fill_to_the_last_byte(folder)


def free(folder: Path) -> None:
    (folder / FILLER).unlink()


@pytest.fixture
def site(small_disk):
    """A site with its database, media, index, transcripts and queue on the small disk: one ready call (searchable),
    one queued call, a manager signed in on the web, and an API token."""
    app = create_app(base_config(small_disk, JOBS_IMMEDIATE=False))
    with app.app_context():
        db.create_all()
        load_content()
        manager = make_user(role=Role.ADMIN, email="manager@example.test", name="Admin User")
        db.session.commit()
        ready = ingest_sample("demo-timing", title="Kept call")
        queued = calls.accept_file(AUDIO / "short_en.ogg", calls.CallDetails(title="Unlucky call")).call.id
        _token, secret = tokens.create_token(db.session.get(User, manager.id), name="it",
                                             scope=tokens.TokenScope.READ_WRITE)
        db.session.commit()
    web = app.test_client()
    assert web.post("/auth/login", data={"email": "manager@example.test", "password": PASSWORD}).status_code == 302
    try:
        yield app, web, {"Authorization": f"Bearer {secret}"}, ready, queued
    finally:
        with app.app_context():
            get_index().close()
            db.session.remove()
            db.engine.dispose()
        huey.storage.close()  # the job queue's database is on the small disk too


def _form(path: Path) -> dict:
    return {"files": [(io.BytesIO(path.read_bytes()), path.name)], "title": "", "rep": "", "deal": "",
            "call_date": "", "stage": "", "language": ""}


def test_an_upload_on_a_full_disk_answers_507_with_the_reason_and_keeps_nothing(site, small_disk):
    app, web, api, _ready, _queued = site
    recording = AUDIO / "silence.ogg"
    with app.app_context():
        fill(small_disk)
        calls_before = db.session.scalar(select(func.count(Call.id)))
    page = web.post("/calls/upload", data=_form(recording), content_type="multipart/form-data")
    assert page.status_code == 507
    html = page.get_data(as_text=True)
    assert "silence.ogg could not be stored: the server&#39;s disk is full." in html
    assert 'type="file"' in html  # the form again, to send the file once space is freed

    answer = web.post("/api/v1/calls", headers=api, data={"file": (io.BytesIO(recording.read_bytes()),
                                                                   "silence.ogg")},
                      content_type="multipart/form-data")
    assert answer.status_code == 507
    assert answer.get_json()["error"]["code"] == "insufficient_storage"
    assert "disk is full" in answer.get_json()["error"]["message"]

    with app.app_context():
        assert db.session.scalar(select(func.count(Call.id))) == calls_before
    assert list((small_disk / "data" / "media" / calls.INCOMING).glob("*.part")) == []

    free(small_disk)  # space again: the same upload goes through
    page = web.post("/calls/upload", data=_form(recording), content_type="multipart/form-data",
                    follow_redirects=True)
    assert page.status_code == 200 and "1 recording uploaded" in page.get_data(as_text=True)


def test_any_other_write_on_a_full_disk_answers_507_with_a_sentence(site, small_disk):
    """Saving a call's details: the database cannot take it; the answer says why, not "something went wrong"."""
    app, web, _api, ready, _queued = site
    with app.app_context():
        fill(small_disk)
    page = web.post(f"/calls/{ready}/edit", data={"title": "Renamed", "rep": "", "deal": "", "call_date": "",
                                                   "stage": ""})
    assert page.status_code == 507
    assert "The server&#39;s disk is full, so this could not be saved." in page.get_data(as_text=True)
    with app.app_context():
        assert call_of(ready).title == "Kept call"


def test_search_goes_on_without_its_log_on_a_full_disk(site, small_disk):
    app, web, api, ready, _queued = site
    with app.app_context():
        fill(small_disk)
    page = web.get("/search/?q=pilot")
    assert page.status_code == 200
    assert "<mark>pilot</mark>" in page.get_data(as_text=True)
    answer = web.get("/api/v1/bites?q=pilot", headers=api)
    assert answer.status_code == 200
    assert {row["bite"]["call_id"] for row in answer.get_json()["data"]} == {ready}
    free(small_disk)
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchLog.id))) == 0  # the log was dropped, nothing else
    assert web.get("/search/?q=pilot").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchLog.id))) == 1


def test_a_failed_index_write_fails_the_call_with_the_reason_then_a_retry_makes_it_ready(site, small_disk,
                                                                                          monkeypatch):
    """The disk fills just as the bites go to the index: neither the index nor the database can be written. The
    worker goes on; once space is freed the call shows failed with the reason (not "indexing" until a restart),
    and a retry makes it ready and searchable."""
    app, _web, _api, ready, queued = site
    monkeypatch.setattr(deferred_writes, "RETRY_S", 0.2)

    def fill_before_indexing(status: str, _fraction: float) -> None:
        if status == CallStatus.INDEXING.value:
            fill(small_disk)

    with app.app_context():
        pipeline.ingest_call(queued, progress=fill_before_indexing,
                             transcript=sample_transcript("discovery-competitor"))
        assert call_of(queued).status == CallStatus.INDEXING  # the database cannot take the failure yet
        free(small_disk)
        deadline = time.monotonic() + 30
        while call_of(queued).status == CallStatus.INDEXING and time.monotonic() < deadline:
            time.sleep(0.1)
        call = call_of(queued)
        assert call.status == CallStatus.FAILED and call.claimed_by is None
        assert call.error == ("The search index could not be written: No space left on device. Free disk space or "
                              "fix the permissions of the index folder (INDEX_DIR), then retry the call.")
        assert {h.id for h in get_index().search(SearchQuery(per_page=50)).hits} == {b.id for b in call_of(ready).bites}

        calls.retry_call(call, None)
        db.session.commit()
        pipeline.ingest_call(queued, transcript=sample_transcript("discovery-competitor"))
        call = call_of(queued)
        assert call.status == CallStatus.READY and call.error is None
        indexed = {h.id for h in get_index().search(SearchQuery(per_page=50)).hits}
        assert indexed == {b.id for b in call.bites} | {b.id for b in call_of(ready).bites}


def test_a_backup_to_a_full_disk_fails_with_the_reason_and_leaves_nothing(app, small_disk):
    """The site's data is elsewhere; the backup goes to the small disk, which fills up while it is written."""
    with app.app_context():
        load_content()
        ingest_sample("demo-timing")
    fill(small_disk, database_on_it=False)
    target = small_disk / "enable-backup.zip"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 1
    assert f"The archive {target} could not be written: No space left on device. Nothing was left behind" \
        in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in small_disk.iterdir()) == [FILLER]


def test_a_full_job_queue_keeps_the_upload_and_queues_its_job_once_there_is_room(tmp_path, small_disk, monkeypatch):
    """Only the queue's database is on the small disk: the recording and its call are stored, the page says the job
    waits, and the job is queued as soon as there is room (not at the next restart)."""
    monkeypatch.setattr(deferred_writes, "RETRY_S", 0.2)
    queue_db = small_disk / "queue.db"
    app = create_app(base_config(tmp_path, JOBS_IMMEDIATE=False, QUEUE_PATH=queue_db))
    try:
        with app.app_context():
            db.create_all()
            load_content()
            make_user(role=Role.MANAGER, email="manager@example.test")
            db.session.commit()
        web = app.test_client()
        assert web.post("/auth/login", data={"email": "manager@example.test", "password": PASSWORD}).status_code == 302
        assert huey.pending_count() == 0
        with closing(sqlite3.connect(queue_db)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fill(small_disk, database_on_it=False)

        page = web.post("/calls/upload", data=_form(AUDIO / "short_en.ogg"), content_type="multipart/form-data",
                        follow_redirects=True)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "1 recording uploaded" in html
        assert "The server&#39;s disk is full, so 1 of them wait to be queued" in html
        with app.app_context():
            assert db.session.scalars(select(Call.status)).all() == [CallStatus.QUEUED]
        assert huey.pending_count() == 0

        free(small_disk)
        deadline = time.monotonic() + 30
        while deferred_writes.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert huey.pending_count() == 1
    finally:
        for thread in threading.enumerate():
            if thread.name == "deferred-writes":
                thread.join(timeout=10)
        huey.storage.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_full_transcripts_disk_fails_the_call_with_the_reason(tmp_path, small_disk):
    """Only the transcripts folder is on the small disk: the call fails with the reason and leaves no file."""
    app = create_app(base_config(tmp_path, JOBS_IMMEDIATE=False, TRANSCRIPTS_DIR=small_disk / "transcripts"))
    try:
        with app.app_context():
            db.create_all()
            load_content()
            call_id = calls.accept_file(AUDIO / "short_en.ogg", calls.CallDetails()).call.id
            db.session.commit()
            (small_disk / "transcripts").mkdir(exist_ok=True)
            fill(small_disk, database_on_it=False)
            pipeline.ingest_call(call_id, transcript=sample_transcript("discovery-competitor"))
            call = call_of(call_id)
            assert call.status == CallStatus.FAILED and call.claimed_by is None
            assert call.error.startswith("The transcript could not be saved: No space left on device. Free disk space")
            assert list((small_disk / "transcripts").iterdir()) == []
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_job_that_cannot_claim_its_call_on_a_full_disk_is_queued_again_once_there_is_room(site, small_disk,
                                                                                            monkeypatch):
    """The worker takes the job, but the database cannot take the claim: the job comes back when there is room,
    rather than the call waiting, queued with no job, for the next restart."""
    app, _web, _api, _ready, queued = site
    monkeypatch.setattr(deferred_writes, "RETRY_S", 0.2)
    with app.app_context():
        fill(small_disk)
        pipeline.process_call.call_local(queued)  # the job's body, as the worker runs it
        assert call_of(queued).status == CallStatus.QUEUED
        assert deferred_writes.pending() == [("job of call", queued)]
        free(small_disk)
        deadline = time.monotonic() + 30
        while deferred_writes.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert huey.pending_count() == 1
