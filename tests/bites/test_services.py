"""Bites from a transcript: replaced whole on a re-run, and retagged when the taxonomy changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role
from enable.bites.models import Bite, BiteTag, TagSource
from enable.bites.services import replace_bites
from enable.calls.models import CallStatus
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.indexing import get_index
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
        before = [(b.seq, b.start_s, b.end_s) for b in call.bites]
        replace_bites(call, sample_transcript("discovery-competitor"))
        db.session.commit()
        call = call_of(sample)
        assert [(b.seq, b.start_s, b.end_s) for b in call.bites] == before
        assert db.session.scalar(select(func.count()).select_from(Bite)) == len(before)


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
    assert result.exit_code == 0 and "1 calls skipped (transcript file missing)" in result.output


def test_failed_calls_are_not_retagged(app, runner, sample):
    with app.app_context():
        call_of(sample).status = CallStatus.FAILED
        db.session.commit()
    assert "0 bites of 0 calls" in runner.invoke(args=["bites", "retag"]).output
