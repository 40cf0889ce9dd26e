"""How text is normalised and stemmed: the one definition shared by tagging and the search index.

A tag phrase must match exactly what search would match, so both sides analyse text here.

Normalisation (``normalize``), applied to every token:

- Unicode NFKC, then case folding ("Straße" -> "strasse").
- Accents folded on Latin, Greek and Cyrillic letters ("é" -> "e", "ё" -> "е"), except "й",
  which is a letter of its own in Russian and stays.
- Persian: Arabic yeh "ي" and alef maksura "ى" -> Persian yeh "ی"; Arabic kaf "ك" -> keheh "ک";
  Arabic diacritics (harakat, superscript alef, hamza and madda marks) removed, so "أ", "إ"
  and "آ" all become "ا" and "ۀ" becomes "ه"; tatweel "ـ" removed; Arabic-Indic and Persian
  digits become ASCII digits.
- The zero-width non-joiner (U+200C) and joiner (U+200D) are removed and the two halves joined,
  so "می‌خواهم" (typed with ZWNJ) and "میخواهم" (typed without) are the same token. The tokenizer
  keeps ZWNJ inside a word for this reason. The variant typed with a plain space stays two words.

Stemming (``stem_analyzer``) after normalisation: Russian words (Cyrillic letters only) are
lemmatised by pymorphy3 with its OpenCorpora dictionary, and the lemma, normalised, goes through the
Russian Snowball stemmer; other tokens with a Cyrillic first letter go through Snowball alone; Latin
ones through the English Snowball stemmer; Persian and other scripts, and any token containing a
digit ("1c", "q3"), are left as they are. Stop words are kept, so phrase queries and tag phrases such
as "not now" keep every word.

Why a lemma and then a stem: Snowball alone cut one family several ways ("дорого" -> "дор",
"дорогой" -> "дорог"), and missed irregular forms ("шёл" / "идти"). The lemma joins the inflected
forms of a word (all cases, genders, numbers, short forms, comparatives, conjugations, participles
and gerunds: "дорогая", "дорогую", "дороже" -> "дорогой"; "пропишу" -> "прописать"), and stemming the
lemma then joins a word's adverb and its adjective ("дорого" -> "дорог" as "дорогой"), and keeps the
ambiguity of homographs harmless ("дорогой" is also a form of "дорога": both stem to "дорог").
The lemma chosen is the dictionary's most likely one, except that an adverb or predicative which is
also a short adjective takes the adjective ("дорого", "хорошо"). Words of another root stay apart:
"стоимость" does not find "стоит" (the meaning search is the remedy there).

The stemmers are Snowball's own (PyStemmer, in C). Snowball only rewrites the end of a word (the
regions after its first vowel), so a stem starts with its word's first letter; a lemma need not
("шёл" -> "идти" -> "идт"). So: a token's term starts with the token's own first letter unless the
token is Cyrillic (``may_change_first_letter``); snippets rely on that to analyse only the words that
can match (``search.whoosh_backend._marked_words``). Whoosh's pure-Python port of Snowball broke even
that: it spells Russian in Latin letters and back, so "ъ" came out as "ь" and a token mixing scripts
("сh") as another letter ("ш").

Speed: every function here is cached per distinct token (``lru_cache``), so the dictionary is
consulted once per word form; the dictionary itself loads on the first Russian word (about 0.1 s).

Index compatibility: the schema of a Whoosh index pickles these filter classes by their import
path. Renaming them, or changing what they produce, requires rebuilding the index
(``flask search rebuild``).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import pymorphy3
import Stemmer
from whoosh.analysis import Filter, RegexTokenizer, Token
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.lang.stopwords import stoplists

# Combining marks that may occur inside a word: Latin/Cyrillic combining diacritics and the
# Arabic-script marks. Python's \w does not match them, and without them a word typed with
# diacritics ("كَتَبَ") would be split into letters.
_MARKS = "\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
_WORD = rf"[\w{_MARKS}\u200c\u200d]+"
# A dot between two word runs keeps numbers like "2.5" and "v1.2" in one token.
WORD_PATTERN = rf"{_WORD}(?:\.{_WORD})*"

_PERSIAN = str.maketrans(
    {
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # alef maksura -> Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf -> keheh
        "\u0640": None,  # tatweel (kashida) is decoration only
        "\u200c": None,  # ZWNJ: see the module docstring
        "\u200d": None,
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
    }
)

_BREVE = "\u0306"
_SHORT_I_BASES = frozenset("иИ")


def _is_arabic_mark(ch: str) -> bool:
    cp = ord(ch)
    return 0x0610 <= cp <= 0x061A or 0x064B <= cp <= 0x065F or cp == 0x0670 or 0x06D6 <= cp <= 0x06ED


def _folds_accents(base: str) -> bool:
    # Latin, Greek and Cyrillic letters lose their accents; marks on other scripts
    # (Devanagari vowel signs, for instance) carry meaning and are kept.
    cp = ord(base)
    return cp < 0x0530 or 0x1E00 <= cp <= 0x1FFF


def normalize(text: str) -> str:
    """Return text in its search form: NFKC, case-folded, accents and Persian variants folded."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_PERSIAN)
    if text.isascii():
        return text
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", text):
        if not unicodedata.combining(ch):
            base = ch
            out.append(ch)
        elif _is_arabic_mark(ch):
            continue
        elif ch == _BREVE and base in _SHORT_I_BASES:
            out.append(ch)
        elif base and _folds_accents(base):
            continue
        else:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=200_000)
def _normalize_token(token: str) -> str:
    return normalize(token)


# Bump with any change to what ``normalize`` or ``stem`` produce: an index built by another analysis
# must be rebuilt (its terms would no longer match the queries' terms).
# 3: Russian words lemmatised (pymorphy3) before stemming.
ANALYSIS_VERSION = 3

_RUSSIAN = Stemmer.Stemmer("russian")
_ENGLISH = Stemmer.Stemmer("english")
# A Russian word as pymorphy3 reads it: Cyrillic letters only (a token mixing scripts, "сh", is not one).
_RUSSIAN_WORD = re.compile(r"[а-яё]+")
_ADVERB_LIKE = frozenset({"ADVB", "PRED", "PRCL"})


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    # Loaded on the first Russian word, once per process (about 0.1 s, 15 MB of dictionary).
    # Its loader announces the dictionary at INFO on every process start; a note for nobody, in every CLI command.
    logging.getLogger("pymorphy3").setLevel(logging.WARNING)
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Return the dictionary form of one lower-case Russian word ("дорогая" -> "дорогой", "шёл" -> "идти").

    The most likely parse's form, except that an adverb that is also a short adjective ("дорого",
    "хорошо") takes the adjective, so an adverb and its adjective share a lemma's stem.
    """
    parses = _morph().parse(word)
    if not parses:
        return word
    best = parses[0]
    if best.tag.POS in _ADVERB_LIKE:
        adjective = next((p for p in parses if p.tag.POS == "ADJS"), None)
        if adjective is not None:
            best = adjective
    return best.normal_form or word


def may_change_first_letter(token: str) -> bool:
    """Tell whether the term of this normalised token may start with another letter (a Russian lemma)."""
    return bool(token) and "\u0400" <= token[0] <= "\u04ff"


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """Return the term of one normalised token: the stem of its lemma for Russian, English stem for Latin."""
    if not token or any(ch.isdigit() for ch in token):
        return token
    first = token[0]
    if "\u0400" <= first <= "\u04ff":
        if _RUSSIAN_WORD.fullmatch(token):
            # The lemma is normalised again: the dictionary writes "ё" ("ещё"), the index "е".
            return str(_RUSSIAN.stemWord(normalize(lemma(token))))
        return str(_RUSSIAN.stemWord(token))
    if first.isascii() or "\u00c0" <= first <= "\u024f":
        return str(_ENGLISH.stemWord(token))
    return token


@lru_cache(maxsize=200_000)
def term_of(token: str) -> str:
    """Return the index term of one token already split out by WORD_PATTERN ('' if none)."""
    return stem(_normalize_token(token))


FUNCTION_TERMS = frozenset(term_of(w) for lang in ("en", "ru") for w in stoplists[lang])


def is_function_term(term: str) -> bool:
    """Tell whether an analysed term is a function word ("the", "to", "не"), English or Russian."""
    return term in FUNCTION_TERMS


class NormalizeFilter(Filter):
    """Whoosh filter applying ``normalize`` to each token and dropping tokens left empty."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        norm = _normalize_token
        for t in tokens:
            t.text = norm(t.text)
            if t.text:
                yield t


class ScriptStemFilter(Filter):
    """Whoosh filter stemming each token by its script (see ``stem``); skipped for spelling."""

    # Marks the filter as morphological, so Whoosh leaves it out when it collects the
    # unstemmed words for the spelling dictionary.
    is_morph = True

    def __init__(self) -> None:
        # Pickled with an index's schema: tells which analysis built the index (older ones lack it).
        self.analysis = ANALYSIS_VERSION

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stem_ = stem
        for t in tokens:
            t.text = stem_(t.text)
            yield t


def analysis_of(analyzer: object) -> int:
    """The ``ANALYSIS_VERSION`` an analyzer unpickled from an index was made with (1 before it was recorded)."""
    for item in getattr(analyzer, "items", ()):
        if isinstance(item, ScriptStemFilter):
            return int(getattr(item, "analysis", 1))
    return 1


def word_tokenizer() -> RegexTokenizer:
    """Return the Whoosh tokenizer splitting text into words of any script (ZWNJ kept inside)."""
    return RegexTokenizer(WORD_PATTERN)


def plain_analyzer() -> CompositeAnalyzer:
    """Return a Whoosh analyzer that tokenises and normalises but does not stem."""
    return word_tokenizer() | NormalizeFilter()


def stem_analyzer() -> CompositeAnalyzer:
    """Return the Whoosh analyzer used for bite text and titles: tokenise, normalise, stem."""
    return word_tokenizer() | NormalizeFilter() | ScriptStemFilter()


_ANALYZER = stem_analyzer()


def terms(text: str) -> list[str]:
    """Return the analysed (normalised and stemmed) terms of text, in order."""
    return [t.text for t in _ANALYZER(text)]
