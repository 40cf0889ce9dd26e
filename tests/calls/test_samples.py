"""The sample calls that ship with Enable: made by the project (two voices on two channels, English and Russian),
small, transcribed ahead, and imported for the demo without the speech model, once."""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml
from sqlalchemy import select

from enable.bites.models import Bite, BiteTag
from enable.calls.models import Call, CallStatus
from enable.calls.samples import SAMPLES_DIR, load_sample_calls
from enable.demo import ensure_demo_users
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.indexing import get_index
from enable.taxonomy.models import Tag, TagKind
from tests.calls.helpers import load_content

ENTRIES = yaml.safe_load((SAMPLES_DIR / "calls.yaml").read_text(encoding="utf-8"))["calls"]
SLUGS = [e["slug"] for e in ENTRIES]


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False
    return app_config


def _transcript(slug: str) -> dict:
    return json.loads((SAMPLES_DIR / f"{slug}.json").read_text(encoding="utf-8"))


def test_samples_ship_script_audio_transcript_and_captions_and_stay_small():
    assert len(SLUGS) >= 6 and len(set(SLUGS)) == len(SLUGS)
    for slug in SLUGS:
        for suffix in (".txt", ".ogg", ".json", ".vtt"):
            assert (SAMPLES_DIR / f"{slug}{suffix}").is_file(), f"{slug}{suffix}"
        assert (SAMPLES_DIR / f"{slug}.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    sizes = {slug: (SAMPLES_DIR / f"{slug}.ogg").stat().st_size for slug in SLUGS}
    assert max(sizes.values()) < 800_000, sizes
    assert sum(sizes.values()) < 3_000_000, sizes
    # every script in the folder is listed, so make_samples.py and the demo agree
    assert {p.stem for p in SAMPLES_DIR.glob("*.txt")} == set(SLUGS)


def test_every_sample_is_two_voices_on_two_channels_in_its_language():
    for entry in ENTRIES:
        transcript = _transcript(entry["slug"])
        language = entry.get("language", "en")
        assert transcript["channels"] == 2 and transcript["speakers"] == ["rep", "customer"], entry["slug"]
        assert transcript["language"] == language
        assert transcript["model"] == ("tiny.en" if language == "en" else "base")
        said = {s["speaker"] for s in transcript["segments"]}
        assert said == {"rep", "customer"}
        assert 0.2 < transcript["stats"]["talk_ratio"]["rep"] < 0.8


def _labels(slug: str) -> set[str]:
    """The labels of the script's lines (`customer [objection:price]: ...`)."""
    lines = (SAMPLES_DIR / f"{slug}.txt").read_text(encoding="utf-8").splitlines()
    return {line.split("[", 1)[1].split("]", 1)[0] for line in lines if "[" in line.partition(":")[0]}


def test_samples_cover_the_stages_objections_and_both_languages():
    assert {e["stage"] for e in ENTRIES} >= {"discovery", "demo", "negotiation", "closing"}
    assert {e.get("language", "en") for e in ENTRIES} == {"en", "ru"}
    labels = set().union(*(_labels(slug) for slug in SLUGS))
    assert labels >= {"objection:price", "objection:competitor", "objection:timing", "objection:authority"}


def _objection_bites(key: str) -> dict[str, list[str]]:
    """Sample slug -> evidence phrases of the bites tagged with the objection."""
    rows = db.session.execute(
        select(Call.title, BiteTag.phrase).select_from(BiteTag).join(Bite).join(Call).join(Tag)
        .where(Tag.kind == TagKind.OBJECTION, Tag.key == key, BiteTag.is_removed.is_(False))
    ).all()
    by_title = {e["title"]: e["slug"] for e in ENTRIES}
    found: dict[str, list[str]] = {}
    for title, phrase in rows:
        found.setdefault(by_title[title], []).append(phrase)
    return found


def test_demo_step_imports_the_samples_once_tagged_and_searchable(app):
    with app.app_context():
        load_content()
        users = ensure_demo_users()
        db.session.commit()
        message = load_sample_calls(users, today=date(2026, 5, 10))
        assert message == f"{len(ENTRIES)} sample calls imported, 0 already there"
        calls = {c.title: c for c in db.session.scalars(select(Call).order_by(Call.id))}
        assert [c.status for c in calls.values()] == [CallStatus.READY] * len(ENTRIES)
        northwind = calls["Northwind: revised quote and price objection"]
        assert northwind.rep.email == "rep@example.test" and northwind.call_date == date(2026, 5, 4)
        assert all(len(c.bites) >= 1 and c.stats["talk_ratio"] for c in calls.values())
        russian = [c for c in calls.values() if c.language == "ru"]
        assert len(russian) == 2 and all(b.language == "ru" for c in russian for b in c.bites)

        # each objection tags the calls whose script has a customer raise it, and no other call
        for key in ("price", "competitor", "timing", "authority"):
            assert set(_objection_bites(key)) == {slug for slug in SLUGS if f"objection:{key}" in _labels(slug)}, key
        assert set(_objection_bites("price")) == {"negotiation-price", "ru-negotiation-price"}
        # Russian tagging: the Russian phrase of the taxonomy, found with Russian stemming
        assert {p.casefold() for p in _objection_bites("price")["ru-negotiation-price"]} & {"дорого", "слишком дорого"}
        assert "у нас уже есть" in _objection_bites("competitor")["ru-discovery-competitor"]

        index = get_index()
        assert index.search(SearchQuery(filters={"objection": ["price"]})).total == 2
        assert index.search(SearchQuery(text="Salesforce")).total >= 1
        count = index.count()

        assert load_sample_calls(users) == f"0 sample calls imported, {len(ENTRIES)} already there"
        assert len(db.session.scalars(select(Call)).all()) == len(ENTRIES) and index.count() == count


def test_the_russian_sample_is_found_by_a_russian_search(app):
    """Re-sliced and indexed from its shipped transcript, the Russian call answers Russian queries."""
    from tests.calls.helpers import ingest_sample

    with app.app_context():
        load_content()
        call_id = ingest_sample("ru-negotiation-price", stage="negotiation", language="ru")
        bites = list(db.session.scalars(select(Bite).where(Bite.call_id == call_id).order_by(Bite.seq)))
        price_bites = {b.id for b in bites if "дорого" in b.text}
        assert price_bites
        index = get_index()
        hits = index.search(SearchQuery(text="дорого")).hits
        assert {h.id for h in hits} == price_bites and "<mark>" in hits[0].snippet
        # the transcript says «ваша цена»; a search for «цены» finds it through the Russian stemmer
        assert "цена" in " ".join(b.text for b in bites).casefold()
        assert "цены" not in " ".join(b.text for b in bites).casefold()
        assert {h.id for h in index.search(SearchQuery(text="цены")).hits} == {b.id for b in bites if "цена" in b.text}
        assert index.search(SearchQuery(text="дорого", filters={"language": ["ru"]})).total == len(price_bites)
        assert index.search(SearchQuery(text="дорого", filters={"language": ["en"]})).total == 0
