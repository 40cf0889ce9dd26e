"""Zoom cloud recordings and the generic "recording ready" webhook: events and signatures built exactly as Zoom
documents them (plain hmac here, not Enable's code), the recording served by a real local HTTP server that wants
the event's download token, signature failures refused, the same event twice one call."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.sources.models import CallParticipant, SourceFile, SourceStatus
from tests.calls.helpers import load_content
from tests.conftest import base_config
from tests.sources.helpers import speech_m4a
from tests.sources.recording_server import RecordingServer

ZOOM_SECRET = "zoom-secret-token-abc123"
GENERIC_SECRET = "recording-webhook-secret-0123456789"
DOWNLOAD_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.download-token"


@pytest.fixture
def app_config(tmp_path) -> dict:
    return base_config(tmp_path, ZOOM_WEBHOOK_SECRET_TOKEN=ZOOM_SECRET, RECORDING_WEBHOOK_SECRET=GENERIC_SECRET,
                       WEBHOOK_ALLOW_PRIVATE=True)


@pytest.fixture
def server(tmp_path):
    s = RecordingServer({"audio.m4a": speech_m4a(tmp_path / "served" / "audio.m4a"),
                         "other.m4a": speech_m4a(tmp_path / "served" / "other.m4a", 3)}, DOWNLOAD_TOKEN)
    yield s
    s.close()


def zoom_headers(body: bytes, secret: str = ZOOM_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Zoom sends: x-zm-request-timestamp, and x-zm-signature = v0= + hex HMAC-SHA256 of
    "v0:{timestamp}:{body}" under the app's secret token."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body.decode()}".encode(), hashlib.sha256).hexdigest()
    return {"x-zm-request-timestamp": ts, "x-zm-signature": f"v0={digest}", "Content-Type": "application/json"}


def recording_completed(server: RecordingServer, path: str = "redirect/audio.m4a", file_id: str = "ed6c2f27") -> bytes:
    """A recording.completed event as Zoom's documentation shows it (audio-only, a video and a transcript)."""
    event = {
        "event": "recording.completed",
        "event_ts": 1626230691572,
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": 1234567890, "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "host_email": "rep@example.test", "topic": "Acme discovery call", "type": 2,
                "start_time": "2026-03-01T21:44:51Z", "timezone": "America/Los_Angeles", "duration": 1,
                "total_size": 529758, "recording_count": 3, "share_url": "https://example.com/share",
                "recording_files": [
                    {"id": f"{file_id}-video", "meeting_id": "4444AAAiAAAAAiAiAiiAii==",
                     "recording_start": "2026-03-01T21:44:51Z", "recording_end": "2026-03-01T21:45:00Z",
                     "file_type": "MP4", "file_extension": "MP4", "file_size": 282825,
                     "play_url": "https://example.com/rec/play/video", "download_url": f"{server.base}/rec/missing",
                     "status": "completed", "recording_type": "shared_screen_with_speaker_view"},
                    {"id": file_id, "meeting_id": "4444AAAiAAAAAiAiAiiAii==",
                     "recording_start": "2026-03-01T21:44:51Z", "recording_end": "2026-03-01T21:45:00Z",
                     "file_type": "M4A", "file_extension": "M4A", "file_size": 246560,
                     "play_url": "https://example.com/rec/play/audio", "download_url": f"{server.base}/{path}",
                     "status": "completed", "recording_type": "audio_only"},
                    {"id": f"{file_id}-vtt", "file_type": "TRANSCRIPT", "file_extension": "VTT",
                     "download_url": f"{server.base}/rec/missing.vtt", "status": "completed",
                     "recording_type": "audio_transcript"},
                ],
            },
        },
        "download_token": DOWNLOAD_TOKEN,
    }
    return json.dumps(event).encode()


def test_zoom_endpoint_validation_answers_the_hmac_of_the_plain_token(client):
    body = json.dumps({"payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}, "event_ts": 1654503849680,
                       "event": "endpoint.url_validation"}).encode()
    response = client.post("/sources/zoom", data=body, headers=zoom_headers(body))
    assert response.status_code == 200
    expected = hmac.new(ZOOM_SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert response.get_json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}


def test_a_zoom_recording_is_downloaded_with_its_token_and_becomes_a_call_once(app, client, users, server):
    with app.app_context():
        load_content()
    body = recording_completed(server)
    response = client.post("/sources/zoom", data=body, headers=zoom_headers(body))
    assert response.status_code == 202
    again = client.post("/sources/zoom", data=body, headers=zoom_headers(body))  # Zoom retries: one call
    assert again.status_code == 200
    served = [r for r in server.requests if r["path"] == "/rec/audio.m4a"]
    assert len(served) == 1 and served[0]["authorization"] == f"Bearer {DOWNLOAD_TOKEN}"
    with app.app_context():
        source = db.session.scalar(select(SourceFile))
        assert source.origin == "zoom" and source.status == SourceStatus.IMPORTED
        assert "token" not in source.details  # spent, not kept
        call = db.session.get(Call, source.call_id)
        assert call.status == CallStatus.READY, call.error
        assert (call.title, call.rep_id, str(call.call_date)) == ("Acme discovery call", users[Role.REP],
                                                                  "2026-03-01")
        assert call.bites
        emails = db.session.scalars(select(CallParticipant.email).where(CallParticipant.call_id == call.id)).all()
        assert emails == ["rep@example.test"]
        assert db.session.scalar(select(func.count()).select_from(Call)) == 1


@pytest.mark.parametrize("tamper", ["wrong secret", "old timestamp", "changed body", "no signature"])
def test_zoom_signature_failures_are_refused_and_nothing_is_fetched(app, client, server, tamper):
    body = recording_completed(server)
    headers = zoom_headers(body, secret="not-the-secret" if tamper == "wrong secret" else ZOOM_SECRET,
                           timestamp=int(time.time()) - 600 if tamper == "old timestamp" else None)
    if tamper == "changed body":
        body = body.replace(b"Acme", b"Evil")
    if tamper == "no signature":
        del headers["x-zm-signature"]
    response = client.post("/sources/zoom", data=body, headers=headers)
    assert response.status_code == 401
    assert server.requests == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SourceFile)) == 0


def test_zoom_off_without_its_secret_token(tmp_path, server):
    from tests.conftest import made_app

    with made_app(base_config(tmp_path)) as app:
        body = recording_completed(server)
        assert app.test_client().post("/sources/zoom", data=body, headers=zoom_headers(body)).status_code == 404


def test_a_recording_on_a_private_address_is_refused_unless_allowed(tmp_path, server):
    from tests.conftest import made_app

    with made_app(base_config(tmp_path, ZOOM_WEBHOOK_SECRET_TOKEN=ZOOM_SECRET)) as app:
        body = recording_completed(server)
        assert app.test_client().post("/sources/zoom", data=body, headers=zoom_headers(body)).status_code == 202
        assert server.requests == []
        with app.app_context():
            source = db.session.scalar(select(SourceFile))
            assert source.status == SourceStatus.FAILED
            assert "private" in source.reason


def generic_headers(body: bytes, secret: str = GENERIC_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Enable-Recording-Timestamp": str(ts), "Enable-Recording-Signature": f"v1={digest}",
            "Content-Type": "application/json"}


def test_the_generic_recording_webhook_fetches_the_file_with_its_metadata(app, client, users, server):
    body = json.dumps({"id": "pbx-991", "url": f"{server.base}/rec/other.m4a", "token": DOWNLOAD_TOKEN,
                       "filename": "pbx-991.m4a", "title": "Inbound call", "rep_email": "manager@example.test",
                       "participants": [{"email": "ivan@customer.example", "name": "Ivan"}]}).encode()
    old = generic_headers(body, timestamp=int(time.time()) - 3600)
    assert client.post("/sources/recording-ready", data=body, headers=old).status_code == 401
    forged = generic_headers(body, secret="guess")
    assert client.post("/sources/recording-ready", data=body, headers=forged).status_code == 401
    assert server.requests == []
    response = client.post("/sources/recording-ready", data=body, headers=generic_headers(body))
    assert response.status_code == 202
    with app.app_context():
        source = db.session.scalar(select(SourceFile))
        call = db.session.get(Call, source.call_id)
        assert (source.origin, source.name, call.title, call.rep_id) == ("webhook", "pbx-991.m4a", "Inbound call",
                                                                         users[Role.MANAGER])
        assert db.session.scalars(select(CallParticipant.name).where(
            CallParticipant.call_id == call.id)).all() == ["Ivan"]
