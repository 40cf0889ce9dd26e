"""The recording webhooks against awkward senders and races, with a real local recording server: a signature header
with non-ASCII characters is refused (401, never a 500), the download token goes only to the first hop's origin (not
to another port of the same host), the same event delivered twice at once is one source (the second answered 200),
and two download jobs for one recording fetch it once."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import event, func, insert, select

from enable.extensions import db
from enable.sources import recordings
from enable.sources.models import SourceFile, SourceStatus
from tests.conftest import base_config
from tests.sources.helpers import speech_m4a
from tests.sources.recording_server import RecordingServer
from tests.sources.test_recording_webhooks import (
    DOWNLOAD_TOKEN,
    GENERIC_SECRET,
    ZOOM_SECRET,
    generic_headers,
    recording_completed,
    zoom_headers,
)


@pytest.fixture
def app_config(tmp_path) -> dict:
    return base_config(tmp_path, ZOOM_WEBHOOK_SECRET_TOKEN=ZOOM_SECRET, RECORDING_WEBHOOK_SECRET=GENERIC_SECRET,
                       WEBHOOK_ALLOW_PRIVATE=True)


@pytest.fixture
def server(tmp_path):
    s = RecordingServer({"audio.m4a": speech_m4a(tmp_path / "served" / "audio.m4a")}, DOWNLOAD_TOKEN)
    yield s
    s.close()


def _sources() -> int:
    return db.session.scalar(select(func.count()).select_from(SourceFile)) or 0


@pytest.mark.parametrize("value", ["v0=\u00e9t\u00e9", "v1=caf\u00e9,v1=\u00ff"])
def test_a_signature_header_with_non_ascii_characters_is_refused_not_a_server_error(app, client, server, value):
    body = recording_completed(server)
    zoom = {**zoom_headers(body), "x-zm-signature": value}
    assert client.post("/sources/zoom", data=body, headers=zoom).status_code == 401
    generic_body = json.dumps({"id": "x", "url": f"{server.base}/rec/audio.m4a"}).encode()
    generic = {**generic_headers(generic_body), "Enable-Recording-Signature": value}
    assert client.post("/sources/recording-ready", data=generic_body, headers=generic).status_code == 401
    assert server.requests == []


def test_the_download_token_is_not_sent_to_another_port_of_the_same_host(app, client, tmp_path):
    storage = RecordingServer({"audio.m4a": speech_m4a(tmp_path / "served" / "audio.m4a")}, None)
    first = RecordingServer({}, DOWNLOAD_TOKEN)
    first.redirect_base = storage.base  # 127.0.0.1, another port: another origin
    try:
        body = json.dumps({"id": "pbx-1", "url": f"{first.base}/away/audio.m4a", "token": DOWNLOAD_TOKEN}).encode()
        assert client.post("/sources/recording-ready", data=body, headers=generic_headers(body)).status_code == 202
        assert [r["authorization"] for r in first.requests] == [f"Bearer {DOWNLOAD_TOKEN}"]
        assert [r["authorization"] for r in storage.requests] == [None]
    finally:
        first.close()
        storage.close()


def test_the_same_event_delivered_twice_at_once_is_one_source_and_both_are_answered(app, client, server):
    """The second delivery's existence check runs before the first one's row is committed: its insert meets the
    unique external id. Here the competing row is committed from another connection right after that check."""
    body = json.dumps({"id": "pbx-7", "url": f"{server.base}/rec/audio.m4a", "token": DOWNLOAD_TOKEN}).encode()
    raced = []

    def the_other_delivery(state):
        if raced or not state.is_select or "source_file" not in str(state.statement):
            return None
        raced.append(True)
        found = state.invoke_statement().freeze()  # this delivery sees no source yet ...
        with db.engine.begin() as other:  # ... then the other one commits its own
            other.execute(insert(SourceFile).values(origin="webhook", folder="", name="audio.m4a",
                                                    external_id="webhook:pbx-7", status=SourceStatus.DOWNLOADING,
                                                    size_bytes=0, details={}))
        return found()

    with app.app_context():
        event.listen(db.session, "do_orm_execute", the_other_delivery)
        try:
            response = client.post("/sources/recording-ready", data=body, headers=generic_headers(body))
        finally:
            event.remove(db.session, "do_orm_execute", the_other_delivery)
    assert raced
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        assert _sources() == 1


def test_two_download_jobs_for_one_recording_fetch_it_once(app, server):
    with app.app_context():
        source = SourceFile(origin="webhook", folder="", name="audio.m4a", external_id="webhook:pbx-9",
                            status=SourceStatus.DOWNLOADING, size_bytes=0,
                            details={"url": f"{server.base}/rec/audio.m4a", "token": DOWNLOAD_TOKEN, "meta": {}})
        db.session.add(source)
        db.session.commit()
        source_id = source.id
    server.gate = threading.Event()  # the first job's download is in progress while the second job starts
    results: list = []

    def first_job() -> None:
        with app.app_context():
            results.append(recordings.download_and_import(source_id))

    worker = threading.Thread(target=first_job)
    worker.start()
    try:
        for _ in range(100):
            if server.requests:
                break
            time.sleep(0.05)
        assert len(server.requests) == 1
        with app.app_context():  # a consumer started and queued the downloading source again
            assert recordings.download_and_import(source_id) == (None, None)
    finally:
        server.gate.set()
        worker.join(60)
    assert len(server.requests) == 1
    with app.app_context():
        done = db.session.get(SourceFile, source_id)
        assert done.status in (SourceStatus.IMPORTED, SourceStatus.UNASSIGNED) and done.call_id == results[0][0]
        assert done.details.get("attempts") == 1


def test_a_consumer_start_leaves_a_download_another_job_holds_and_resumes_the_others(app, server, tmp_path):
    from datetime import timedelta

    from enable.db import utcnow
    from enable.sources import jobs

    speech_m4a(tmp_path / "served" / "other.m4a", 3)
    server.files["other.m4a"] = tmp_path / "served" / "other.m4a"
    with app.app_context():
        ids = {}
        for name, held in (("audio.m4a", True), ("other.m4a", False)):
            source = SourceFile(origin="webhook", folder="", name=name, external_id=f"webhook:{name}",
                                status=SourceStatus.DOWNLOADING, size_bytes=0,
                                stable_since=utcnow() + timedelta(minutes=30) if held else None,
                                details={"url": f"{server.base}/rec/{name}", "token": DOWNLOAD_TOKEN, "meta": {}})
            db.session.add(source)
            db.session.commit()
            ids[name] = source.id
        jobs._resume_downloads()
        assert [r["path"] for r in server.requests] == ["/rec/other.m4a"]  # the held one is left to its job
        db.session.expire_all()
        assert db.session.get(SourceFile, ids["audio.m4a"]).status == SourceStatus.DOWNLOADING
        assert db.session.get(SourceFile, ids["other.m4a"]).call_id is not None
