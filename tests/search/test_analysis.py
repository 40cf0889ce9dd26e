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


# Russian word families (issue 23, item 1): every form of a word analyses to one term.
RUSSIAN_FAMILIES = {
    # An adjective in every gender, case and number, its short forms, its comparative and its adverb.
    "дорогой": [
        "дорогой", "дорогого", "дорогому", "дорогим", "дорогом",
        "дорогая", "дорогую", "дорогою",
        "дорогое", "дорогие", "дорогих", "дорогими",
        "дорог", "дорога", "дорого", "дороги", "дороже",
    ],
    "дешёвый": ["дешёвый", "дешевая", "дешевое", "дешевые", "дешевых", "дешев", "дешева", "дешево", "дешевле"],
    # Nouns in all six cases, singular and plural.
    "стоимость": ["стоимость", "стоимости", "стоимостью", "стоимостей", "стоимостям", "стоимостями", "стоимостях"],
    "цена": ["цена", "цены", "цене", "цену", "ценой", "ценою", "цен", "ценам", "ценами", "ценах"],
    "договор": ["договор", "договора", "договору", "договором", "договоре", "договоры", "договоров", "договорам",
                "договорами", "договорах"],
    "звонок": ["звонок", "звонка", "звонку", "звонком", "звонке", "звонков", "звонкам", "звонками", "звонках"],
    # Verbs: infinitive, present/future, past in every gender, imperative, participles, gerund.
    "прислать": ["прислать", "пришлю", "пришлёт", "пришлите", "прислал", "прислала", "прислали", "присланный",
                 "прислав"],
    "идти": ["идти", "иду", "идёт", "идут", "шёл", "шла", "шло", "шли", "иди"],
    "согласовать": ["согласовать", "согласую", "согласует", "согласовали", "согласована", "согласованный"],
}


@pytest.mark.parametrize(("lemma", "forms"), list(RUSSIAN_FAMILIES.items()), ids=list(RUSSIAN_FAMILIES))
def test_a_russian_word_family_analyses_to_one_term(lemma: str, forms: list[str]) -> None:
    expected = terms(lemma)
    assert len(expected) == 1
    missed = [form for form in forms if terms(form) != expected]
    assert missed == []


def test_russian_families_stay_apart() -> None:
    families = [terms(lemma)[0] for lemma in RUSSIAN_FAMILIES]
    assert len(set(families)) == len(families)
    assert terms("стоимость") != terms("стоит")  # another root: the meaning search's job, not the analyser's


def test_a_token_mixing_scripts_is_stemmed_not_lemmatised() -> None:
    assert terms("сh") == ["сh"]
