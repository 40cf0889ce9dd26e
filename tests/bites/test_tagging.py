"""Finding taxonomy phrases in timed words, the way search matches them."""

from __future__ import annotations

from enable.bites.tagging import Tagger, TagHit, TagPhrase
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
    assert hits == [TagHit("price", "objection", "too expensive", 1.5)]


def test_russian_phrase_matches_other_word_forms() -> None:
    hits = Tagger(PHRASES).tag(spoken("Слушайте, Дорого, очень дорого."))
    assert hits == [TagHit("price", "objection", "дорого", 0.5)]
    assert keys(Tagger(PHRASES).tag(spoken("Нет бюджета на это"))) == {("objection", "price")}
    assert keys(Tagger([TagPhrase("p", "topic", "ru", "цены")]).tag(spoken("какая цена?"))) == {("topic", "p")}


def test_stemmed_english_forms_match() -> None:
    tagger = Tagger([TagPhrase("price", "topic", "en", "prices")])
    assert keys(tagger.tag(spoken("what is the price"))) == {("topic", "price")}


def test_multi_word_phrase_across_word_boundaries_and_commas() -> None:
    words = spoken("Well I need to check, with my boss first.", start=10.0)
    hits = Tagger(PHRASES).tag(words)
    assert hits == [TagHit("authority", "objection", "I need to check with my boss", 10.5)]
    ru = Tagger(PHRASES).tag(spoken("Это надо согласовать с руководством."))
    assert keys(ru) == {("objection", "authority")}


def test_a_sentence_end_or_a_change_of_speaker_breaks_a_phrase() -> None:
    assert Tagger(PHRASES).tag(spoken("That is too. Expensive things are fine")) == []
    words = spoken("it is too", speaker="rep") + spoken("expensive", start=2.0, speaker="buyer")
    assert Tagger(PHRASES).tag(words) == []


def test_one_hit_per_tag_at_its_first_occurrence() -> None:
    words = spoken("we have no budget and it is too expensive, no budget at all")
    hits = Tagger(PHRASES).tag(words)
    assert hits == [TagHit("price", "objection", "no budget", 1.0)]


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
