"""The whole pipeline on real recordings with the real speech model (tiny.en): transcribe, slice, tag, index."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from enable import create_app, pipeline
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.indexing import get_index
from enable.taxonomy.models import Tag, TagKind
from tests.calls.helpers import AUDIO, call_of, hostile_files, load_content
from tests.conftest import base_config

pytestmark = pytest.mark.slow

DIALOGUE = json.loads((AUDIO / "sales_dialogue.json").read_text(encoding="utf-8"))


def _labelled(label: str) -> dict:
    return next(line for line in DIALOGUE["lines"] if line["label"] == label)


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory):
    """The synthesized five-minute stereo sales call, ingested once for the module: (app, call id, progress)."""
    app = create_app(base_config(tmp_path_factory.mktemp("dialogue"), REP_CHANNEL=0))
    seen: list[float] = []
    with app.app_context():
        db.create_all()
        load_content()
        call = calls.accept_file(AUDIO / "sales_dialogue.ogg", calls.CallDetails(stage="discovery")).call
        db.session.commit()
        pipeline.ingest_call(call.id, progress=lambda status, f: seen.append(f) if status == "transcribing" else None)
        call_id = call.id
    yield app, call_id, seen
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_dialogue_becomes_ready_with_progress_reported(dialogue):
    app, call_id, seen = dialogue
    with app.app_context():
        call = call_of(call_id)
        assert call.status == CallStatus.READY, call.error
        assert call.progress == 1.0 and call.transcribed_at is not None and call.model == "tiny.en"
    assert len(seen) > 5 and seen == sorted(seen) and seen[-1] == 1.0


def test_bites_between_45_and_150_seconds_cover_the_whole_call(dialogue):
    app, call_id, _ = dialogue
    with app.app_context():
        call = call_of(call_id)
        transcript = calls.read_transcript(call_id)
        words = list(transcript.words())
        bites = call.bites
        assert len(bites) >= 2
        assert all(45 <= b.duration_s <= 150 for b in bites), [b.duration_s for b in bites]
        assert bites[0].first_word == 0 and bites[-1].last_word == len(words) - 1
        assert bites[0].start_s == words[0].start and bites[-1].end_s == words[-1].end
        for a, b in zip(bites, bites[1:], strict=False):
            assert b.first_word == a.last_word + 1  # every word in exactly one bite, never cut inside one
        assert words[0].start < DIALOGUE["lines"][0]["start"] + 3
        assert words[-1].end > DIALOGUE["lines"][-1]["end"] - 3


@pytest.mark.parametrize(("label", "kind", "key"), [("objection:price", TagKind.OBJECTION, "price"),
                                                    ("objection:competitor", TagKind.OBJECTION, "competitor"),
                                                    ("objection:competitor", TagKind.COMPETITOR, "gong")])
def test_objections_tag_the_bites_where_they_are_spoken_and_no_others(dialogue, label, kind, key):
    app, call_id, _ = dialogue
    line = _labelled(label)
    with app.app_context():
        tagged, spoken_in = [], []
        for bite in call_of(call_id).bites:
            rows = [r for r in bite.tags if r.tag.kind == kind and r.tag.key == key]
            if rows:
                tagged.append(bite.seq)
                assert line["start"] - 3 <= rows[0].at_s <= line["end"] + 3  # evidence: the second it was said
            if bite.start_s <= line["start"] + 1 and line["end"] - 1 <= bite.end_s + 1:
                spoken_in.append(bite.seq)
        assert tagged == spoken_in and len(tagged) == 1
        hits = get_index().search(SearchQuery(filters={kind.value: [key]}))
        assert hits.total == 1


def test_speakers_are_rep_and_customer_with_conversation_stats(dialogue):
    app, call_id, _ = dialogue
    with app.app_context():
        call = call_of(call_id)
        transcript = calls.read_transcript(call_id)
        assert transcript.speakers == ["rep", "customer"]
        price = _labelled("objection:price")
        said = [s for s in transcript.segments if price["start"] - 2 <= s.start <= price["end"]]
        assert said and {s.speaker for s in said} == {"customer"}
        assert {s for b in call.bites for s in b.speakers} == {"rep", "customer"}
        assert set(call.stats["talk_ratio"]) == {"rep", "customer"}
        assert call.stats["questions"]["rep"] >= 3 and call.stats["longest_monologue"]["speaker"] in ("rep", "customer")
        assert all(call.stage == "discovery" for _ in call.bites)
        assert all("discovery" in {r.tag.key for r in b.tags} for b in call.bites)


@pytest.mark.audio
def test_jfk_through_the_cli(app, runner, shared_audio):
    result = runner.invoke(args=["calls", "ingest", str(shared_audio / "jfk.flac"), "--wait", "--title", "JFK"])
    assert result.exit_code == 0, result.output
    assert "call 1: 1 bites" in result.output
    with app.app_context():
        transcript = calls.read_transcript(1)
        assert "ask not what your country can do for you" in _normalise(transcript.text)
        words = list(transcript.words())
        starts = [w.start for w in words]
        assert starts == sorted(starts) and all(w.start <= w.end for w in words)
        assert words[0].start >= 0 and words[-1].end <= transcript.duration_s + 0.01
        assert call_of(1).title == "JFK" and call_of(1).status == CallStatus.READY


@pytest.mark.audio
def test_a_two_channel_recording_yields_two_speakers(app, shared_audio):
    with app.app_context():
        call = calls.accept_file(shared_audio / "stereo_diarization.wav", calls.CallDetails()).call
        db.session.commit()
        call = pipeline.ingest_call(call.id)
        assert call.status == CallStatus.READY, call.error
        transcript = calls.read_transcript(call.id)
        assert set(transcript.speakers) == {"rep", "customer"}
        assert {s.speaker for s in transcript.segments} == {"rep", "customer"}


@pytest.mark.audio
def test_taxonomy_names_are_hotwords(app, shared_audio):
    with app.app_context():
        load_content()
        db.session.add(Tag(kind=TagKind.PRODUCT, key="comfyui", names={"en": "ComfyUI"}))
        db.session.commit()
        call = calls.accept_file(shared_audio / "hotwords.mp3", calls.CallDetails()).call
        db.session.commit()
        call = pipeline.ingest_call(call.id)
        assert call.status == CallStatus.READY, call.error
        assert "ComfyUI" in calls.read_transcript(call.id).text


def test_a_batch_with_broken_files_fails_them_with_reasons_and_keeps_the_rest(app, runner, tmp_path):
    bad = hostile_files(tmp_path)
    files = [bad["corrupt"], AUDIO / "short_en.ogg", bad["empty"], AUDIO / "silence.ogg", bad["text"]]
    with app.app_context():
        load_content()
    result = runner.invoke(args=["calls", "ingest", *map(str, files), "--wait", "--stage", "negotiation"])
    assert result.exit_code == 1
    out = result.output
    assert "corrupt.ogg: refused: This file is not audio or video we can read" in out
    assert "empty.wav: refused: The file is empty: it holds no recording." in out
    assert "notes.mp3: refused: This file is not audio or video we can read" in out
    assert "3 of 5 file(s) failed" not in out and "4 of 5 file(s) failed" in out
    with app.app_context():
        calls_ = {c.original_filename: c for c in db.session.scalars(select(Call))}
        assert set(calls_) == {"corrupt.ogg", "short_en.ogg", "empty.wav", "silence.ogg", "notes.mp3"}
        for name in ("corrupt.ogg", "empty.wav", "notes.mp3"):  # each a failed call with a readable reason
            broken = calls_[name]
            assert broken.status == CallStatus.FAILED and broken.bites == [], name
            assert broken.error.startswith(("This file is not audio or video we can read", "The file is empty"))
            assert f"(call {broken.id}, failed)" in out
        short, silence = calls_["short_en.ogg"], calls_["silence.ogg"]
        assert short.status == CallStatus.READY and len(short.bites) == 1
        assert f"call {short.id}: 1 bites" in out
        assert "price" in {r.tag.key for r in short.bites[0].tags}
        assert silence.status == CallStatus.FAILED and "No speech was found" in silence.error
        assert f"call {silence.id}: failed: No speech was found" in out
        assert silence.bites == []
