"""A recording whose header says less than it holds is stopped at MAX_CALL_MINUTES while it decodes, and a long
decode (hours of silence) keeps the worker's heartbeat and the call's progress moving (real model, real files)."""

from __future__ import annotations

import io
import sqlite3
import threading

import pytest

from enable import create_app, pipeline
from enable.auth.models import Role
from enable.calls import services as calls
from enable.calls.models import CallStatus
from enable.extensions import db
from tests.calls.helpers import call_of, load_content
from tests.conftest import base_config
from tests.transcription.crafted import mp3_silence, mp3_with_lying_header, webm_without_duration

pytestmark = pytest.mark.slow


@pytest.fixture
def app_config(app_config):
    app_config["MAX_CALL_MINUTES"] = 0.05  # 3 seconds
    return app_config


def _upload(client, path):
    data = {"files": [(io.BytesIO(path.read_bytes()), path.name)], "title": "", "rep": "", "deal": "",
            "call_date": "", "stage": "", "language": ""}
    return client.post("/calls/upload", data=data, content_type="multipart/form-data", follow_redirects=True)


@pytest.mark.parametrize("make", [webm_without_duration, mp3_with_lying_header], ids=["no duration", "lying header"])
def test_a_recording_longer_than_its_header_says_fails_with_the_reason(app, login, tmp_path, make):
    with app.app_context():
        load_content()
    recording = make(tmp_path / f"crafted.{'webm' if make is webm_without_duration else 'mp3'}", 20)
    page = _upload(login(Role.MANAGER), recording).get_data(as_text=True)
    assert "1 recording uploaded" in page  # the header passes the upload's check
    with app.app_context():
        call = call_of(1)
        assert call.status == CallStatus.FAILED
        assert call.error == (f"{recording.name} plays for longer than its file says: decoding stopped at 0.05 "
                              "minutes, the longest a call may last. Cut the recording into shorter parts and "
                              "upload them.")
        assert call.bites == [] and call.claimed_by is None


class _Watch(threading.Thread):
    """Reads a call's heartbeat and progress from the database file every 50 ms, on its own connection."""

    def __init__(self, db_path, call_id: int) -> None:
        super().__init__(daemon=True)
        self.db_path, self.call_id = db_path, call_id
        self.seen: list[tuple[str, str, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.db_path, timeout=5)
        try:
            while not self.done.wait(0.05):
                row = conn.execute("SELECT status, heartbeat_at, progress FROM call WHERE id = ?",
                                   (self.call_id,)).fetchone()
                if row and (not self.seen or self.seen[-1] != row):
                    self.seen.append(row)
        finally:
            conn.close()


def test_the_heartbeat_and_progress_move_while_a_long_silence_decodes(tmp_path, monkeypatch):
    """21 minutes of silence: no segment ever arrives, yet the worker shows it is alive all along (decoding and
    voice detection of three blocks)."""
    app = create_app(base_config(tmp_path, JOBS_IMMEDIATE=False))
    with app.app_context():
        db.create_all()
        call_id = calls.accept_file(mp3_silence(tmp_path / "silence.mp3", 21 * 60), calls.CallDetails()).call.id
        db.session.commit()
    monkeypatch.setattr(pipeline, "HEARTBEAT_S", 0.1)
    watch = _Watch(tmp_path / "test.db", call_id)
    watch.start()
    try:
        with app.app_context():
            pipeline.ingest_call(call_id)
            assert call_of(call_id).error.startswith("No speech was found in this recording")
    finally:
        watch.done.set()
        watch.join()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    running = [(beat, progress) for status, beat, progress in watch.seen if status == "transcribing"]
    beats = {beat for beat, _ in running}
    shares = sorted({progress for _, progress in running if 0 < progress < 1})
    assert len(beats) >= 5, watch.seen  # decoding groups and blocks, not only the claim
    assert len(shares) >= 2, watch.seen  # the end of each silent block moves the progress on
