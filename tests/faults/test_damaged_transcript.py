"""A damaged transcript file (cut short by a crash or a careless restore, overwritten by hand): the bite page and the
call page say so and show what search knows, never an error page; a manager transcribes the recording again, and
the call's bites keep their ids and what people did with them; retagging skips the call."""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import select

from enable import pipeline
from enable.auth.models import Role
from enable.bites.models import Bite
from enable.calls import services as calls
from enable.calls.models import CallStatus
from enable.extensions import db
from enable.transcription.types import Transcript
from tests.calls import test_calls
from tests.calls.helpers import call_of, sample_transcript

# The call page tests' fixtures: jobs queued, not run (the tests here run the worker's part themselves); the
# negotiation sample call, ready, with the rep as its rep.
app_config = test_calls.app_config
sample = test_calls.sample

DAMAGED = "damaged and cannot be read"


def damage(app, call_id: int) -> None:
    """Cut the call's transcript file short, as a write that never finished would."""
    with app.app_context():
        path = calls.transcript_store().json_path(call_id)
        path.write_bytes(path.read_bytes()[:4000])


def bites_of(app, call_id: int) -> list[Bite]:
    with app.app_context():
        bites = list(db.session.scalars(select(Bite).where(Bite.call_id == call_id).order_by(Bite.seq)))
        db.session.expunge_all()
        return bites


def test_the_bite_and_call_pages_say_the_transcript_is_damaged_and_show_what_search_knows(app, login, sample):
    damage(app, sample)
    bite = bites_of(app, sample)[0]
    rep = login(Role.REP)

    response = rep.get(f"/bites/{bite.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert DAMAGED in page
    assert str(escape(bite.text[:60])) in page  # the bite's text as search knows it
    assert f'src="/calls/{sample}/media#t=' in page  # the recording still plays

    response = rep.get(f"/calls/{sample}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert DAMAGED in page
    assert "Transcribe again" not in page and "not valid JSON" not in page  # a rep manages no call

    results = rep.get("/search/", query_string={"q": "too expensive"}).get_data(as_text=True)
    assert f"/bites/{bite.id}" in results  # the bites stay searchable

    page = login(Role.ENABLEMENT).get(f"/calls/{sample}").get_data(as_text=True)
    assert DAMAGED in page and "not valid JSON at line 1" in page  # the reason, for who can act on it
    assert f'action="/calls/{sample}/retry"' in page and "Transcribe again" in page


def test_a_manager_transcribes_the_recording_again_and_the_bites_keep_what_people_did(app, login, users, sample):
    before = bites_of(app, sample)
    with app.app_context():
        best = db.session.get(Bite, before[0].id)
        best.is_best, best.best_marked_by_id = True, users[Role.ENABLEMENT]
        db.session.commit()
    damage(app, sample)
    client = login(Role.ENABLEMENT)

    response = client.post(f"/calls/{sample}/retry", follow_redirects=True)
    assert "is queued again" in response.get_data(as_text=True)
    with app.app_context():
        assert call_of(sample).status == CallStatus.QUEUED
        pipeline.ingest_call(sample, transcript=sample_transcript("negotiation-price"))  # the worker's run
        call = call_of(sample)
        assert call.status == CallStatus.READY and call.error is None
        assert calls.transcript_store().read(sample) == sample_transcript("negotiation-price")

    after = bites_of(app, sample)
    assert [b.id for b in after] == [b.id for b in before]  # links, playlists and tracks naming them still work
    assert after[0].is_best
    page = client.get(f"/calls/{sample}").get_data(as_text=True)
    assert DAMAGED not in page and "Transcribe again" not in page
    assert 'class="call-transcript"' in page
    assert 'class="word"' in client.get(f"/bites/{after[0].id}").get_data(as_text=True)


def test_a_call_is_not_transcribed_again_when_its_transcript_is_fine_or_its_recording_is_gone(app, login, sample):
    client = login(Role.ENABLEMENT)
    response = client.post(f"/calls/{sample}/retry")
    assert response.status_code == 400 and "Only a failed call can be retried" in response.get_data(as_text=True)

    damage(app, sample)
    with app.app_context():
        calls.media_file(call_of(sample)).unlink()
    page = client.get(f"/calls/{sample}").get_data(as_text=True)
    assert DAMAGED in page and "Transcribe again" not in page
    response = client.post(f"/calls/{sample}/retry")
    assert response.status_code == 400
    assert "restore the transcript file from a backup" in response.get_data(as_text=True)
    with app.app_context():
        assert call_of(sample).status == CallStatus.READY


def test_retagging_skips_a_call_whose_transcript_is_damaged_and_keeps_its_tags(app, runner, sample):
    with app.app_context():
        tags_before = {b.id: sorted(t.tag_id for t in b.tags) for b in
                       db.session.scalars(select(Bite).where(Bite.call_id == sample))}
    damage(app, sample)

    result = runner.invoke(args=["bites", "retag"])

    assert result.exit_code == 0 and "1 calls skipped (transcript file missing or damaged)" in result.output
    with app.app_context():
        assert {b.id: sorted(t.tag_id for t in b.tags) for b in
                db.session.scalars(select(Bite).where(Bite.call_id == sample))} == tags_before


def test_transcribing_again_that_fails_leaves_the_call_ready_with_its_bites_and_the_reason(app, login, runner, sample):
    before = [b.id for b in bites_of(app, sample)]
    damage(app, sample)
    client = login(Role.ENABLEMENT)
    client.post(f"/calls/{sample}/retry")
    with app.app_context():
        silent = Transcript(language="en", duration_s=176.0, model="tiny.en")
        pipeline.ingest_call(sample, transcript=silent)  # the worker's run finds no speech this time
        call = call_of(sample)
        assert call.status == CallStatus.READY and "No speech was found" in call.error

    assert [b.id for b in bites_of(app, sample)] == before
    page = client.get(f"/calls/{sample}").get_data(as_text=True)
    assert "Transcribing again failed, so the call keeps its bites:" in page and "No speech was found" in page
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0  # a rebuild indexes ready calls only
    results = login(Role.REP).get("/search/", query_string={"q": "too expensive"}).get_data(as_text=True)
    assert f"/bites/{before[0]}" in results
