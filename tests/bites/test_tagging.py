"""Finding taxonomy phrases in timed words, the way search matches them."""

from __future__ import annotations

import numpy as np

from enable.bites.sentences import split_sentences
from enable.bites.tagging import MeaningExamples, Tagger, TagHit, TagMatch, TagPhrase
from enable.transcription.types import Word

PHRASES = [
    TagPhrase("price", "objection", "en", "too expensive"),
    TagPhrase("price", "objection", "en", "no budget"),
    TagPhrase("price", "objection", "ru", "дорого"),
    TagPhrase("price", "objection", "ru", "нет бюджета"),
    TagPhrase("timing", "objection", "en", "next quarter"),
    TagPhrase("timing", "objection", "ru", "не сейчас"),
    TagPhrase("authority", "objection", "en", "I need to check with my boss"),
    TagPhrase("authority", "objection", "ru", "надо согласовать с руководством"),
    TagPhrase("competitor", "objection", "ru", "у нас уже есть"),
    TagPhrase("gong", "competitor", "en", "Gong"),
    TagPhrase("price", "objection", "fa", "خیلی گران"),
]


def spoken(text: str, start: float = 0.0, speaker: str | None = None, step: float = 0.5) -> list[Word]:
    """Words as faster-whisper gives them: a leading space, punctuation attached."""
    return [
        Word(start + i * step, start + i * step + 0.4, f" {token}", 0.9, speaker)
        for i, token in enumerate(text.split())
    ]


def keys(hits: list[TagHit]) -> set[tuple[str, str]]:
    return {(h.kind, h.tag_key) for h in hits}


def test_english_phrase_found_regardless_of_case_and_punctuation() -> None:
    hits = Tagger(PHRASES).tag(spoken("Honestly, it is Too expensive! for us"))
    assert hits == [TagHit("price", "objection", "too expensive", 1.5, sentence="Honestly, it is Too expensive!")]


def test_russian_phrase_matches_other_word_forms() -> None:
    hits = Tagger(PHRASES).tag(spoken("Слушайте, Дорого, очень дорого."))
    assert hits == [TagHit("price", "objection", "дорого", 0.5, sentence="Слушайте, Дорого, очень дорого.")]
    assert keys(Tagger(PHRASES).tag(spoken("Нет бюджета на это"))) == {("objection", "price")}
    assert keys(Tagger([TagPhrase("p", "topic", "ru", "цены")]).tag(spoken("какая цена?"))) == {("topic", "p")}


def test_stemmed_english_forms_match() -> None:
    tagger = Tagger([TagPhrase("price", "topic", "en", "prices")])
    assert keys(tagger.tag(spoken("what is the price"))) == {("topic", "price")}


def test_multi_word_phrase_across_word_boundaries_and_commas() -> None:
    words = spoken("Well I need to check, with my boss first.", start=10.0)
    hits = Tagger(PHRASES).tag(words)
    assert hits == [TagHit("authority", "objection", "I need to check with my boss", 10.5,
                           sentence="Well I need to check, with my boss first.")]
    ru = Tagger(PHRASES).tag(spoken("Это надо согласовать с руководством."))
    assert keys(ru) == {("objection", "authority")}


def test_a_sentence_end_or_a_change_of_speaker_breaks_a_phrase() -> None:
    assert Tagger(PHRASES).tag(spoken("That is too. Expensive things are fine")) == []
    words = spoken("it is too", speaker="rep") + spoken("expensive", start=2.0, speaker="buyer")
    assert Tagger(PHRASES).tag(words) == []


def test_one_hit_per_tag_at_its_first_occurrence() -> None:
    words = spoken("we have no budget and it is too expensive, no budget at all")
    hits = Tagger(PHRASES).tag(words)
    assert [(h.tag_key, h.phrase, h.start_s) for h in hits] == [("price", "no budget", 1.0)]


def test_several_tags_ordered_by_time() -> None:
    words = spoken("We use Gong today. Maybe next quarter, it is too expensive now")
    hits = Tagger(PHRASES).tag(words)
    assert [(h.tag_key, h.start_s) for h in hits] == [("gong", 1.0), ("timing", 2.5), ("price", 4.5)]


def test_persian_phrase_matches_arabic_letter_variants() -> None:
    # Typed with Arabic yeh and kaf in the transcript, Persian letters in the taxonomy.
    hits = Tagger(PHRASES).tag(spoken("این خيلي گران است"))
    assert keys(hits) == {("objection", "price")}


def test_no_false_positives_from_unrelated_or_partial_words() -> None:
    tagger = Tagger(PHRASES)
    assert tagger.tag(spoken("The budgeting tool is expensive to run, no worries")) == []
    assert tagger.tag(spoken("Going along; nothing next to the quarterback")) == []
    assert tagger.tag(spoken("Не сегодня, но дорожка свободна")) == []


def test_phrases_without_words_are_ignored() -> None:
    tagger = Tagger([TagPhrase("x", "topic", "en", "?!"), *PHRASES])
    assert keys(tagger.tag(spoken("too expensive"))) == {("objection", "price")}
    assert Tagger([]).tag(spoken("anything")) == []


def _unit(*rows: list[float]) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


MEANING_PHRASES = (TagPhrase("price", "objection", "en", "costs more than planned"),
                   TagPhrase("timing", "objection", "en", "not this quarter"),
                   TagPhrase("onboarding", "topic", "en", "getting started"))


def _examples(**overrides) -> MeaningExamples:
    values = {"model": "test", "owners": MEANING_PHRASES, "vectors": _unit([1, 0, 0], [0, 1, 0], [0, 0, 1]),
              "thresholds": {"objection": 0.8, "topic": 0.8}}
    return MeaningExamples(**{**values, **overrides})


def test_a_sentence_close_to_an_example_is_tagged_by_meaning_with_its_evidence():
    words = spoken("We never planned on spending that. Fine, let's go on.")
    sentences = split_sentences(words)
    assert [s.text for s in sentences] == ["We never planned on spending that.", "Fine, let's go on."]
    hits = Tagger(MEANING_PHRASES, _examples()).tag(words, sentences, _unit([0.95, 0.1, 0], [0.3, 0.3, 0.3]))
    assert [(h.tag_key, h.match, h.phrase, h.sentence) for h in hits] == [
        ("price", TagMatch.MEANING, "costs more than planned", "We never planned on spending that.")]
    assert hits[0].start_s == words[0].start and 0.99 < hits[0].score <= 1.0


def test_a_sentence_means_at_most_one_tag_of_a_kind_but_may_mean_tags_of_several_kinds():
    words = spoken("Not now, and how do we start?")
    hits = Tagger(MEANING_PHRASES, _examples()).tag(words, None, _unit([0.7, 0.71, 0.7]))
    assert {(h.kind, h.tag_key) for h in hits} == set()  # nothing within 0.8
    hits = Tagger(MEANING_PHRASES, _examples(thresholds={"objection": 0.5, "topic": 0.5})).tag(
        words, None, _unit([0.69, 0.71, 0.7]))
    assert {(h.kind, h.tag_key) for h in hits} == {("objection", "timing"), ("topic", "onboarding")}


def test_a_literal_match_wins_over_meaning_and_kinds_without_threshold_match_literally_only():
    words = spoken("It is too expensive.")
    tagger = Tagger([*PHRASES, *MEANING_PHRASES], _examples(owners=(*PHRASES[:3], *MEANING_PHRASES),
                                                            vectors=_unit(*[[0, 0, 1]] * 3, [1, 0, 0], [0, 1, 0],
                                                                          [0, 0, 1]),
                                                            thresholds={"objection": 0.8}))
    hits = tagger.tag(words, None, _unit([1, 0, 0.2]))
    assert [(h.tag_key, h.match) for h in hits] == [("price", TagMatch.LITERAL)]
    assert hits[0].sentence == "It is too expensive." and hits[0].score is None


def test_a_rejected_moment_suppresses_sentences_at_least_as_close_to_it():
    examples = _examples(negative_owners=(("objection", "price"),), negatives=_unit([0.9, 0.1, 0]))
    words = spoken("Spending that was never planned. We never planned on spending that.")
    hits = Tagger(MEANING_PHRASES, examples).tag(words, None, _unit([0.9, 0.12, 0], [1, 0.02, 0]))
    # The first is nearer the rejected moment than the example: suppressed; the second is nearer the example.
    assert [(h.tag_key, h.sentence) for h in hits] == [("price", "We never planned on spending that.")]


def test_sentences_break_at_speaker_changes_and_after_forty_words():
    words = spoken("one two three", speaker="rep") + spoken("four five", speaker="customer")
    assert [(s.text, s.speaker) for s in split_sentences(words)] == [("one two three", "rep"),
                                                                     ("four five", "customer")]
    long = spoken(" ".join(["word"] * 90))
    assert [s.last_word - s.first_word + 1 for s in split_sentences(long, offset=10)] == [40, 40, 10]
    assert split_sentences(long, offset=10)[1].first_word == 50


def test_speech_in_an_unsupported_language_means_nothing_either():
    # Misheard words (tiny.en hearing German) neither match a phrase nor mean a tag; the next sentence still does.
    words = spoken("It is too expensive. We never planned on spending that.")
    sentences = split_sentences(words)
    misheard = {id(w) for w in words[: sentences[0].last_word + 1]}
    tagger = Tagger([*PHRASES, *MEANING_PHRASES], _examples())
    hits = tagger.tag(words, sentences, _unit([1, 0, 0], [0.95, 0.1, 0]), skip=misheard)
    assert [(h.tag_key, h.match, h.sentence) for h in hits] == [
        ("price", TagMatch.MEANING, "We never planned on spending that.")]
    every = {id(w) for w in words}
    assert tagger.tag(words, sentences, _unit([1, 0, 0], [0.95, 0.1, 0]), skip=every) == []
