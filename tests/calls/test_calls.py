"""The call page, media with range requests, captions, status polling, retry, edit and delete.

Calls here are the shipped sample calls: their recordings are uploaded for real and the pipeline cuts,
tags and indexes their stored real transcripts, so no speech model is loaded.
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role, User
from enable.bites.models import Bite, BiteTag, TagSource
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.calls.samples import SAMPLES_DIR
from enable.db import utcnow
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.indexing import get_index
from tests.calls.helpers import AUDIO, call_of, ingest_sample, load_content, make_video
from tests.factories import make_team


@pytest.fixture
def app_config(app_config):
    # Jobs are queued, not run: the pipeline is called directly with the samples' stored transcripts.
    app_config["JOBS_IMMEDIATE"] = False
    return app_config


@pytest.fixture
def sample(app, users):
    """The negotiation sample call, ready, with the rep as its rep; returns its id."""
    with app.app_context():
        load_content()
        return ingest_sample("negotiation-price", rep_id=users[Role.REP], title="Northwind price talk")


def _search(app, **filters):
    with app.app_context():
        return get_index().search(SearchQuery(filters={k: [v] for k, v in filters.items()}))


def test_a_sample_call_is_ready_with_tagged_bites_and_stats(app, sample):
    with app.app_context():
        call = call_of(sample)
        assert call.status == CallStatus.READY and call.error is None and call.progress == 1.0
        assert call.detected_language == "en" and call.model == "tiny.en"
        assert set(call.stats["talk_ratio"]) == {"rep", "customer"}
        bites = call.bites
        assert len(bites) == 2 and [b.seq for b in bites] == [0, 1]
        assert all(45 <= b.duration_s <= 150 for b in bites)
        tags = {(t.tag.key, t.source) for t in bites[0].tags}
        assert ("negotiation", TagSource.CALL_STAGE) in tags and ("price", TagSource.DETECTED) in tags
        price = next(t for t in bites[0].tags if t.tag.key == "price")
        assert price.phrase == "too expensive" and 10 < price.at_s < 30
        assert all(("negotiation", TagSource.CALL_STAGE) in {(t.tag.key, t.source) for t in b.tags} for b in bites)
    hits = _search(app, objection="price")
    assert [h.id for h in hits.hits] == [bites[0].id]


def test_the_call_page_shows_player_transcript_stats_and_bites(app, login, sample):
    page = login(Role.REP).get(f"/calls/{sample}").get_data(as_text=True)
    assert f'src="/calls/{sample}/media"' in page and "<audio" in page
    assert f'src="/calls/{sample}/captions.vtt"' in page
    assert "Rep:" in page and "Customer:" in page and "too expensive" in page
    assert "Talk ratio" in page and "Longest monologue" in page and "Questions" in page
    assert "Price or budget" in page and "Negotiation" in page
    assert 'href="/bites/' in page
    assert "Edit" not in page  # a rep cannot manage calls


def test_media_answers_range_requests_with_the_right_bytes(app, login, sample):
    client = login(Role.REP)
    data = (SAMPLES_DIR / "negotiation-price.ogg").read_bytes()
    whole = client.get(f"/calls/{sample}/media")
    assert whole.status_code == 200 and whole.data == data
    assert whole.headers["Content-Type"] == "audio/ogg" and whole.headers["Accept-Ranges"] == "bytes"
    part = client.get(f"/calls/{sample}/media", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.data == data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    tail = client.get(f"/calls/{sample}/media", headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.data == data[-500:]


def test_video_is_served_as_video(app, login, tmp_path):
    with app.app_context():
        path = make_video(tmp_path / "demo.mp4")
        call = calls.accept_file(path, calls.CallDetails()).call
        db.session.commit()
        call_id = call.id
        assert call.has_video and call.content_type == "video/mp4" and call.media_path.endswith(".mp4")
    client = login(Role.ENABLEMENT)  # not processed yet: open to those whose calls list shows it
    response = client.get(f"/calls/{call_id}/media", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and response.headers["Content-Type"] == "video/mp4"
    assert response.data == path.read_bytes()[:100]
    assert "<video" in client.get(f"/calls/{call_id}").get_data(as_text=True)


def test_captions_are_the_stored_webvtt(app, login, sample):
    response = login(Role.REP).get(f"/calls/{sample}/captions.vtt")
    assert response.status_code == 200 and response.mimetype == "text/vtt"
    text = response.get_data(as_text=True)
    assert text.startswith("WEBVTT") and "<v rep>" in text and "-->" in text


def test_status_endpoint_reports_progress(app, login, sample):
    with app.app_context():
        call = call_of(sample)
        call.status, call.progress = CallStatus.TRANSCRIBING, 0.42
        db.session.commit()
    data = login(Role.ENABLEMENT).get(f"/calls/status?ids={sample},999").get_json()
    assert data == {"calls": [{"id": sample, "status": "transcribing", "label": "Transcribing", "active": True,
                               "progress": 0.42, "error": None, "bites": 2}]}


def test_call_list_shows_status_progress_and_polls(app, login, sample):
    with app.app_context():
        call = call_of(sample)
        call.status, call.progress = CallStatus.TRANSCRIBING, 0.5
        db.session.commit()
    page = login(Role.ENABLEMENT).get("/calls/").get_data(as_text=True)
    assert f'data-call-id="{sample}" data-active="1"' in page
    assert '<progress class="call-progress" max="1" value="0.5"' in page and "50%" in page
    assert 'src="/static/js/calls.js"' in page and 'data-status-url="/calls/status"' in page


def test_failed_call_shows_reason_and_can_be_retried(app, login, sample):
    with app.app_context():
        call = call_of(sample)
        call.status, call.error, call.attempts = CallStatus.FAILED, "The recording could not be decoded.", 2
        db.session.commit()
    client = login(Role.ENABLEMENT)
    assert "The recording could not be decoded." in client.get("/calls/").get_data(as_text=True)
    assert "Retry" in client.get(f"/calls/{sample}").get_data(as_text=True)
    response = client.post(f"/calls/{sample}/retry", follow_redirects=True)
    assert "is queued again" in response.get_data(as_text=True)
    with app.app_context():
        call = call_of(sample)
        assert (call.status, call.attempts, call.error, call.progress) == (CallStatus.QUEUED, 0, None, 0.0)


def test_only_a_failed_call_can_be_retried(app, login, sample):
    response = login(Role.ENABLEMENT).post(f"/calls/{sample}/retry")
    assert response.status_code == 400
    assert "Only a failed call can be retried" in response.get_data(as_text=True)


def test_deleting_a_call_removes_its_file_transcript_bites_and_search_entries(app, login, sample):
    with app.app_context():
        call = call_of(sample)
        media = calls.media_file(call)
        store = calls.transcript_store()
        bite_ids = [b.id for b in call.bites]
        assert media.exists() and store.exists(sample) and store.vtt_path(sample).exists()
    assert _search(app, objection="price").total == 1
    response = login(Role.ENABLEMENT).post(f"/calls/{sample}/delete", follow_redirects=True)
    assert "was deleted with its bites" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Call, sample) is None
        assert db.session.scalar(select(func.count()).select_from(Bite).where(Bite.id.in_(bite_ids))) == 0
        assert db.session.scalar(select(func.count()).select_from(BiteTag)) == 0
        assert not media.exists() and not store.exists(sample) and not store.vtt_path(sample).exists()
        assert get_index().count() == 0
    assert _search(app, objection="price").total == 0
    assert login(Role.REP).get(f"/calls/{sample}/media").status_code == 404


def test_a_call_being_transcribed_cannot_be_deleted(app, login, sample):
    with app.app_context():
        call = call_of(sample)
        call.status = CallStatus.TRANSCRIBING
        call.heartbeat_at = utcnow()
        db.session.commit()
    response = login(Role.ENABLEMENT).post(f"/calls/{sample}/delete")
    assert response.status_code == 400 and "being processed" in response.get_data(as_text=True)


def test_a_manager_manages_only_the_calls_of_their_team(app, login, users, sample):
    with app.app_context():
        team = make_team(name="North")
        other = make_team(name="South")
        manager = db.session.get(User, users[Role.MANAGER])
        manager.team = team
        db.session.commit()
        call = call_of(sample)
        call.team_id = other.id
        team_id = team.id
        db.session.commit()
    client = login(Role.MANAGER)
    assert client.post(f"/calls/{sample}/delete").status_code == 403
    assert "Northwind price talk" not in client.get("/calls/").get_data(as_text=True)
    with app.app_context():
        call_of(sample).team_id = team_id
        db.session.commit()
    assert "Northwind price talk" in client.get("/calls/").get_data(as_text=True)


def test_changing_the_stage_retags_bites_and_the_index(app, login, sample):
    client = login(Role.ENABLEMENT)
    assert client.get(f"/calls/{sample}/edit").status_code == 200
    response = client.post(f"/calls/{sample}/edit", data={"title": "Renamed", "rep": "", "deal": "",
                                                          "call_date": "2026-01-15", "stage": "proposal"},
                           follow_redirects=True)
    assert "Call saved." in response.get_data(as_text=True)
    with app.app_context():
        call = call_of(sample)
        assert call.title == "Renamed" and call.stage == "proposal"
        for bite in call.bites:
            stages = {t.tag.key for t in bite.tags if t.tag.kind.value == "stage"}
            assert stages == {"proposal"}
    assert _search(app, stage="proposal").total == 2
    assert _search(app, stage="negotiation").total == 0


def test_the_home_page_shows_calls_in_progress_to_managers(app, login, sample):
    with app.app_context():
        call_of(sample).status = CallStatus.FAILED
        db.session.commit()
    page = login(Role.ENABLEMENT).get("/").get_data(as_text=True)
    assert "being processed" in page and "1 failed" in page
    assert "being processed" not in login(Role.REP).get("/").get_data(as_text=True)


def test_cli_ingest_of_a_duplicate_names_the_existing_call(app, runner, sample):
    result = runner.invoke(args=["calls", "ingest", str(SAMPLES_DIR / "negotiation-price.ogg")])
    assert result.exit_code == 0, result.output
    assert f"already uploaded as call {sample} (Ready)" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call)) == 1
        sha = hashlib.sha256((SAMPLES_DIR / "negotiation-price.ogg").read_bytes()).hexdigest()
        assert call_of(sample).sha256 == sha


def test_cli_ingest_queues_files_of_a_folder_and_refuses_others(app, runner, users, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.ogg").write_bytes((AUDIO / "short_en.ogg").read_bytes())
    (folder / "readme.txt").write_text("not media")
    (folder / "b.mp3").write_text("not media either")
    with app.app_context():
        load_content()
    result = runner.invoke(args=["calls", "ingest", str(folder), "--rep", "rep@example.test", "--stage", "demo",
                                 "--title", "Batch", "--date", "2026-02-01"])
    assert result.exit_code == 1
    assert "call 1: queued" in result.output
    assert "b.mp3: refused: This file is not audio or video we can read" in result.output
    assert "(call 2, failed)" in result.output
    assert "1 of 2 file(s) failed:\n  b.mp3: This file is not audio or video we can read" in result.output
    with app.app_context():
        call = call_of(1)
        assert (call.title, call.stage, call.rep_id, str(call.call_date)) == ("Batch — a", "demo", users[Role.REP],
                                                                              "2026-02-01")
        assert call.status == CallStatus.QUEUED
        refused = call_of(2)
        assert refused.status == CallStatus.FAILED and "not audio or video" in refused.error
        assert refused.original_filename == "b.mp3" and refused.title == "Batch — b"
        assert db.session.scalar(select(func.count()).select_from(Call)) == 2  # readme.txt is not picked up
    # The same file again names its failed call and still exits non-zero with the reason.
    again = runner.invoke(args=["calls", "ingest", str(folder / "b.mp3")])
    assert again.exit_code == 1
    assert "already uploaded as call 2 (Failed)" in again.output
    assert "b.mp3: call 2 failed: This file is not audio or video we can read" in again.output


def test_cli_ingest_refuses_a_file_over_the_size_limit_without_storing_it(app, runner, users):
    app.config["MAX_UPLOAD_MB"] = 1
    result = runner.invoke(args=["calls", "ingest", str(AUDIO / "sales_dialogue.ogg")])
    assert result.exit_code == 1
    assert "refused: sales_dialogue.ogg is larger than the 1 MB limit." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call)) == 0
    media = app.config["MEDIA_DIR"]
    assert [p for p in media.iterdir() if p.is_file()] == [] and list((media / ".incoming").iterdir()) == []


def test_cli_ingest_rejects_unknown_rep_deal_and_stage(app, runner, users):
    with app.app_context():
        load_content()
    path = str(AUDIO / "short_en.ogg")
    for option, value, message in (("--rep", "nobody@example.test", "No user has the email"),
                                   ("--deal", "X-1", "No deal has the CRM id X-1"),
                                   ("--stage", "nope", "There is no stage")):
        result = runner.invoke(args=["calls", "ingest", path, option, value])
        assert result.exit_code == 1 and message in result.output


@pytest.mark.parametrize("escape", ["../outside.ogg", "{outside}", "sub/../../outside.ogg", "link.ogg", "", "."])
def test_a_stored_media_path_outside_the_media_folder_is_never_served_read_or_removed(app, login, sample, tmp_path,
                                                                                      caplog, escape):
    outside = tmp_path / "outside.ogg"  # beside MEDIA_DIR (tmp_path/media), as a crafted backup could point
    secret = (SAMPLES_DIR / "negotiation-price.ogg").read_bytes()
    outside.write_bytes(secret)
    media = app.config["MEDIA_DIR"]
    (media / "link.ogg").symlink_to(outside)
    with app.app_context():
        call = call_of(sample)
        call.media_path = escape.format(outside=outside)
        db.session.commit()
    client = login(Role.ENABLEMENT)
    caplog.set_level("WARNING", logger="enable.calls.services")
    response = client.get(f"/calls/{sample}/media")
    assert response.status_code == 404 and secret not in response.data
    assert f"call {sample}: its stored media path leads outside MEDIA_DIR" in caplog.text
    with app.app_context():
        assert not calls.has_recording(call_of(sample))
        with pytest.raises(calls.MediaOutsideFolder):
            calls.check_call_media(call_of(sample))  # what the pipeline reads before transcribing
    assert client.post(f"/calls/{sample}/delete").status_code == 302
    assert outside.read_bytes() == secret  # deleting the call leaves a file that is not the media folder's alone


@pytest.mark.parametrize("path", ["media", "captions.vtt"])
def test_recordings_and_captions_are_cached_privately_and_revalidated(app, login, sample, path):
    client = login(Role.REP)
    whole = client.get(f"/calls/{sample}/{path}")
    assert whole.status_code == 200
    policy = {part.strip() for part in whole.headers["Cache-Control"].split(",")}
    assert policy == {"private", "no-cache"}  # no shared cache; the browser asks again before reusing it
    again = client.get(f"/calls/{sample}/{path}", headers={"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304
    part = client.get(f"/calls/{sample}/{path}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.data == whole.data[10:20] and "private" in part.headers["Cache-Control"]
