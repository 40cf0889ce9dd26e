"""A bite's default title: what the moment is about, from its tags and sentences.

"Price or budget: “we can phase the rollout”" says more than the bite's first sentence ("Hi, Priya, thanks for
joining again."). The most telling tag the bite carries (an objection before a competitor, a product, a topic...;
the call's stage, which every bite of the call carries, tells nothing) names the moment; the quote is the answer to
it: a statement of some length in the next turn of someone else (the rep answering the buyer's objection), else the
sentence that carried the evidence (what the buyer said). Without a telling tag the title is the fallback (the
bite's first sentence of some length). Written in the bite's language: the tag's name in it, its quotation marks.
Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from enable.bites.sentences import Sentence
from enable.bites.slicer import TITLE_MAX_CHARS, TITLE_MIN_WORDS, trim_title

# Kinds by how much they tell about a moment; kinds missing here (the stage) never name a moment.
KIND_ORDER = ("objection", "competitor", "product", "topic", "persona", "industry", "phase")
# Quotation marks by language (the primary subtag); others get English ones.
QUOTES = {"ru": ("«", "»"), "uk": ("«", "»"), "fr": ("« ", " »"), "de": ("„", "“")}
DEFAULT_QUOTES = ("“", "”")
# An answer worth quoting: a statement at least this long (acknowledgments and questions back are not answers).
ANSWER_MIN_CHARS = 32
_QUESTION = ("?", "؟", "？")
# Speech recognised without a question mark: a last clause starting with one of these asks (English, Russian).
QUESTION_WORDS = frozenset({"what", "who", "why", "how", "which", "where", "when", "whom", "whose",
                            "что", "кто", "почему", "зачем", "как", "какой", "какая", "какую", "какие", "каким",
                            "сколько", "когда", "где", "куда", "откуда", "ли"})
_CLOSERS = "\"'”’»)]"
# The quote is never cut shorter than this, even under a long tag name.
MIN_QUOTE_CHARS = 24


@dataclass(frozen=True, slots=True)
class TitleTag:
    """A tag the bite carries, as a title sees it: its kind, its name in the bite's language, and the second its
    evidence was said (None for tags without evidence: added by hand)."""

    kind: str
    name: str
    at_s: float | None = None
    phrase: str | None = None  # the evidence's phrase: the quote starts at the clause that said it


def _words(text: str) -> int:
    return sum(1 for w in text.split() if any(c.isalnum() for c in w))


def pick_tag(tags: Sequence[TitleTag]) -> TitleTag | None:
    """The tag that tells most about the moment: by kind (KIND_ORDER), then the earliest said."""
    telling = [t for t in tags if t.kind in KIND_ORDER and t.name.strip()]
    if not telling:
        return None
    return min(telling, key=lambda t: (KIND_ORDER.index(t.kind), t.at_s if t.at_s is not None else float("inf")))


def _answer(tag: TitleTag, sentences: Sequence[Sentence]) -> str | None:
    """The sentence quoted for the tag: the answer to its evidence when there is one (a statement of at least
    ANSWER_MIN_CHARS characters in the next turn of another speaker: "I appreciate that." or a question back is no
    answer), else the evidence's own sentence; for a tag without evidence the first long enough sentence."""
    long_enough = [s for s in sentences if _words(s.text) >= TITLE_MIN_WORDS]
    if not long_enough:
        return None
    if tag.at_s is None:
        return long_enough[0].text
    said = [n for n, s in enumerate(sentences) if s.start_s <= tag.at_s + 0.01]
    at = said[-1] if said else 0
    evidence = sentences[at]
    rest = list(sentences[at + 1 :])
    while rest and rest[0].speaker == evidence.speaker:  # the rest of the evidence speaker's turn
        rest.pop(0)
    if evidence.speaker and rest and rest[0].speaker:
        turn = [s for s in rest[: next((n for n, s in enumerate(rest) if s.speaker != rest[0].speaker), len(rest))]]
        for s in turn:
            if len(s.text.strip()) >= ANSWER_MIN_CHARS and not asks(s.text):
                return s.text
    if _words(evidence.text) >= TITLE_MIN_WORDS:
        return _from_clause(evidence.text, tag.phrase)
    return next((s.text for s in long_enough if s.start_s >= evidence.start_s), long_enough[0].text)


def asks(text: str) -> bool:
    """Whether a sentence asks rather than answers: it ends with a question mark, or (speech recognised without
    one) its last clause starts with a question word ("..., what number did you have in mind")."""
    stripped = text.rstrip().rstrip(_CLOSERS)
    if stripped.endswith(_QUESTION):
        return True
    last = re.split(r"[,;:—–]\s*", stripped.rstrip(".!…"))[-1].split()
    words = [w.strip("\"'“”«»()").lower() for w in last[:2]]
    return bool(words) and (words[0] in QUESTION_WORDS or (len(words) > 1 and words[0] in {"на", "в", "с", "о", "за"}
                                                           and words[1] in QUESTION_WORDS))


def _from_clause(text: str, phrase: str | None) -> str:
    """The sentence from the clause that said the phrase on ("I did, and I shared it with our finance director, to
    be direct with you, it is too expensive" -> "it is too expensive"): what the moment is about comes first."""
    stems = [w.lower()[:4] for w in (phrase or "").split() if len(w) >= 3]
    if not stems:
        return text
    clauses = re.split(r"(?<=[,;:—–])\s+", text)
    for n, clause in enumerate(clauses):
        if n and any(stem in clause.lower() for stem in stems):
            return " ".join(clauses[n:])
    return text


def _unquote(text: str) -> str:
    """The sentence as a quote: without quotation marks of its own, punctuation glued to the word before it
    (sentences join word pieces with spaces: "40 ,000")."""
    text = re.sub(r"\s+([,.;:!?…%])", r"\1", text.strip().strip("\"'“”«»„").strip())
    return re.sub(r"(\d[,.])\s+(\d)", r"\1\2", text)


def moment_title(tags: Sequence[TitleTag], sentences: Sequence[Sentence], language: str | None,
                 fallback: str) -> str:
    """The bite's title: "Tag name: “answer”" when it carries a telling tag, else `fallback`; at most about
    TITLE_MAX_CHARS characters (the quote is shortened on a word boundary)."""
    tag = pick_tag(tags)
    if tag is None:
        return trim_title(fallback)
    quote = _answer(tag, sentences)
    name = " ".join(tag.name.split())
    if not quote:
        return trim_title(name)
    opening, closing = QUOTES.get((language or "").split("-")[0].lower(), DEFAULT_QUOTES)
    room = max(MIN_QUOTE_CHARS, TITLE_MAX_CHARS - len(name) - 2 - len(opening) - len(closing))
    text = _unquote(quote)
    text = trim_title(text[:1].upper() + text[1:], room)
    if text.endswith((".", "!")) and not text.endswith("..."):
        text = text[:-1]
    return f"{name}: {opening}{text}{closing}"
