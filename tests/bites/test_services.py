"""Bites from a transcript: replaced on a re-run (keeping what people did with them), and retagged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from enable import pipeline
from enable.auth.models import Role, User
from enable.bites.models import Bite, BiteTag, TagSource
from enable.bites.services import match_bites, replace_bites
from enable.calls.models import CallStatus
from enable.calls.services import retry_call
from enable.db import utcnow
from enable.extensions import db
from enable.learning.models import StepKind, Track, TrackStep
from enable.search.index import SearchQuery
from enable.search.indexing import get_index, index_call
from enable.search.models import Playlist, PlaylistItem
from enable.taxonomy.models import Tag, TagKind, TagPhrase
from tests.calls.helpers import call_of, ingest_sample, load_content, sample_transcript


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False
    return app_config


@pytest.fixture
def sample(app, users):
    with app.app_context():
        load_content()
        return ingest_sample("discovery-competitor", rep_id=users[Role.REP])


def _tag(kind: TagKind, key: str) -> Tag:
    return db.session.scalar(select(Tag).where(Tag.kind == kind, Tag.key == key))


def _tags(bite: Bite) -> dict[str, BiteTag]:
    return {row.tag.key: row for row in bite.tags}


def test_every_word_belongs_to_exactly_one_bite(app, sample):
    with app.app_context():
        call = call_of(sample)
        words = sum(len(s.words) for s in sample_transcript("discovery-competitor").segments)
        bites = call.bites
        assert bites[0].first_word == 0 and bites[-1].last_word == words - 1
        for a, b in zip(bites, bites[1:], strict=False):
            assert b.first_word == a.last_word + 1 and b.start_s >= a.end_s
        assert all(45 <= b.duration_s <= 150 for b in bites)
        assert all(b.title and len(b.title) <= 80 and b.text for b in bites)
        assert {s for b in bites for s in b.speakers} == {"rep", "customer"}


def test_replacing_bites_twice_never_duplicates_them(app, sample):
    with app.app_context():
        call = call_of(sample)
        before = [(b.id, b.seq, b.start_s, b.end_s) for b in call.bites]
        replace_bites(call, sample_transcript("discovery-competitor"))
        db.session.commit()
        call = call_of(sample)
        assert [(b.id, b.seq, b.start_s, b.end_s) for b in call.bites] == before  # same rows, updated in place
        assert db.session.scalar(select(func.count()).select_from(Bite)) == len(before)


def _rerun(call_id: int, slug: str) -> None:
    """Re-run the whole pipeline on a call, as a retry does."""
    call = call_of(call_id)
    call.status = CallStatus.FAILED
    retry_call(call, None)
    db.session.commit()
    assert pipeline.ingest_call(call_id, transcript=sample_transcript(slug)).status == CallStatus.READY


def test_a_rerun_keeps_bite_ids_governance_curation_playlists_and_track_steps(app, users, sample):
    now = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
    lead, manager = users[Role.ENABLEMENT], users[Role.MANAGER]
    with app.app_context():
        first, second = call_of(sample).bites
        ids = [first.id, second.id]
        first.owner_id, first.verifier_id, first.review_interval_days = lead, manager, 30
        first.mark_verified(db.session.get(User, manager), now)
        first.is_best, first.best_marked_by_id = True, manager
        _tags(first)["competitor"].is_removed = True
        first.tags.append(BiteTag(tag=_tag(TagKind.PERSONA, "champion"), source=TagSource.MANUAL, added_by_id=lead))
        second.archived_at = now
        playlist = Playlist(name="Objections", owner_id=manager,
                            items=[PlaylistItem(bite_id=i, position=n) for n, i in enumerate(ids)])
        track = Track(slug="first-30-days", title="First 30 days",
                      steps=[TrackStep(kind=StepKind.BITE, item_id=first.id, title="Hear a competitor objection")])
        db.session.add_all([playlist, track])
        db.session.commit()
        playlist_id, track_id = playlist.id, track.id
        index_call(sample)

        _rerun(sample, "discovery-competitor")

        first, second = call_of(sample).bites
        assert [first.id, second.id] == ids
        assert db.session.scalar(select(func.count()).select_from(Bite)) == 2
        assert (first.owner_id, first.verifier_id, first.review_interval_days) == (lead, manager, 30)
        assert (first.verified_at, first.verified_by_id) == (now, manager)
        assert (first.is_best, first.best_marked_by_id) == (True, manager)
        tags = _tags(first)
        assert tags["competitor"].is_removed and tags["champion"].source == TagSource.MANUAL
        assert tags["champion"].added_by_id == lead and tags["discovery"].source == TagSource.CALL_STAGE
        assert second.archived_at == now and second.retired_at is None
        assert [i.bite_id for i in db.session.get(Playlist, playlist_id).items] == ids
        assert [s.item_id for s in db.session.get(Track, track_id).steps] == [first.id]
        # The archived bite stays out of search; the other is found without the tag a person removed.
        index = get_index()
        assert index.count() == 1
        assert index.search(SearchQuery(filters={"persona": ["champion"]})).total == 1
        assert index.search(SearchQuery(filters={"objection": ["competitor"]})).total == 0


def test_a_recut_keeps_the_ids_of_bites_covering_the_same_moment_and_moves_what_named_the_others(app, users):
    with app.app_context():
        load_content()
        app.config.update(BITE_TARGET_S=60.0, BITE_MIN_S=30.0, BITE_MAX_S=75.0)
        call_id = ingest_sample("negotiation-price")
        a, b, c = call_of(call_id).bites  # about 0-59 s, 60-123 s, 124-175 s
        a.retired_at = utcnow()
        c.owner_id = users[Role.ENABLEMENT]
        both = Playlist(name="Both", items=[PlaylistItem(bite_id=a.id, position=0), PlaylistItem(bite_id=b.id,
                                                                                                 position=1)])
        only_b = Playlist(name="Only the middle", items=[PlaylistItem(bite_id=b.id, position=0)])
        track = Track(slug="t", title="T", steps=[TrackStep(kind=StepKind.BITE, item_id=b.id, title="Listen")])
        db.session.add_all([both, only_b, track])
        db.session.commit()
        ids = (a.id, b.id, c.id)
        playlists, track_id = (both.id, only_b.id), track.id

        app.config.update(BITE_TARGET_S=120.0, BITE_MIN_S=45.0, BITE_MAX_S=150.0)
        _rerun(call_id, "negotiation-price")

        x, y = call_of(call_id).bites  # about 0-91 s and 92-175 s: they cover most of the first and the last
        assert (x.id, y.id) == (ids[0], ids[2]) and (x.seq, y.seq) == (0, 1)
        assert x.retired_at is not None and y.owner_id == users[Role.ENABLEMENT]
        assert db.session.get(Bite, ids[1]) is None
        assert db.session.scalar(select(func.count()).select_from(Bite)) == 2
        # What named the middle bite now names the bite covering most of its time (the first).
        assert [i.bite_id for i in db.session.get(Playlist, playlists[0]).items] == [x.id]
        assert [i.bite_id for i in db.session.get(Playlist, playlists[1]).items] == [x.id]
        assert [s.item_id for s in db.session.get(Track, track_id).steps] == [x.id]
        # The retired bite is not searchable; the other is.
        assert [h.id for h in get_index().search(SearchQuery()).hits] == [y.id]


@pytest.mark.parametrize(("old", "new", "pairs"), [
    ([(0, 60), (60, 120)], [(0, 60), (60, 120)], {0: 0, 1: 1}),  # the same cut
    ([(0, 60), (60, 120)], [(0.004, 60.006), (60.006, 120)], {0: 0, 1: 1}),  # float noise
    ([(0, 60), (60, 120)], [(2, 58), (58, 121)], {0: 0, 1: 1}),  # re-transcribed: times moved a little
    ([(0, 60), (60, 120), (120, 180)], [(0, 100), (100, 180)], {0: 0, 1: 2}),  # merged: the most overlap wins
    ([(0, 120)], [(0, 40), (40, 80), (80, 120)], {}),  # split in three: no part covers half of the old bite
    ([(0, 120)], [(0, 70), (70, 120)], {0: 0}),
    ([(0, 60)], [(100, 160)], {}),
    ([], [(0, 60)], {}),
])
def test_new_bites_take_over_old_ones_that_cover_the_same_time(old, new, pairs):
    assert match_bites(old, new) == pairs


def test_retag_applies_an_edited_taxonomy_but_respects_people(app, runner, sample):
    with app.app_context():
        call = call_of(sample)
        first, second = call.bites
        # A person removed the competitor objection from the first bite and added a persona by hand.
        _tags(first)["competitor"].is_removed = True
        first.tags.append(BiteTag(tag=_tag(TagKind.PERSONA, "champion"), source=TagSource.MANUAL))
        assert "integration" in _tags(second)
        # The taxonomy changes: a new tracker phrase, and integration loses all its phrases.
        onboarding = _tag(TagKind.TOPIC, "onboarding")
        onboarding.phrases.append(TagPhrase(language="en", phrase="get started"))
        _tag(TagKind.OBJECTION, "integration").phrases.clear()
        db.session.commit()

    result = runner.invoke(args=["bites", "retag"])
    assert result.exit_code == 0, result.output
    assert "2 bites of 1 calls retagged" in result.output and "2 bites reindexed" in result.output

    with app.app_context():
        first, second = call_of(sample).bites
        tags1, tags2 = _tags(first), _tags(second)
        assert tags1["competitor"].is_removed  # still off: retagging never re-adds what a person removed
        assert tags1["champion"].source == TagSource.MANUAL  # manual tags stay
        assert tags1["discovery"].source == TagSource.CALL_STAGE
        assert "integration" not in tags2  # its phrases are gone
        assert tags2["onboarding"].phrase == "get started" and tags2["onboarding"].source == TagSource.DETECTED
        assert tags2["onboarding"].at_s > second.start_s
        index = get_index()
        found = index.search(SearchQuery(filters={"topic": ["onboarding"]}))
        assert [h.id for h in found.hits] == [second.id]
        assert index.search(SearchQuery(filters={"objection": ["integration"]})).total == 0
        assert index.search(SearchQuery(filters={"objection": ["competitor"]})).total == 0
        assert index.search(SearchQuery(filters={"persona": ["champion"]})).total == 1


def test_retag_twice_changes_nothing_the_second_time(app, runner, sample):
    runner.invoke(args=["bites", "retag"])
    result = runner.invoke(args=["bites", "retag"])
    assert "0 tags added, 0 removed" in result.output


def test_retag_skips_calls_without_transcript_file(app, runner, sample):
    with app.app_context():
        from enable.calls.services import transcript_store

        transcript_store().delete(sample)
    result = runner.invoke(args=["bites", "retag"])
    assert result.exit_code == 0 and "1 calls skipped (transcript file missing or damaged)" in result.output


def test_failed_calls_are_not_retagged(app, runner, sample):
    with app.app_context():
        call_of(sample).status = CallStatus.FAILED
        db.session.commit()
    assert "0 bites of 0 calls" in runner.invoke(args=["bites", "retag"]).output
