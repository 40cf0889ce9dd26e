"""Keeping the index in step with the bites: documents, `flask search rebuild`, repairs."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete

from enable.auth.models import Role
from enable.bites.models import Bite
from enable.db import utcnow
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.indexing import bite_doc, get_index, index_bites, index_call, remove_bites
from tests.calls.helpers import SAMPLES, call_of, ingest_sample, load_content

QUERIES = [
    SearchQuery(text="too expensive"),
    SearchQuery(text="Salesforce"),
    SearchQuery(text="manager"),
    SearchQuery(filters={"objection": ["price"]}),
    SearchQuery(filters={"competitor": ["gong"]}),
    SearchQuery(filters={"stage": ["closing"]}),
    SearchQuery(filters={"outcome": ["won"]}),
    SearchQuery(text="quarter", sort="date"),
]


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False
    return app_config


@pytest.fixture
def library(app, users):
    """All three sample calls, the first linked to a won deal; returns their ids."""
    with app.app_context():
        load_content()
        deal = Deal(external_id="SF-1", name="Northwind", outcome=DealOutcome.WON)
        db.session.add(deal)
        db.session.commit()
        ids = [ingest_sample(SAMPLES[0], rep_id=users[Role.REP], deal_id=deal.id, call_date=date(2026, 3, 1)),
               ingest_sample(SAMPLES[1], rep_id=users[Role.MANAGER], call_date=date(2026, 2, 1)),
               ingest_sample(SAMPLES[2])]
        return ids


def _results(app) -> list[tuple[int, list[int], dict]]:
    with app.app_context():
        index = get_index()
        out = []
        for q in QUERIES:
            r = index.search(q)
            out.append((r.total, [h.id for h in r.hits], r.facets))
        return out


def test_a_bite_document_carries_call_rep_deal_and_tags(app, library):
    with app.app_context():
        call = call_of(library[0])
        doc = bite_doc(call.bites[0])
        assert doc.call_id == call.id and doc.call_title == call.title and doc.title == call.bites[0].title
        assert doc.rep == "Rep User" and doc.outcome == "won" and doc.call_date == date(2026, 3, 1)
        assert doc.stage == "negotiation" and doc.language == "en"
        assert "price" in doc.tags["objection"] and "stage" not in doc.tags
        assert bite_doc(call_of(library[2]).bites[0]).outcome == "none"


def test_every_ready_bite_is_searchable_by_text_and_facets(app, library):
    results = dict(zip(["expensive", "salesforce", "manager", "price", "gong", "closing", "won", "quarter"],
                       _results(app), strict=True))
    assert results["expensive"][0] == 1 and results["price"][0] == 1
    assert results["gong"][0] >= 1 and results["closing"][0] >= 1 and results["won"][0] == 2
    with app.app_context():
        assert get_index().count() == sum(len(call_of(i).bites) for i in library)


def test_rebuild_gives_the_same_results(app, runner, library):
    before = _results(app)
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        total = sum(len(call_of(i).bites) for i in library)
    assert f"search index rebuilt: {total} bites of 3 calls" in result.output
    assert _results(app) == before


def test_rebuild_repairs_a_corrupted_index(app, runner, library):
    before = _results(app)
    with app.app_context():
        get_index().close()  # type: ignore[attr-defined]
    for segment in app.config["INDEX_DIR"].glob("*.seg"):
        segment.write_bytes(b"\x00garbage" * 100)
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "the old index was unreadable and was replaced" in result.output
    app.extensions.pop("search", None)  # a fresh process opens the repaired files
    assert _results(app) == before


def test_rebuild_cuts_bites_again_from_transcript_files(app, runner, library):
    before = _results(app)
    with app.app_context():
        db.session.execute(delete(Bite).where(Bite.call_id == library[1]))
        db.session.commit()
    result = runner.invoke(args=["search", "rebuild"])
    assert "1 calls cut into bites again from their transcript files" in result.output
    with app.app_context():
        assert len(call_of(library[1]).bites) == 2
    after = _results(app)
    # Bite ids of the re-cut call changed; the counts and facets are the same.
    assert [(t, f) for t, _, f in after] == [(t, f) for t, _, f in before]


def test_archived_and_retired_bites_stay_out_of_the_index(app, runner, library):
    with app.app_context():
        index = get_index()
        total = index.count()
        archived, retired = call_of(library[0]).bites[0], call_of(library[1]).bites[1]
        gone = {archived.id, retired.id}
        assert {h.id for h in index.search(SearchQuery(per_page=50)).hits} >= gone
        archived.archived_at = retired.retired_at = utcnow()
        db.session.commit()
        archived_id = archived.id

        # Indexing them again takes them out; indexing their calls leaves them out.
        assert index_bites([archived.id, retired.id]) == 0
        assert index.count() == total - 2
        assert index_call(library[0]) == len(call_of(library[0]).bites) - 1
        assert index_call(library[1]) == len(call_of(library[1]).bites) - 1
        assert not gone & {h.id for h in index.search(SearchQuery(per_page=50)).hits}
        assert index.count() == total - 2

    result = runner.invoke(args=["search", "rebuild"])
    assert f"search index rebuilt: {total - 2} bites of 3 calls" in result.output
    with app.app_context():
        index = get_index()
        assert index.count() == total - 2
        assert not gone & {h.id for h in index.search(SearchQuery(per_page=50)).hits}
        # Restored, a bite comes back.
        bite = db.session.get(Bite, archived_id)
        bite.archived_at = None
        db.session.commit()
        assert index_bites([bite.id]) == 1 and index.count() == total - 1


def test_remove_bites_takes_bites_out_of_the_index(app, library):
    with app.app_context():
        index = get_index()
        total = index.count()
        ids = [b.id for b in call_of(library[2]).bites]
        remove_bites(ids + [999999])
        assert index.count() == total - len(ids)
        assert index.search(SearchQuery(filters={"stage": ["closing"]})).total == 0
