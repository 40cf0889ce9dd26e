"""The PostgreSQL implementation of ``SearchIndex`` (SEARCH_BACKEND=postgres): one index that several
web machines share through the application's database, with no shared disk.

Analysis: every word is analysed in Python by ``enable.analysis`` (the same NFKC, case and
accent folding, Persian normalisation, Russian lemmas and Snowball English/Russian stemming as the
Whoosh backend and the tagger), and the resulting terms are stored as a ``tsvector`` with their
positions. PostgreSQL's own configurations are not used: 'english' drops stop words (so the
phrase "not now" could not be found) and stems Russian words not at all, 'russian' the reverse,
and ``unaccent`` folds differently from ``enable.analysis``. With the terms made in Python,
"prices" finds "price", "цены" finds "цена", a query mixing both languages works, Persian
letter variants meet, and both backends match exactly the same bites. The bites table's comment
records the analysis version that made its terms; an index made by another one is refused with a
request to rebuild it, as the Whoosh backend does (an empty table is stamped by its first write).

Storage (tables outside the ORM metadata, created by migration 0009 on PostgreSQL only):

- ``search_fts_bite``: one row per bite; ``tsv`` holds the terms of the text (weight D), the
  title (A) and the call title (B), GIN-indexed; ``facets`` holds ``"field:normalised value"``
  keys of every facet (tags per kind, stage, rep, outcome, language, team), GIN-indexed, with the
  values as given in ``facet_labels``; ``call_date`` and ``is_best`` are plain columns.
- ``search_fts_facet``: each facet key with its value as given, for the facet lists.
- ``search_fts_word``: every analysed word of bite texts, for "did you mean" through pg_trgm
  trigram similarity. Without the pg_trgm extension (it needs a superuser to install) there are
  no spelling suggestions; everything else works.

Queries are parsed by the same parser as the Whoosh backend (``query.parse_text``) and turned
into SQL by ``pg_query``. Facet counts and the total come from one query over the matching rows.

Ranking: best examples first; then, for plain words, bites holding them as an exact phrase;
then ``ts_rank`` (text counts most, then the title, then the call title; no length
normalisation), or the newest call first when sorting by date, browsing by filters only, or
when more than ``RANK_LIMIT`` bites match (ranking reads every matching bite's tsvector; Whoosh
likewise orders by date when every word is in most bites).
Within equal ranks the lower bite id comes first. Ranks differ from Whoosh's BM25 in detail,
so the order of relevance may differ; the set of matches, totals and facet counts do not.

Concurrency: writes are ordinary transactions, so any number of web and worker processes on
any machines may read and write at once; a rebuild replaces every row in one transaction,
and readers see the old index until it commits.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Date,
    Engine,
    Index,
    MetaData,
    Table,
    Text,
    cast,
    delete,
    false,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError

from enable.analysis import ANALYSIS_VERSION, WORD_PATTERN, normalize, plain_analyzer, stem, term_of, terms
from enable.search.index import (
    FILTER_FIELDS,
    MAX_PER_PAGE,
    SAID_FIELD,
    TAG_KINDS,
    BiteDoc,
    IndexCorrupt,
    SearchHit,
    SearchQuery,
    SearchResult,
    effective_filters,
    said_by_values,
    said_values,
)
from enable.search.pg_query import (
    TEXT_WEIGHTS,
    Unsupported,
    any_tsquery,
    condition,
    facet_key,
    fits,
    lexeme,
    matches,
    phrase_tsquery,
    positive_terms,
)
from enable.search.query import ParsedText, make_parser, parse_text
from enable.search.whoosh_backend import make_schema, make_snippet  # one parser schema and snippet maker for both

log = logging.getLogger(__name__)

FEW_RESULTS = 3  # fewer results than this and a misspelled word gets a suggestion (as in the Whoosh backend)
MAX_POSITION = 16383  # PostgreSQL keeps tsvector positions up to this; later words share it
_BATCH = 500
# ts_rank weights, in PostgreSQL's order {D, C, B, A}: text, (unused), call title, title.
RANK_WEIGHTS: ColumnElement[Any] = literal_column("'{1.0,0.1,0.3,0.5}'::float4[]")
# Ranking reads the tsvector of every matching bite; above this many matches (a common word in a big
# index) the newest come first instead, as Whoosh does for words found in most bites.
RANK_LIMIT = 2000
TRIGRAM_SIMILARITY = 0.2  # pg_trgm candidates for a suggestion; the edit distance then decides
TRGM_INDEX = "ix_search_fts_word_trgm"

# Separate from the ORM metadata on purpose: the tables exist only on PostgreSQL (migration 0009
# creates them when the database is PostgreSQL), so the models, which must match the migrations on
# SQLite as well, leave them out; ``include_object`` keeps Alembic's comparison from reporting them.
metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})  # as enable.db and migration 0009

bites_table = Table(
    "search_fts_bite",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("call_id", BigInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("call_title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("tsv", TSVECTOR, nullable=False),
    Column("facets", ARRAY(Text), nullable=False),
    Column("facet_labels", ARRAY(Text), nullable=False),
    Column("call_date", Date, nullable=True),
    Column("is_best", Boolean, nullable=False),
    Index("ix_search_fts_bite_call_id", "call_id"),
    Index("ix_search_fts_bite_call_date", "call_date"),
    Index("ix_search_fts_bite_tsv", "tsv", postgresql_using="gin"),
    Index("ix_search_fts_bite_facets", "facets", postgresql_using="gin"),
)

words_table = Table("search_fts_word", metadata, Column("term", Text, primary_key=True))

# Each facet key with its value as given ("rep:anna petrova" -> "Anna Petrova"), for the facet lists.
facets_table = Table(
    "search_fts_facet",
    metadata,
    Column("key", Text, primary_key=True),
    Column("label", Text, nullable=False),
)

FTS_TABLES = frozenset(metadata.tables)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter: leave the search tables (and their indexes) out of model/migration comparisons."""
    if type_ == "table":
        return name not in FTS_TABLES
    table = getattr(obj, "table", None)
    return getattr(table, "name", None) not in FTS_TABLES


# Which analysis (``enable.analysis.ANALYSIS_VERSION``) made the stored terms: the comment of the bites
# table, as the Whoosh index keeps it in its schema. A table without it was filled before it was
# recorded (analysis 2 or older), or is new and empty.
_ANALYSIS_COMMENT = "enable search terms: analysis {}"
_ANALYSIS_PATTERN = re.compile(r"enable search terms: analysis (\d+)")


def stored_analysis(conn: Connection) -> int | None:
    """The analysis version the bites table is stamped with (None: not stamped)."""
    comment = conn.scalar(text("SELECT obj_description('search_fts_bite'::regclass, 'pg_class')"))
    found = _ANALYSIS_PATTERN.fullmatch(comment or "")
    return int(found.group(1)) if found else None


def stamp_analysis(conn: Connection) -> None:
    """Record that the bites table holds terms of this code's analysis."""
    conn.execute(text(f"COMMENT ON TABLE search_fts_bite IS '{_ANALYSIS_COMMENT.format(int(ANALYSIS_VERSION))}'"))


def check_analysis(conn: Connection) -> None:
    """Raise IndexCorrupt if the stored terms were made by another analysis (they would not match)."""
    version = stored_analysis(conn)
    if version == ANALYSIS_VERSION:
        return
    if version is None and conn.scalar(select(bites_table.c.id).limit(1)) is None:
        return  # empty and never stamped: the first write stamps it
    raise IndexCorrupt(
        "The PostgreSQL search index was built by another version of Enable; "
        "rebuild it with `flask --app wsgi search rebuild`."
    )


def create_schema(conn: Connection) -> bool:
    """Create the search tables and indexes if missing; return whether pg_trgm (suggestions) is available.

    Migration 0009 does the same for application databases; this serves tests and benchmarks.
    """
    metadata.create_all(conn, checkfirst=True)
    if conn.scalar(select(bites_table.c.id).limit(1)) is None:
        stamp_analysis(conn)
    trgm = _try_trigram_extension(conn)
    if trgm:
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON search_fts_word USING gin (term gin_trgm_ops)"))
    return trgm


def _try_trigram_extension(conn: Connection) -> bool:
    """Install pg_trgm if it is not there and we may; never fails the surrounding transaction."""
    if conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        return True
    except DBAPIError as exc:  # not allowed (no superuser) or not installed on the server
        log.warning("pg_trgm is not available (%s); search will give no spelling suggestions", exc.orig)
        return False


# Documents -------------------------------------------------------------------------------

_WORD = re.compile(WORD_PATTERN)


def analyse(doc: BiteDoc) -> tuple[str, set[str]]:
    """The tsvector of a bite as PostgreSQL input text (analysed terms, positions, field weights) and the
    set of terms of its text.

    Tokens and terms are those of ``enable.analysis.stem_analyzer`` (the Whoosh index's), made with its
    cached per-token function, which is several times faster than running the analyzer.
    """
    positions: dict[str, list[str]] = {}
    text_terms: set[str] = set()
    offset = 0
    for name, value in (("text", doc.text), ("title", doc.title), ("call_title", doc.call_title)):
        weight = TEXT_WEIGHTS[name]
        pos = -1
        for pos, found in enumerate(_WORD.finditer(value or "")):
            term = term_of(found.group())
            if term and fits(term):
                positions.setdefault(term, []).append(f"{min(offset + pos + 1, MAX_POSITION)}{weight}")
        if name == "text":
            text_terms = set(positions)
        # One unused position between fields; their weights differ too, so no phrase spans two fields.
        offset += pos + 2
    tsv = " ".join(f"{lexeme(term)}:{','.join(places)}" for term, places in positions.items())
    return tsv, text_terms


def facet_values(doc: BiteDoc) -> dict[str, list[str]]:
    """Facet values of a bite by field, as given (commas, which the Whoosh index splits on, made spaces)."""
    unknown = set(doc.tags) - set(TAG_KINDS)
    if unknown:
        raise ValueError(f"Unknown tag kinds {sorted(unknown)}; use {', '.join(TAG_KINDS)}.")
    values: dict[str, list[str]] = {kind: list(doc.tags.get(kind, [])) for kind in TAG_KINDS}
    values["said_by"] = said_by_values(doc)
    values[SAID_FIELD] = said_values(doc)  # filtered on, never listed (``_facets`` lists FILTER_FIELDS only)
    values["stage"] = [doc.stage] if doc.stage else []
    values["rep"] = [doc.rep] if doc.rep else []
    values["outcome"] = [doc.outcome] if doc.outcome else []
    values["language"] = [doc.language] if doc.language else []
    values["team_id"] = [str(doc.team_id)] if doc.team_id is not None else []
    return {k: [v.replace(",", " ").strip() for v in vs if v and v.strip()] for k, vs in values.items()}


def _facet_columns(doc: BiteDoc) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    labels: list[str] = []
    for name, values in facet_values(doc).items():
        for value in values:
            key = facet_key(name, normalize(value))
            if normalize(value) and key not in keys:
                keys.append(key)
                labels.append(_clean(value))
    return keys, labels


def _clean(value: str | None) -> str:
    return (value or "").replace("\x00", "")  # PostgreSQL text holds no NUL characters


def _row(doc: BiteDoc) -> tuple[dict[str, Any], set[str]]:
    """The table row of a bite, and the terms of its text (for the word list)."""
    keys, labels = _facet_columns(doc)
    tsv, text_terms = analyse(doc)
    return {
        "id": doc.id,
        "call_id": doc.call_id,
        "title": _clean(doc.title),
        "call_title": _clean(doc.call_title),
        "text": _clean(doc.text),
        "tsv": tsv,
        "facets": keys,
        "facet_labels": labels,
        "call_date": doc.call_date,
        "is_best": bool(doc.is_best),
    }, text_terms


def _batches(items: Iterable[BiteDoc], size: int = _BATCH) -> Iterator[list[BiteDoc]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance of a and b (insertions, deletions, substitutions), or limit + 1 once it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


class PostgresIndex:
    """A ``SearchIndex`` in PostgreSQL tables; any number of processes on any machines may share it."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise RuntimeError(
                f"SEARCH_BACKEND=postgres needs a PostgreSQL database, but DATABASE_URL is {engine.dialect.name}; "
                "set DATABASE_URL=postgresql+psycopg://... or use SEARCH_BACKEND=whoosh."
            )
        self.engine = engine
        self._parser = make_parser(make_schema())
        self._trgm: bool | None = None
        self._analysis_checked = False  # the stored terms' analysis is this code's (checked once)

    # Connections ------------------------------------------------------------------------

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction, with a missing table reported as an index that cannot be read."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == "42P01":  # undefined_table
                raise IndexCorrupt(
                    "The PostgreSQL search tables do not exist; run `flask --app wsgi db upgrade`, then "
                    "`flask --app wsgi search rebuild`."
                ) from exc
            raise

    def create_schema(self) -> None:
        """Create the tables and indexes if they are missing, for tests and benchmarks.

        An application database gets them from migration 0009 (`flask db upgrade`), never from here:
        the migration would then find them already there.
        """
        with self.engine.begin() as conn:
            self._trgm = create_schema(conn)

    # Writing ----------------------------------------------------------------------------

    def _check_analysis(self, conn: Connection) -> None:
        if not self._analysis_checked:
            check_analysis(conn)
            self._analysis_checked = True

    def _write(self, conn: Connection, docs: list[BiteDoc]) -> None:
        if not self._analysis_checked:
            check_analysis(conn)
            if stored_analysis(conn) is None:
                stamp_analysis(conn)  # an empty, unstamped table gets this analysis's terms
            self._analysis_checked = True
        analysed = [_row(d) for d in sorted(docs, key=lambda d: d.id)]  # one order: concurrent writers never deadlock
        rows = [row for row, _ in analysed]
        stmt = pg_insert(bites_table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[bites_table.c.id],
            set_={c.name: stmt.excluded[c.name] for c in bites_table.columns if c.name != "id"},
        )
        conn.execute(stmt, rows)
        labels = {key: label for row in rows for key, label in zip(row["facets"], row["facet_labels"], strict=True)}
        if labels:
            conn.execute(pg_insert(facets_table).on_conflict_do_nothing(),
                         [{"key": k, "label": labels[k]} for k in sorted(labels)])
        words = sorted(set().union(*(text_terms for _, text_terms in analysed)))
        for start in range(0, len(words), 5000):
            conn.execute(pg_insert(words_table).on_conflict_do_nothing(),
                         [{"term": w} for w in words[start : start + 5000]])

    def add(self, docs: Iterable[BiteDoc]) -> None:
        """Add or replace (by id) these bites."""
        batch = list({d.id: d for d in docs}.values())
        if batch:
            with self._begin() as conn:
                self._write(conn, batch)

    def delete(self, ids: Iterable[int]) -> None:
        """Remove the bites with these ids; unknown ids are ignored."""
        values = sorted({int(i) for i in ids})
        if values:
            with self._begin() as conn:
                conn.execute(delete(bites_table).where(bites_table.c.id.in_(values)))

    def delete_call(self, call_id: int) -> None:
        """Remove every bite of one call."""
        with self._begin() as conn:
            conn.execute(delete(bites_table).where(bites_table.c.call_id == call_id))

    def replace_call(self, call_id: int, docs: Iterable[BiteDoc]) -> None:
        """Replace every bite of one call with these, in one transaction."""
        batch = list({d.id: d for d in docs}.values())
        with self._begin() as conn:
            conn.execute(delete(bites_table).where(bites_table.c.call_id == call_id))
            if batch:
                self._write(conn, batch)

    def clear(self) -> None:
        """Remove every bite."""
        with self._begin() as conn:
            conn.execute(delete(bites_table))
            conn.execute(delete(words_table))
            conn.execute(delete(facets_table))
            stamp_analysis(conn)
        self._analysis_checked = True

    def rebuild(self, docs: Iterable[BiteDoc]) -> None:
        """Replace every bite with these in one transaction (readers see the old index until it commits)."""
        with self._begin() as conn:
            # DELETE, not TRUNCATE: TRUNCATE would lock out every reader until the rebuild commits.
            conn.execute(delete(bites_table))
            conn.execute(delete(words_table))
            conn.execute(delete(facets_table))
            stamp_analysis(conn)
            self._analysis_checked = True
            for batch in _batches(docs):
                self._write(conn, batch)
        with self._begin() as conn:
            for table in metadata.sorted_tables:
                conn.execute(text(f"ANALYZE {table.name}"))

    # Reading ----------------------------------------------------------------------------

    def count(self) -> int:
        """Return the number of bites indexed."""
        with self._begin() as conn:
            return int(conn.scalar(select(func.count()).select_from(bites_table)) or 0)

    def check(self) -> None:
        """Raise IndexCorrupt if the search tables are missing or hold terms of another analysis."""
        with self._begin() as conn:
            for table in metadata.sorted_tables:
                conn.execute(select(*table.primary_key.columns).limit(1))
            check_analysis(conn)
            self._analysis_checked = True

    def search(self, q: SearchQuery) -> SearchResult:
        """Run a query; never raises for anything a user typed (see ``SearchResult.error``)."""
        parsed = parse_text(q.text, self._parser)
        error = parsed.error
        t = bites_table.c
        try:
            text_cond = condition(parsed.query, t.tsv, t.facets)
        except Unsupported as exc:
            log.info("query could not run (%s); searching plain words", exc)
            parsed = parse_text(" ".join(parsed.words), self._parser)
            text_cond = condition(parsed.query, t.tsv, t.facets)
            error = "The search could not be run as written, so the words were searched for one by one."
        if q.also_ids and parsed.query is not None:
            text_cond = text_cond | t.id.in_(sorted(set(q.also_ids)))
        where = text_cond & self._filters(q)
        per_page = max(1, min(q.per_page, MAX_PER_PAGE))
        offset = (max(q.page, 1) - 1) * per_page
        words = positive_terms(parsed.query)
        with self._begin() as conn:
            self._check_analysis(conn)
            # The planner cannot see that a sequential scan must unpack every bite's tsvector (kept
            # compressed out of line) to test it: for a word in a quarter of the bites it picks one,
            # ten times slower than the GIN index, which answers unweighted words alone.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            total, facets = self._facets(conn, where)
            sort = "date" if total > RANK_LIMIT else q.sort
            page = self._page(conn, parsed, words, where, sort, offset, per_page) if total else []
            suggestion = (self._suggest(conn, parsed.words, q.text)
                          if total < FEW_RESULTS and parsed.words else None)
        hits = [SearchHit(id=row_id, score=score, snippet=make_snippet(body, set(words)))
                for row_id, score, body in page]
        return SearchResult(hits=hits, total=total, facets=facets, suggestion=suggestion, error=error)

    def among(self, q: SearchQuery, ids: Iterable[int]) -> tuple[list[int], set[int]]:
        """Of these bite ids, those passing the query's filters and dates (in the order given), and those of them
        whose words match its text too."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        if not wanted:
            return [], set()
        parsed = parse_text(q.text, self._parser)
        t = bites_table.c
        try:
            text_cond = condition(parsed.query, t.tsv, t.facets) if parsed.query is not None else false()
        except Unsupported:
            text_cond = condition(parse_text(" ".join(parsed.words), self._parser).query, t.tsv, t.facets)
        with self._begin() as conn:
            rows = conn.execute(select(t.id, text_cond).where(t.id.in_(wanted) & self._filters(q))).all()
        found = {int(i): bool(worded) for i, worded in rows}
        return [i for i in wanted if i in found], {i for i, worded in found.items() if worded}

    def _filters(self, q: SearchQuery) -> Any:
        t = bites_table.c
        cond: Any = true()
        for name, values in effective_filters(q.filters).items():
            if name not in FILTER_FIELDS and name != SAID_FIELD:
                continue  # an unknown filter from a stale URL narrows nothing
            keys = [facet_key(name, normalize(str(v).replace(",", " ").strip())) for v in values]
            cond = cond & (t.facets.overlap(keys) if keys else false())
        if q.date_from is not None:
            cond = cond & (t.call_date >= q.date_from)
        if q.date_to is not None:
            cond = cond & (t.call_date <= q.date_to)
        return cond

    def _facets(self, conn: Connection, where: Any) -> tuple[int, dict[str, list[tuple[str, int]]]]:
        """The total and the facet counts of the matching bites, with each value as given, in one query.

        Counting keys, then joining their labels, is twice as fast as counting labels along.
        """
        matched = select(bites_table.c.facets).where(where).cte("matched")
        keys = select(func.unnest(matched.c.facets).label("key")).subquery()
        counts = select(keys.c.key, func.count().label("n")).group_by(keys.c.key).subquery()
        labelled = select(counts.c.key, counts.c.n, facets_table.c.label).select_from(
            counts.outerjoin(facets_table, facets_table.c.key == counts.c.key))
        totals = select(null().label("key"), func.count().label("n"), null().label("label")).select_from(matched)
        total = 0
        facets: dict[str, list[tuple[str, int]]] = {name: [] for name in FILTER_FIELDS}
        for key, n, label in conn.execute(union_all(totals, labelled)):
            if key is None:
                total = int(n)
                continue
            name, _, value = key.partition(":")
            if name in facets:
                facets[name].append((label or value, int(n)))
        for values in facets.values():
            values.sort(key=lambda vc: (-vc[1], vc[0]))
        return total, facets

    def _page(self, conn: Connection, parsed: ParsedText, words: list[str], where: Any, sort: str,
              offset: int, limit: int) -> list[tuple[int, float, str]]:
        """(id, score, text) of one page; see the module docstring for the order."""
        t = bites_table.c
        order: list[Any] = [t.is_best.desc()]
        if len(parsed.phrase) > 1:
            order.append(matches(t.tsv, phrase_tsquery(parsed.phrase, TEXT_WEIGHTS["text"])).desc())
        if sort == "date" or parsed.query is None:
            score: Any = literal_column("0.0")
            order += [t.call_date.desc().nulls_last(), t.id]
        elif words:
            score = func.ts_rank(RANK_WEIGHTS, t.tsv, cast(literal(any_tsquery(words)), TSQUERY), 0)
            order += [score.desc(), t.id]
        else:
            score = literal_column("0.0")
            order.append(t.id)
        rows = conn.execute(select(t.id, score, t.text).where(where).order_by(*order).offset(offset).limit(limit))
        return [(int(i), float(s or 0.0), body) for i, s, body in rows]

    # Spelling -----------------------------------------------------------------------------

    def _has_trigrams(self, conn: Connection) -> bool:
        if self._trgm is None:
            self._trgm = bool(conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")))
            if not self._trgm:
                log.warning("pg_trgm is not installed; search gives no spelling suggestions")
        return self._trgm

    def _doc_frequency(self, conn: Connection, term: str) -> int:
        tsq = f"{lexeme(term)}:{TEXT_WEIGHTS['text']}"
        return int(conn.scalar(select(func.count()).where(matches(bites_table.c.tsv, tsq))) or 0)

    def _suggest(self, conn: Connection, words: list[str], original: str) -> str | None:
        """The query with unknown words replaced by the closest frequent indexed word (as the Whoosh backend)."""
        if not self._has_trigrams(conn):
            return None
        corrected = original
        changed = False
        for word in dict.fromkeys(words):
            analysed = terms(word)
            if len(analysed) != 1 or self._doc_frequency(conn, analysed[0]):
                continue
            term = analysed[0]
            maxdist = 1 if len(term) <= 4 else 2
            with conn.begin_nested():
                conn.execute(text("SELECT set_config('pg_trgm.similarity_threshold', :s, true)"),
                             {"s": str(TRIGRAM_SIMILARITY)})
                found = conn.scalars(
                    select(words_table.c.term)
                    .where(words_table.c.term.bool_op("%")(term), func.left(words_table.c.term, 1) == term[:1])
                    .order_by(func.similarity(words_table.c.term, term).desc())
                    .limit(50)
                ).all()
            candidates = sorted(c for c in found if c != term and levenshtein(c, term, maxdist) <= maxdist)
            frequencies = {c: self._doc_frequency(conn, c) for c in candidates}
            candidates = [c for c in candidates if frequencies[c]]  # words of bites since removed
            if not candidates:
                continue
            best = max(candidates, key=lambda c: frequencies[c])
            surface = self._surface_form(conn, best)
            if word[:1].isupper():
                surface = surface[:1].upper() + surface[1:]
            corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", surface.replace("\\", r"\\"), corrected, count=1)
            changed = True
        return corrected if changed else None

    def _surface_form(self, conn: Connection, stemmed: str) -> str:
        """A word as people write it whose stem is ``stemmed``, taken from the first bite that holds it."""
        tsq = f"{lexeme(stemmed)}:{TEXT_WEIGHTS['text']}"
        body = conn.scalar(select(bites_table.c.text).where(matches(bites_table.c.tsv, tsq))
                           .order_by(bites_table.c.id).limit(1)) or ""
        forms = Counter(t.text for t in plain_analyzer()(body) if stem(t.text) == stemmed)
        return forms.most_common(1)[0][0] if forms else stemmed
