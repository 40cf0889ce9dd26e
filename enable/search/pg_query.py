"""Turn a parsed search-box query (a Whoosh query tree, see ``query.py``) into PostgreSQL conditions.

The PostgreSQL backend parses what a user typed with the very same parser as the Whoosh
backend, so both read quotes, OR, NOT, brackets and ``field:value`` alike and give the same
messages; only the execution differs. Here a tree becomes:

- for the text fields, a ``tsquery`` over the bite's ``tsvector``, in which every field has its
  weight (``TEXT_WEIGHTS``): ``title:price`` is ``'price':A``, and AND/OR/NOT become ``&``, ``|``
  and ``!``. A plain word, which the parser ORs over the three text fields, is the unweighted
  ``'price'`` (a phrase ``'too' <-> 'expens'``): the GIN index answers an unweighted word alone,
  while a weighted one makes PostgreSQL read every matching bite's tsvector. A subtree made only
  of text terms becomes one tsquery, so the index answers it in one scan;
- for facet fields (``objection:price``), an array test on the ``facets`` column, which holds
  ``"field:normalised value"`` keys;
- anything else (a range such as ``[a TO b]``) raises ``Unsupported``; the backend then searches
  the plain words with a message, as the Whoosh backend does for a query it cannot run.

Terms arrive already analysed (normalised and stemmed by ``enable.analysis``), and the stored
tsvector holds the same analysed terms, so no PostgreSQL text-search configuration is involved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, cast, false, literal, not_, or_, true
from sqlalchemy.dialects.postgresql import TSQUERY
from whoosh import query

from enable.search.index import FILTER_FIELDS
from enable.search.query import TEXT_FIELDS

# The tsvector weight of each text field: text D, call title B, title A (see ``postgres_backend``).
TEXT_WEIGHTS = {"text": "D", "title": "A", "call_title": "B"}


class Unsupported(Exception):
    """A query node the PostgreSQL backend cannot run (the caller searches the plain words instead)."""


# PostgreSQL refuses lexemes over 2 KB ("word is too long") and NUL characters in any text.
MAX_LEXEME_BYTES = 2046


def fits(term: str) -> bool:
    """Tell whether a term can be a lexeme (the index leaves out longer ones; nobody says such words)."""
    return len(term.encode("utf-8")) <= MAX_LEXEME_BYTES


def lexeme(term: str) -> str:
    """Return a term quoted as a tsvector/tsquery lexeme: in single quotes, quotes and backslashes escaped.

    A term too long to be a lexeme is cut to fit (so a query for it runs, and finds nothing).
    """
    term = term.replace("\x00", "")
    if not fits(term):
        term = term.encode("utf-8")[:MAX_LEXEME_BYTES - 8].decode("utf-8", "ignore")
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def facet_key(field: str, value: str) -> str:
    """Return the key a facet value is stored under in the ``facets`` array (value already normalised)."""
    return f"{field}:{value}".replace("\x00", "")


def phrase_tsquery(words: list[str], weight: str = "D") -> str:
    """Return the tsquery matching the analysed words at consecutive positions of one field."""
    return "(" + " <-> ".join(f"{lexeme(w)}:{weight}" for w in words) + ")"


def any_tsquery(words: list[str]) -> str:
    """Return the tsquery matching any of the analysed words in any field (for ranking)."""
    return " | ".join(lexeme(w) for w in words)


def tsquery_of(q: query.Query) -> str | None:
    """Return the tsquery text of a tree made only of text-field terms and phrases, else None."""
    if isinstance(q, query.Term):
        if q.fieldname not in TEXT_FIELDS or not str(q.text):
            return None
        return f"{lexeme(str(q.text))}:{TEXT_WEIGHTS[q.fieldname]}"
    if isinstance(q, query.Phrase):
        words = [str(w) for w in q.words if str(w)]
        if q.fieldname not in TEXT_FIELDS or not words:
            return None
        weight = TEXT_WEIGHTS[q.fieldname]
        if len(words) == 1:
            return f"{lexeme(words[0])}:{weight}"
        if q.slop <= 1:
            return phrase_tsquery(words, weight)
        # "a b"~3 (words within a distance): every word, in any order; close enough for a rare syntax.
        return "(" + " & ".join(f"{lexeme(w)}:{weight}" for w in words) + ")"
    if isinstance(q, query.And | query.Require | query.Or | query.DisjunctionMax):
        children = list(q.children())
        is_or = isinstance(q, query.Or | query.DisjunctionMax)
        parts = _or_parts(children) if is_or else [tsquery_of(child) for child in children]
        if not parts or any(p is None for p in parts):
            return None
        return "(" + (" | " if is_or else " & ").join(parts) + ")"  # type: ignore[arg-type]
    if isinstance(q, query.Not):
        inner = tsquery_of(q.query)
        return None if inner is None else f"!{inner}"
    if isinstance(q, query.AndNot):
        a, b = tsquery_of(q.a), tsquery_of(q.b)
        return None if a is None or b is None else f"({a} & !{b})"
    if isinstance(q, query.AndMaybe):
        return tsquery_of(q.a)
    return None


def _unweighted(q: query.Query) -> tuple[str, tuple[str, ...], int] | None:
    """(kind, words, slop) of a text-field term or phrase, to find the same one in every text field."""
    if isinstance(q, query.Term) and q.fieldname in TEXT_FIELDS and str(q.text):
        return ("term", (str(q.text),), 1)
    if isinstance(q, query.Phrase) and q.fieldname in TEXT_FIELDS and q.words and all(str(w) for w in q.words):
        return ("phrase", tuple(str(w) for w in q.words), q.slop)
    return None


def _or_parts(children: list[query.Query]) -> list[str | None]:
    """tsqueries of the children of an OR; a word (or phrase) ORed over every text field becomes one, unweighted.

    The parser turns each plain word into exactly such an OR. Written without weights, the GIN index
    answers it alone; with weights, PostgreSQL must read and check the tsvector of every matching bite.
    (Fields never touch: their positions are apart, so an unweighted phrase cannot span two.)
    """
    fields: dict[tuple[str, tuple[str, ...], int], set[str]] = {}
    for child in children:
        key = _unweighted(child)
        if key is not None:
            fields.setdefault(key, set()).add(child.fieldname)
    parts: list[str | None] = []
    done: set[tuple[str, tuple[str, ...], int]] = set()
    for child in children:
        key = _unweighted(child)
        if key is None or fields[key] != set(TEXT_FIELDS):
            parts.append(tsquery_of(child))
        elif key not in done:
            done.add(key)
            _, words, slop = key
            joiner = " <-> " if slop <= 1 else " & "
            parts.append(lexeme(words[0]) if len(words) == 1 else "(" + joiner.join(lexeme(w) for w in words) + ")")
    return parts


def matches(tsv: Any, tsquery: str) -> ColumnElement[bool]:
    """Return the condition ``tsv @@ tsquery`` with the tsquery as a bound parameter."""
    return tsv.bool_op("@@")(cast(literal(tsquery), TSQUERY))


def condition(q: query.Query | None, tsv: Any, facets: Any) -> ColumnElement[bool]:
    """Return the SQL condition of a parsed query over the tsvector and facet-array columns."""
    if q is None or isinstance(q, query.Every):
        return true()
    if q is query.NullQuery:
        return false()
    text_query = tsquery_of(q)
    if text_query is not None:
        return matches(tsv, text_query)
    if isinstance(q, query.Term):
        if q.fieldname in FILTER_FIELDS:
            return facets.contains([facet_key(q.fieldname, str(q.text))])
        raise Unsupported(f"a term in the field {q.fieldname!r}")
    if isinstance(q, query.And | query.Require):
        return and_(*(condition(child, tsv, facets) for child in q.children()))
    if isinstance(q, query.Or | query.DisjunctionMax):
        return or_(*(condition(child, tsv, facets) for child in q.children()))
    if isinstance(q, query.Not):
        return not_(condition(q.query, tsv, facets))
    if isinstance(q, query.AndNot):
        return and_(condition(q.a, tsv, facets), not_(condition(q.b, tsv, facets)))
    if isinstance(q, query.AndMaybe):
        return condition(q.a, tsv, facets)
    raise Unsupported(type(q).__name__)


def positive_terms(q: query.Query | None) -> list[str]:
    """Analysed words a result was asked to contain (not those under NOT), for ranking and marks."""
    if q is None or isinstance(q, query.Not):
        return []
    if isinstance(q, query.AndNot):
        return positive_terms(q.a)
    if isinstance(q, query.Term | query.Phrase):
        if q.fieldname not in TEXT_FIELDS:
            return []
        return [str(w) for w in q.words] if isinstance(q, query.Phrase) else [str(q.text)]
    if q.is_leaf():
        return []
    return list(dict.fromkeys(t for child in q.children() for t in positive_terms(child)))
