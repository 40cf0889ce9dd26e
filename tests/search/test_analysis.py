"""Text normalisation and stemming shared by tagging and search."""

from __future__ import annotations

import pytest

from enable.analysis import normalize, stem_analyzer, terms


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Too EXPENSIVE!", "too expensive!"),
        ("Café résumé naïve", "cafe resume naive"),
        ("Straße", "strasse"),
        ("Ёлка", "елка"),
        ("Йогурт и чай", "йогурт и чай"),
        ("ﬁle", "file"),  # NFKC folds the ligature
        ("علي", "علی"),  # Arabic yeh -> Persian yeh
        ("موسى", "موسی"),  # alef maksura -> Persian yeh
        ("كتاب", "کتاب"),  # Arabic kaf -> keheh
        ("می\u200cخواهم", "میخواهم"),  # ZWNJ removed inside a word
        ("كَتَبَ", "کتب"),  # harakat removed
        ("آب", "اب"),  # madda folded
        ("۱۲۳ and ١٢٣", "123 and 123"),
    ],
)
def test_normalize_folds_case_accents_and_persian_variants(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("prices", "price"),
        ("Expensive", "expensive"),
        ("цены", "цена"),
        ("Дорого,", "дорого"),
        ("бюджета", "бюджет"),
        ("می‌خواهم", "ميخواهم"),
        ("كتاب", "کتاب"),
    ],
)
def test_word_forms_analyse_to_the_same_term(a: str, b: str) -> None:
    assert terms(a) == terms(b)
    assert len(terms(a)) == 1


def test_different_words_stay_different() -> None:
    assert terms("price") != terms("prize")
    assert terms("цена") != terms("цель")
    assert terms("не") != terms("нет")


def test_stop_words_are_kept_in_order_so_phrases_work() -> None:
    assert terms("not now") == ["not", "now"]
    assert terms("I need to check with my boss") == ["i", "need", "to", "check", "with", "my", "boss"]
    assert terms("нет бюджета") == ["нет", "бюджет"]


def test_punctuation_is_dropped_and_numbers_kept() -> None:
    assert terms("Too expensive!!! — really?") == terms("too expensive really")
    assert terms("1C, v2.5") == ["1c", "v2.5"]


def test_tokens_keep_offsets_into_the_original_text() -> None:
    text = "Ну, می\u200cخواهم Цены!"
    tokens = [(t.text, text[t.startchar : t.endchar]) for t in stem_analyzer()(text, chars=True)]
    assert [original for _, original in tokens] == ["Ну", "می\u200cخواهم", "Цены"]
    assert [term for term, _ in tokens] == terms(text)
