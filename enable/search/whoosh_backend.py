"""The Whoosh implementation of ``SearchIndex``: one index directory, shared by web and worker.

Speed. Whoosh matches and scores in pure Python, one document at a time, which is too slow
to count facets over tens of thousands of matches. So matching is done on bitsets instead
int, and queries, filters and facet counts become ``&``, ``|`` and ``int.bit_count``. Whoosh
still parses, scores the page of hits (BM25F), highlights and spell-checks.

Concurrency. Whoosh allows one writer at a time, guarded by a lock file in the index
directory; readers never block. A writer waits up to ``lock_timeout_s`` for the lock, then
``IndexBusy`` is raised so the caller (a Huey job) can retry later instead of hanging. A
rebuild holds the lock for its whole run, so writes made meanwhile wait or fail with
``IndexBusy``.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

from whoosh import fields, index, query
from whoosh.analysis import CompositeAnalyzer, RegexTokenizer, StripFilter
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.highlight import ContextFragmenter, Formatter, get_text, highlight
from whoosh.idsets import DocIdSet
from whoosh.index import LockError
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.qparser import QueryParser
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, IndexWriter

from enable.analysis import NormalizeFilter, normalize, plain_analyzer, stem, stem_analyzer, terms
from enable.search.index import (
    FILTER_FIELDS,
    MAX_PER_PAGE,
    TAG_KINDS,
    BiteDoc,
    IndexCorrupt,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from enable.search.query import TEXT_FIELDS, make_parser, parse_text

log = logging.getLogger(__name__)

SNIPPET_CHARS = 240
FEW_RESULTS = 3


class IndexBusy(Exception):
    """Another process is writing to the search index; try again shortly."""


def facet_analyzer() -> CompositeAnalyzer:
    """Return the analyzer for facet fields: comma-separated values, each normalised whole."""
    return RegexTokenizer(r"[^,]+") | StripFilter() | NormalizeFilter()


def make_schema() -> fields.Schema:
    """Return the Whoosh schema of the bite index."""
    text = stem_analyzer()
    facets = {name: fields.KEYWORD(analyzer=facet_analyzer()) for name in FILTER_FIELDS}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        call_id=fields.ID(),
        text=fields.TEXT(analyzer=text, stored=True),
        title=fields.TEXT(analyzer=text),
        call_title=fields.TEXT(analyzer=text),
        call_date=fields.NUMERIC(int, bits=32, sortable=True),
        is_best=fields.BOOLEAN(),
        facets=fields.STORED(),
        **facets,
    )


def _facet_values(doc: BiteDoc) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {kind: list(doc.tags.get(kind, [])) for kind in TAG_KINDS}
    unknown = set(doc.tags) - set(TAG_KINDS)
    if unknown:
        raise ValueError(f"Unknown tag kinds {sorted(unknown)}; use {', '.join(TAG_KINDS)}.")
    values["stage"] = [doc.stage] if doc.stage else []
    values["rep"] = [doc.rep] if doc.rep else []
    values["outcome"] = [doc.outcome] if doc.outcome else []
    values["language"] = [doc.language] if doc.language else []
    values["team_id"] = [str(doc.team_id)] if doc.team_id is not None else []
    # Commas separate values in the index, so a comma inside one would split it.
    return {k: [v.replace(",", " ").strip() for v in vs if v and v.strip()] for k, vs in values.items()}


def _document(doc: BiteDoc) -> dict[str, object]:
    facets = _facet_values(doc)
    fields_: dict[str, object] = {
        "id": str(doc.id),
        "call_id": str(doc.call_id),
        "text": doc.text,
        "title": doc.title,
        "call_title": doc.call_title,
        "is_best": doc.is_best,
        "facets": {k: v for k, v in facets.items() if v},
    }
    if doc.call_date is not None:
        fields_["call_date"] = doc.call_date.toordinal()
    for name, values in facets.items():
        if values:
            fields_[name] = ",".join(values)
    return fields_


class MarkFormatter(Formatter):
    """Highlight formatter: matched words in <mark>, everything else HTML-escaped."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text)

    def format_token(self, text: str, token: object, replace: bool = False) -> str:
        """Return one matched word wrapped in <mark>."""
        return f"<mark>{html.escape(get_text(text, token, replace))}</mark>"


def make_snippet(text: str, words: Iterable[str]) -> str:
    """Return safe HTML: fragments of text around the analysed words, which are put in <mark>."""
    wanted = frozenset(words)
    if wanted:
        fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
        out = highlight(text, wanted, stem_analyzer(), fragmenter, MarkFormatter(), top=2)
        if out:
            return str(out)
    cut = text[:SNIPPET_CHARS]
    if len(text) > SNIPPET_CHARS:
        cut = cut.rsplit(" ", 1)[0] + "…"
    return html.escape(cut)


_BIT_POSITIONS = tuple(tuple(i for i in range(8) if byte >> i & 1) for byte in range(256))
_NONZERO = re.compile(rb"[^\x00]")


def _posting_ids(matcher: Matcher) -> Iterator[int]:
    """Yield a term's document numbers, reading whole postings blocks where Whoosh allows."""
    if isinstance(matcher, FilterMatcher):
        # Deleted documents are removed afterwards with the live bitset.
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        yield from matcher.all_ids()
        return
    # Reading a block's id array at once avoids several Python calls per posting.
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        yield from matcher._ids[matcher._i :]
        matcher._next_block()


def _bits_of(docnums: Iterable[int], size: int) -> int:
    packed = bytearray((size + 7) >> 3)
    for d in docnums:
        packed[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(packed, "little")


def iter_bits(bits: int) -> Iterator[int]:
    """Yield the positions of the set bits of a bitset, in increasing order."""
    packed = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
    for match in _NONZERO.finditer(packed):
        base = match.start() << 3
        for i in _BIT_POSITIONS[packed[match.start()]]:
            yield base + i


class _Snapshot:
    """One open searcher and the bitsets computed from it; replaced when the index changes."""

    CACHE_ENTRIES = 4096

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = self.reader.schema
        self.size = self.reader.doc_count_all()
        self.leaves = searcher.leaf_searchers()
        self.live = self._live_bits()
        self._cache: dict[object, int] = {}
        self._facets: dict[str, list[tuple[str, int]]] = {}
        self._dates: list[int] | None = None
        self._date_order: list[int] | None = None

    def _live_bits(self) -> int:
        deleted = [
            d + offset for leaf, offset in self.leaves if leaf.reader().has_deletions()
            for d in leaf.reader().deleted_docs_set
        ]
        return ((1 << self.size) - 1) & ~_bits_of(deleted, self.size)

    def _cached(self, key: object, compute: Callable[[], int]) -> int:
        bits = self._cache.get(key)
        if bits is None:
            if len(self._cache) >= self.CACHE_ENTRIES:
                self._cache.clear()
            bits = self._cache[key] = compute() & self.live
        return bits

    def term(self, fieldname: str, text: str | bytes) -> int:
        """Bitset of the live documents holding one term."""
        if fieldname not in self.schema:
            return 0
        btext = text if isinstance(text, bytes) else self.schema[fieldname].to_bytes(text)

        def compute() -> int:
            docnums = []
            for leaf, offset in self.leaves:
                reader = leaf.reader()
                if (fieldname, btext) in reader:
                    docnums.extend(d + offset for d in _posting_ids(reader.postings(fieldname, btext)))
            return _bits_of(docnums, self.size)

        return self._cached((fieldname, btext), compute)

    def matching(self, q: query.Query | None) -> int:
        """Bitset of the live documents matching a Whoosh query (None matches all)."""
        if q is None or isinstance(q, query.Every):
            return self.live
        if isinstance(q, query.Term):
            return self.term(q.fieldname, q.text)
        if isinstance(q, query.And | query.Require):
            bits = self.live
            for child in q.children():
                bits &= self.matching(child)
                if not bits:
                    break
            return bits
        if isinstance(q, query.Or | query.DisjunctionMax):
            bits = 0
            for child in q.children():
                bits |= self.matching(child)
            return bits
        if isinstance(q, query.Not):
            return self.live & ~self.matching(q.query)
        if isinstance(q, query.AndNot):
            return self.matching(q.a) & ~self.matching(q.b)
        if isinstance(q, query.AndMaybe):
            return self.matching(q.a)
        if q is query.NullQuery:
            return 0
        if isinstance(q, query.Phrase):
            # Only documents holding every word can hold the phrase; position checks are slow.
            candidates = self.live
            for word in q.words:
                candidates &= self.term(q.fieldname, word)
            if not candidates:
                return 0
        simplified = q.simplify(self.reader)
        if simplified is not q and not isinstance(q, query.Phrase):
            return self.matching(simplified)
        return self._cached(("docs", repr(q)), lambda: _bits_of(self.searcher.docs_for_query(q), self.size))

    def dates(self) -> list[int]:
        """Call date of every document as a day ordinal (0 when unknown)."""
        if self._dates is None:
            self._dates = [0] * self.size
            for leaf, offset in self.leaves:
                reader = leaf.reader()
                if reader.has_column("call_date"):
                    for i, value in enumerate(reader.column_reader("call_date")):
                        self._dates[offset + i] = value or 0
        return self._dates

    def date_order(self) -> list[int]:
        """Document numbers, newest call first, undated last."""
        if self._date_order is None:
            dates = self.dates()
            self._date_order = sorted(range(self.size), key=lambda d: (-dates[d], d))
        return self._date_order

    def date_range(self, start: date | None, end: date | None) -> int:
        """Bitset of the documents whose call date lies within start..end, inclusive."""
        if start is None and end is None:
            return self.live
        low = start.toordinal() if start else 1
        high = end.toordinal() if end else date.max.toordinal()
        dates = self.dates()
        return self._cached(
            ("dates", low, high),
            lambda: _bits_of((d for d, day in enumerate(dates) if low <= day <= high), self.size),
        )

    def facet(self, fieldname: str) -> list[tuple[str, int]]:
        """(display value, bitset) for every value of a facet field."""
        values = self._facets.get(fieldname)
        if values is None:
            values = []
            for btext in self.reader.lexicon(fieldname):
                bits = self.term(fieldname, btext)
                if bits:
                    values.append((self._display(fieldname, btext, bits), bits))
            self._facets[fieldname] = values
        return values

    def _display(self, fieldname: str, btext: bytes, bits: int) -> str:
        # The index holds normalised values; show the value as it was given ("Anna Petrova").
        term = btext.decode("utf-8")
        stored = self.searcher.stored_fields(next(iter_bits(bits))).get("facets", {})
        return next((v for v in stored.get(fieldname, []) if normalize(v) == term), term)


class WhooshIndex:
    """A ``SearchIndex`` stored in one directory; safe to share between web and worker processes."""

    def __init__(self, path: Path, lock_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        self._lock = threading.RLock()
        self._ix: index.Index | None = None
        self._snapshot: _Snapshot | None = None
        self._parser: QueryParser | None = None

    # Opening --------------------------------------------------------------------------

    def _index(self) -> index.Index:
        if self._ix is None:
            self.path.mkdir(parents=True, exist_ok=True)
            if not index.exists_in(str(self.path)):
                self._ix = index.create_in(str(self.path), make_schema())
            else:
                try:
                    ix = index.open_dir(str(self.path))
                except Exception as exc:  # Whoosh reports damage with assorted exception types.
                    raise _corrupt(self.path, exc) from exc
                if set(ix.schema.names()) != set(make_schema().names()):
                    raise IndexCorrupt(
                        f"The search index in {self.path} was built by another version of Enable; "
                        "rebuild it with `flask search rebuild`."
                    )
                self._ix = ix
            self._parser = make_parser(self._ix.schema)
        return self._ix

    def _current(self) -> _Snapshot:
        with self._lock:
            ix = self._index()
            snap = self._snapshot
            if snap is None or not snap.searcher.up_to_date():
                try:
                    searcher = ix.searcher()
                except Exception as exc:  # Damaged segment files fail in many ways.
                    raise _corrupt(self.path, exc) from exc
                if snap is not None:
                    snap.searcher.close()
                snap = self._snapshot = _Snapshot(searcher)
            return snap

    def close(self) -> None:
        """Close the open searcher (files stay valid for other processes)."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.searcher.close()
                self._snapshot = None

    # Writing --------------------------------------------------------------------------

    def _writer(self) -> IndexWriter:
        try:
            return self._index().writer(timeout=self.lock_timeout_s, delay=0.1, limitmb=128)
        except LockError as exc:
            raise IndexBusy(
                f"The search index is being written by another process (waited {self.lock_timeout_s:.0f}s); "
                "try again in a minute."
            ) from exc

    def _run_writer(self, work: Callable[[IndexWriter], None], **commit: object) -> None:
        writer = self._writer()
        try:
            work(writer)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(**commit)

    def add(self, docs: Iterable[BiteDoc]) -> None:
        """Add or replace (by id) these bites."""
        prepared = [_document(d) for d in docs]
        if prepared:
            self._run_writer(lambda w: [w.update_document(**fields_) for fields_ in prepared] and None)

    def delete(self, ids: Iterable[int]) -> None:
        """Remove the bites with these ids; unknown ids are ignored."""
        values = [str(i) for i in ids]
        if values:
            self._run_writer(lambda w: [w.delete_by_term("id", v) for v in values] and None)

    def delete_call(self, call_id: int) -> None:
        """Remove every bite of one call."""
        self._run_writer(lambda w: w.delete_by_term("call_id", str(call_id)))

    def clear(self) -> None:
        """Remove every bite."""
        self._run_writer(lambda w: None, mergetype=CLEAR)

    def rebuild(self, docs: Iterable[BiteDoc]) -> None:
        """Replace the whole index with these bites in one writer; also repairs a corrupt index."""
        try:
            self._index()
        except IndexCorrupt:
            # Unreadable, so no other process can be writing to it meaningfully: start afresh.
            log.warning("search index at %s is unreadable; recreating it", self.path)
            self._ix = index.create_in(str(self.path), make_schema())
            self._parser = make_parser(self._ix.schema)

        def add_all(writer: IndexWriter) -> None:
            for doc in docs:
                writer.add_document(**_document(doc))

        self._run_writer(add_all, mergetype=CLEAR)

    # Reading --------------------------------------------------------------------------

    def count(self) -> int:
        """Return the number of bites indexed."""
        return self._current().reader.doc_count()

    def check(self) -> None:
        """Raise IndexCorrupt if any part of the index (terms, postings, stored fields) is unreadable."""
        try:
            ix = index.open_dir(str(self.path))
            with ix.searcher() as searcher:
                for leaf, _ in searcher.leaf_searchers():
                    reader = leaf.reader()
                    for fieldname in reader.indexed_field_names():
                        last = None
                        for last in reader.lexicon(fieldname):
                            pass
                        if last is not None:
                            list(reader.postings(fieldname, last).all_ids())
                    if reader.doc_count_all():
                        reader.stored_fields(0)
                        reader.stored_fields(reader.doc_count_all() - 1)
                    if reader.has_column("call_date"):
                        list(reader.column_reader("call_date"))
        except Exception as exc:  # Any failure to read means the files are damaged.
            raise _corrupt(self.path, exc) from exc

    def search(self, q: SearchQuery) -> SearchResult:
        """Run a query; never raises for anything a user typed (see ``SearchResult.error``)."""
        with self._lock:
            snap = self._current()
            assert self._parser is not None
            parsed = parse_text(q.text, self._parser)
            error = parsed.error
            try:
                text_bits = snap.matching(parsed.query)
            except Exception as exc:  # A query the parser accepted but Whoosh cannot run.
                log.info("query could not run (%s); searching plain words", type(exc).__name__)
                parsed = parse_text(" ".join(parsed.words), self._parser)
                text_bits = snap.matching(parsed.query)
                error = "The search could not be run as written, so the words were searched for one by one."
            filtered = text_bits & self._filter_bits(snap, q)
            total = filtered.bit_count()
            per_page = max(1, min(q.per_page, MAX_PER_PAGE))
            offset = (max(q.page, 1) - 1) * per_page
            ranked = self._page(snap, parsed.query, filtered, q.sort, offset, per_page)
            words = _highlight_terms(parsed.query)
            hits = [
                SearchHit(
                    id=int(stored["id"]),
                    score=score,
                    snippet=make_snippet(stored.get("text", ""), words),
                )
                for docnum, score in ranked
                for stored in (snap.searcher.stored_fields(docnum),)
            ]
            facets = {
                name: sorted(
                    ((value, count) for value, bits in snap.facet(name) if (count := (filtered & bits).bit_count())),
                    key=lambda vc: (-vc[1], vc[0]),
                )
                for name in FILTER_FIELDS
            }
            suggestion = _suggest(snap, parsed.words, q.text) if total < FEW_RESULTS and parsed.words else None
            return SearchResult(hits=hits, total=total, facets=facets, suggestion=suggestion, error=error)

    def _filter_bits(self, snap: _Snapshot, q: SearchQuery) -> int:
        bits = snap.date_range(q.date_from, q.date_to)
        for name, values in q.filters.items():
            if name not in FILTER_FIELDS:
                continue  # an unknown filter from a stale URL narrows nothing
            accepted = 0
            for value in values:
                accepted |= snap.term(name, normalize(str(value).replace(",", " ").strip()))
            bits &= accepted
        return bits

    def _page(
        self, snap: _Snapshot, text_query: query.Query | None, allowed: int, sort: str, offset: int, limit: int
    ) -> list[tuple[int, float]]:
        """The (docnum, score) pairs of one page: best examples first, then by relevance or date."""
        if not allowed:
            return []
        best = snap.term("is_best", True) & allowed
        n_best = best.bit_count()
        page: list[tuple[int, float]] = []
        for group, skip in ((best, offset), (allowed & ~best, max(0, offset - n_best))):
            want = limit - len(page)
            if want <= 0 or not group or skip >= group.bit_count():
                continue
            if sort == "date" or text_query is None:
                page.extend(_by_date(snap, group, skip, want))
            else:
                page.extend(_by_score(snap, text_query, group, skip, want))
        return page


class _BitsFilter(DocIdSet):
    """A read-only set of document numbers backed by a bitset, for Whoosh's result filter."""

    def __init__(self, bits: int) -> None:
        self._packed = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
        self._bits = bits

    def __contains__(self, docnum: object) -> bool:
        i = int(docnum)  # type: ignore[call-overload]
        return (i >> 3) < len(self._packed) and bool(self._packed[i >> 3] >> (i & 7) & 1)

    def __iter__(self) -> Iterator[int]:
        return iter_bits(self._bits)

    def __len__(self) -> int:
        return self._bits.bit_count()


def _by_score(snap: _Snapshot, q: query.Query, allowed: int, skip: int, want: int) -> list[tuple[int, float]]:
    results = snap.searcher.search(q, limit=skip + want, filter=_BitsFilter(allowed))
    return [(docnum, float(score)) for score, docnum in results.top_n[skip : skip + want]]


# Below this many documents, sorting them directly beats walking the whole date order.
_SORT_DIRECTLY = 5000


def _by_date(snap: _Snapshot, allowed: int, skip: int, want: int) -> list[tuple[int, float]]:
    dates = snap.dates()
    if allowed.bit_count() <= _SORT_DIRECTLY:
        ordered = sorted(iter_bits(allowed), key=lambda d: (-dates[d], d))
        return [(d, 0.0) for d in ordered[skip : skip + want]]
    member = _BitsFilter(allowed)
    out: list[tuple[int, float]] = []
    for docnum in snap.date_order():
        if docnum in member:
            if skip:
                skip -= 1
                continue
            out.append((docnum, 0.0))
            if len(out) == want:
                break
    return out


def _highlight_terms(q: query.Query | None) -> set[str]:
    if q is None:
        return set()
    return {
        text.decode("utf-8") if isinstance(text, bytes) else str(text)
        for fieldname, text in q.all_terms(phrases=True)
        if fieldname in TEXT_FIELDS
    }


def _suggest(snap: _Snapshot, words: list[str], original: str) -> str | None:
    """Return the query with unknown words replaced by the closest frequent indexed word."""
    corrected = original
    changed = False
    for word in dict.fromkeys(words):
        analysed = terms(word)
        if len(analysed) != 1 or snap.reader.doc_frequency("text", analysed[0]):
            continue
        term = analysed[0]
        maxdist = 1 if len(term) <= 4 else 2
        candidates = {
            found
            for leaf, _ in snap.leaves
            for found in leaf.reader().terms_within("text", term, maxdist, prefix=1)
        }
        if not candidates:
            continue
        best = max(sorted(candidates), key=lambda c: snap.reader.doc_frequency("text", c))
        surface = _surface_form(snap, best)
        if word[:1].isupper():
            surface = surface[:1].upper() + surface[1:]
        corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", lambda _: surface, corrected, count=1)
        changed = True
    return corrected if changed else None


def _surface_form(snap: _Snapshot, stemmed: str) -> str:
    """A word as people write it whose stem is ``stemmed``, taken from a bite that holds it."""
    bits = snap.term("text", stemmed)
    if not bits:
        return stemmed
    text = snap.searcher.stored_fields(next(iter_bits(bits))).get("text", "")
    forms = Counter(t.text for t in plain_analyzer()(text) if stem(t.text) == stemmed)
    return forms.most_common(1)[0][0] if forms else stemmed


def _corrupt(path: Path, exc: BaseException) -> IndexCorrupt:
    return IndexCorrupt(
        f"The search index in {path} cannot be read ({type(exc).__name__}: {exc}); "
        "rebuild it with `flask search rebuild`."
    )
