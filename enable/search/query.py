"""Turn what a user typed into a Whoosh query, never failing on user input.

Rules, so the search box behaves as people expect:

- Plain words (no quotes, brackets, operators or ``field:``) must all occur, in any form that
  stems alike ("prices" finds "price"), in the bite text, its title or its call's title
  (AND: the more words typed, the fewer and closer the results). Function words ("the", "to",
  "не") are not required unless the query has nothing else: nearly every bite holds them. ``ParsedText.phrase`` carries
  the words so the backend ranks bites holding them as an exact phrase first: typing
  ``too expensive`` ranks the bite that says "too expensive" above one saying "expensive ... too".
- ``"quoted phrases"``, ``OR``, ``NOT``, ``AND``, brackets and ``field:value``
  (``objection:price``, ``stage:negotiation``, ``rep:"Anna Petrova"``) follow Whoosh syntax.
- Wildcards are not offered: stemming already covers word forms, and a short prefix such as
  ``a*`` would expand to most of the dictionary.
- Anything unreadable (an unclosed quote or bracket, a dangling operator, ``field:`` with no
  value, an unknown field) yields an explanation in ``ParsedText.error`` and a search for
  the plain words that remain.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from whoosh import qparser, query
from whoosh.fields import Schema

from enable.analysis import WORD_PATTERN, is_function_term, terms
from enable.search.index import FILTER_FIELDS

log = logging.getLogger(__name__)

TEXT_FIELDS = ("text", "title", "call_title")
FIELD_BOOSTS = {"text": 1.0, "title": 1.5, "call_title": 1.0}
QUERY_FIELDS = frozenset((*TEXT_FIELDS, *FILTER_FIELDS))
OPERATORS = frozenset(("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"))
_BINARY = OPERATORS - {"NOT"}
_SYNTAX = re.compile(r"[\"()\[\]{}:^]")
_FIELD_PREFIX = re.compile(r"(?<![\w.])([^\W\d]\w*):")
_EMPTY_FIELD = re.compile(r"(?<![\w.])([^\W\d]\w*):(?=\s|$|\))")
_WORD = re.compile(WORD_PATTERN)


@dataclass(frozen=True, slots=True)
class ParsedText:
    """A Whoosh query for the text (None: every bite), the error to show, the plain words typed,
    and, for plain text, its analysed terms to rank as a phrase."""

    query: query.Query | None
    error: str | None = None
    words: list[str] = field(default_factory=list)
    phrase: list[str] = field(default_factory=list)


def syntax_problem(text: str) -> str | None:
    """Return a message saying what is wrong with the query syntax, or None if it reads well."""
    if text.count('"') % 2:
        return "A quotation mark is not closed, so the words were searched for one by one."
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth:
        return "The brackets do not pair up, so the words were searched for one by one."
    for name in _EMPTY_FIELD.findall(_outside_quotes(text)):
        return f"“{name}:” needs a value after the colon; the words were searched for instead."
    for name in _FIELD_PREFIX.findall(_outside_quotes(text)):
        if name.lower() not in QUERY_FIELDS:
            known = ", ".join(sorted(f for f in QUERY_FIELDS if f not in TEXT_FIELDS))
            return f"There is no field “{name}”; use one of {known}. The words were searched for instead."
    tokens = _outside_quotes(text).replace("(", " ").replace(")", " ").split()
    ops = [t in OPERATORS for t in tokens]
    if tokens and (tokens[0] in _BINARY or ops[-1]):
        return "AND, OR and NOT need words on both sides, so the words were searched for one by one."
    for a, b, is_op_a, is_op_b in zip(tokens, tokens[1:], ops, ops[1:], strict=False):
        if is_op_a and is_op_b and not (a in _BINARY and b == "NOT"):
            return "Two operators follow each other, so the words were searched for one by one."
    return None


def _outside_quotes(text: str) -> str:
    # A quoted part stands for one word, so `rep:"Anna Petrova"` still has a value.
    return re.sub(r'"[^"]*"', "quoted", text)


def plain_words(text: str) -> list[str]:
    """Return the words of text with operators and field names dropped, for a plain search."""
    text = _FIELD_PREFIX.sub(" ", text)
    return [w for w in _WORD.findall(text) if w not in OPERATORS]


def _is_plain(text: str) -> bool:
    return not _SYNTAX.search(text) and not any(w in OPERATORS for w in text.split())


def plain_query(words: list[str]) -> query.Query | None:
    """Return a query requiring every content word in the text, the title or the call title."""
    analysed = [t for w in words for t in terms(w)]
    required = [t for t in analysed if not is_function_term(t)] or analysed
    if not required:
        return None
    return query.And(
        [query.Or([query.Term(f, t, boost=FIELD_BOOSTS[f]) for f in TEXT_FIELDS]) for t in dict.fromkeys(required)]
    )


def _plain(words: list[str], error: str | None = None) -> ParsedText:
    return ParsedText(plain_query(words), error=error, words=words, phrase=[t for w in words for t in terms(w)])


def make_parser(schema: Schema) -> qparser.QueryParser:
    """Return the Whoosh parser for the search box: AND between words, no wildcards."""
    parser = qparser.MultifieldParser(list(TEXT_FIELDS), schema, fieldboosts=FIELD_BOOSTS)
    parser.remove_plugin_class(qparser.WildcardPlugin)
    # Apostrophes belong to words ("don't"), not to Whoosh's single-quote term syntax.
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    return parser


def parse_text(text: str, parser: qparser.QueryParser) -> ParsedText:
    """Parse the search box text; on unreadable syntax explain and fall back to plain words."""
    text = text.strip()
    if not text:
        return ParsedText(None)
    words = plain_words(text)
    if _is_plain(text):
        return _plain(words)
    problem = syntax_problem(text)
    if problem:
        return _plain(words, problem)
    try:
        parsed = parser.parse(text)
    except Exception as exc:  # Whoosh raises assorted types on odd input; the user must still get results.
        log.info("query parser failed (%s); searching plain words", type(exc).__name__)
        return _plain(words, "The search could not be read, so the words were searched for one by one.")
    if parsed is query.NullQuery:
        return _plain(words)
    return ParsedText(parsed, words=words)
