"""The Whoosh implementation of ``SearchIndex``: one index directory, shared by web and worker.

Whoosh parses queries, stores documents and postings, and suggests spellings; matching,
facet counts and ranking run on bitsets (see ``whoosh_docsets``) to stay fast at 100k bites.

Ranking: best examples first; then, for plain words, bites holding them as an exact phrase;
then BM25 relevance, or the newest call first when sorting by date, browsing by filters only,
or searching only words found in most bites ("the"). Scores are 0.0 when ordered by date.

Concurrency: Whoosh allows one writer at a time, guarded by a lock file in the index
directory; readers never block and see the last commit. A writer waits up to
``lock_timeout_s`` for the lock, then ``IndexBusy`` is raised so the caller (a Huey job) can
retry later instead of hanging; web requests only read. A rebuild holds the lock for its
whole run, so writes made meanwhile wait, then fail with ``IndexBusy``.
"""

from __future__ import annotations

import contextlib
import copy
import html
import logging
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from whoosh import fields, index, query
from whoosh.analysis import CompositeAnalyzer, RegexTokenizer, StripFilter, Token
from whoosh.codec.base import Segment
from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import (
    FIRST,
    BasicFragmentScorer,
    Formatter,
    Fragment,
    PinpointFragmenter,
    get_text,
    top_fragments,
)
from whoosh.index import LockError
from whoosh.qparser import QueryParser
from whoosh.reading import IndexReader, MultiReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, IndexWriter

from enable.analysis import (
    ANALYSIS_VERSION,
    WORD_PATTERN,
    NormalizeFilter,
    _normalize_token,
    analysis_of,
    may_change_first_letter,
    normalize,
    plain_analyzer,
    stem,
    stem_analyzer,
    term_of,
    terms,
)
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
from enable.search.query import TEXT_FIELDS, ParsedText, make_parser, parse_text
from enable.search.whoosh_bulk import BulkWriter
from enable.search.whoosh_docsets import (
    PAIRS_FIELD,
    FunctionPairFilter,
    SegmentPostings,
    Snapshot,
    deleted_within,
    first_bit,
    is_indexed_pair,
    top_by_date,
    top_scored,
)

log = logging.getLogger(__name__)

SNIPPET_CHARS = 240
WRITER_MEMORY_MB = 128
# Uncompressed blocks: most terms are rare, and compressing their tiny blocks cost more time
# than it saved space. (Inlining small postings would help more, but it is broken in
# whoosh-reloaded 2.7.5: W3TermInfo has no set_inline.)
CODEC_OPTIONS = {"blocklimit": 128, "compression": 0, "inlinelimit": 1}
FEW_RESULTS = 3
# Results kept per web process for the searches asked again before the index changes (popular words, the library's
# stage and objection shelves, paging back): as Solr's query result cache, emptied when a new snapshot opens.
RESULT_CACHE = 512


class IndexBusy(Exception):
    """Another process is writing to the search index; try again shortly."""


def facet_analyzer() -> CompositeAnalyzer:
    """Return the analyzer for facet fields: comma-separated values, each normalised whole."""
    return RegexTokenizer(r"[^,]+") | StripFilter() | NormalizeFilter()


def make_schema() -> fields.Schema:
    """Return the Whoosh schema of the bite index."""
    text = stem_analyzer()
    facets = {name: fields.KEYWORD(analyzer=facet_analyzer()) for name in (*FILTER_FIELDS, SAID_FIELD)}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        call_id=fields.ID(),
        text=fields.TEXT(analyzer=text, stored=True),
        # Adjacent term pairs ("too expens"), so common phrases need no position checks.
        pairs=fields.TEXT(analyzer=stem_analyzer() | FunctionPairFilter(), phrase=False),
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
    values["said_by"] = said_by_values(doc)
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
        PAIRS_FIELD: doc.text,
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
    if said := said_values(doc):
        fields_[SAID_FIELD] = ",".join(said)
    return fields_


def _trim_to_words(fragment: Fragment) -> None:
    """Move a fragment's edges off half words, never past its first or last match."""
    text = fragment.text
    if fragment.startchar > 0 and not text[fragment.startchar - 1].isspace():
        space = text.find(" ", fragment.startchar, fragment.matches[0].startchar)
        if space >= 0:
            fragment.startchar = space + 1
    if fragment.endchar < len(text) and not text[fragment.endchar].isspace():
        space = text.rfind(" ", fragment.matches[-1].endchar, fragment.endchar)
        if space >= 0:
            fragment.endchar = space


class MarkFormatter(Formatter):
    """Highlight formatter: matched words in <mark>, everything else HTML-escaped."""

    def format_fragment(self, fragment: Fragment, replace: bool = False) -> str:
        """Return one fragment as HTML, with an ellipsis where it cuts the text."""
        body = super().format_fragment(fragment, replace)
        before = "…" if fragment.startchar > 0 else ""
        after = "…" if fragment.endchar < len(fragment.text) else ""
        return before + body.strip() + after

    def format(self, fragments: list[Fragment], replace: bool = False) -> str:
        """Return the fragments joined, without doubled ellipses."""
        return " ".join(self.format_fragment(f, replace) for f in fragments)

    def _text(self, text: str) -> str:
        return html.escape(text)

    def format_token(self, text: str, token: object, replace: bool = False) -> str:
        """Return one matched word wrapped in <mark>."""
        return f"<mark>{html.escape(get_text(text, token, replace))}</mark>"


_WORD = re.compile(WORD_PATTERN)
# Enough matches for two fragments; scanning the rest of a long bite would only cost time.
_SNIPPET_MATCHES = 6


def _first_letter(token: str) -> str:
    # normalize() leaves ASCII as it is but for the case: no need to run it (or fill its cache).
    return token[0].lower() if token.isascii() else _normalize_token(token)[:1]


@lru_cache(maxsize=512)
def _ascii_words_from(firsts: frozenset[str]) -> re.Pattern[str] | None:
    """For ASCII text: a pattern finding just the words (as WORD_PATTERN splits them) whose first letter, in
    either case, is one of `firsts`; None when one of them is not an ASCII word character."""
    if not all(f.isascii() and (f.isalnum() or f == "_") for f in firsts):
        return None
    letters = re.escape("".join(sorted({c for f in firsts for c in (f.lower(), f.upper())})))
    # A candidate letter is a word's first when neither a word character nor a dot inside a word
    # ("v1.2") stands before it; the scan for the letters themselves runs in C.
    return re.compile(rf"[{letters}](?<!\w[{letters}])(?<!\w\.[{letters}])\w*(?:\.\w+)*", re.ASCII)


def _marked_words(text: str, wanted: frozenset[str]) -> list[Token]:
    """The first words of the text whose analysis was asked for (enough for the snippet's fragments)."""
    # Stemming only changes a word's ending, so a word can only stem to a wanted term starting with the same
    # letter: only words starting with one are analysed. A Russian word is lemmatised first and its term may
    # start with another letter ("шёл" -> "идт"), but it is still Cyrillic: when a wanted term is Cyrillic,
    # every word that may change its first letter is analysed too (see ``enable.analysis``).
    firsts = frozenset(term[:1] for term in wanted)
    cyrillic = any(may_change_first_letter(term) for term in wanted)
    pattern = _ascii_words_from(firsts) if text.isascii() else None
    if pattern is not None:
        words: Iterable[re.Match[str]] = pattern.finditer(text)
    else:
        words = (
            m for m in _WORD.finditer(text)
            if (first := _first_letter(m.group())) in firsts or (cyrillic and may_change_first_letter(first))
        )
    matches = []
    for word in words:
        if term_of(word.group()) in wanted:
            matches.append(Token(startchar=word.start(), endchar=word.end(), text=word.group()))
            if len(matches) == _SNIPPET_MATCHES:
                break
    return matches


def make_snippet(text: str, words: Iterable[str]) -> str:
    """Return safe HTML: up to two fragments of text around the analysed words, marked."""
    wanted = frozenset(words)
    matches = _marked_words(text, wanted) if wanted else []
    if matches:
        fragmenter = PinpointFragmenter(maxchars=SNIPPET_CHARS, surround=60)
        fragments = top_fragments(fragmenter.fragment_matches(text, matches), 2, BasicFragmentScorer(), FIRST)
        for fragment in fragments:
            _trim_to_words(fragment)
        if fragments:
            return str(MarkFormatter().format(fragments))
    cut = text[:SNIPPET_CHARS]
    if len(text) > SNIPPET_CHARS:
        cut = cut.rsplit(" ", 1)[0] + "…"
    return html.escape(cut)


Opened = tuple[IndexReader, IndexReader | None]  # a reader a reopen made, and the reader whose files it shares


class WhooshIndex:
    """A ``SearchIndex`` stored in one directory; safe to share between web and worker processes."""

    def __init__(self, path: Path, lock_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        # One search at a time per instance: a Whoosh searcher seeks in shared open files,
        # and the snapshot's caches are plain dicts.
        self._lock = threading.RLock()
        self._ix: index.Index | None = None
        self._write_ix: index.Index | None = None
        self._snapshot: Snapshot | None = None
        self._segments = SegmentPostings()
        self._parser: QueryParser | None = None
        self._results: OrderedDict[tuple, SearchResult] = OrderedDict()  # of the current snapshot

    # Opening --------------------------------------------------------------------------

    def _index(self) -> index.Index:
        if self._ix is None:
            self.path.mkdir(parents=True, exist_ok=True)
            try:
                exists = index.exists_in(str(self.path))
            except Exception as exc:  # a damaged table of contents raises instead of answering
                raise _corrupt(self.path, exc) from exc
            if not exists:
                if any(self.path.glob("*.toc")) or any(self.path.glob("*.seg")):
                    # Index files without a readable table of contents: never silently start an empty index.
                    raise IndexCorrupt(f"The search index in {self.path} is damaged; rebuild it with "
                                       "`flask search rebuild`.")
                self._ix = index.create_in(str(self.path), make_schema())
            else:
                try:
                    ix = index.open_dir(str(self.path))
                except Exception as exc:  # Whoosh reports damage with assorted exception types.
                    raise _corrupt(self.path, exc) from exc
                if set(ix.schema.names()) != set(make_schema().names()) or (
                    analysis_of(ix.schema["text"].analyzer) != ANALYSIS_VERSION
                ):
                    raise IndexCorrupt(
                        f"The search index in {self.path} was built by another version of Enable; "
                        "rebuild it with `flask search rebuild`."
                    )
                self._ix = ix
            self._parser = make_parser(self._ix.schema)
        return self._ix

    def _current(self) -> Snapshot:
        with self._lock:
            ix = self._index()
            snap = self._snapshot
            if snap is None or not snap.searcher.up_to_date():
                try:
                    searcher, opened = self._searcher(ix, snap)
                except Exception as exc:  # Damaged segment files fail in many ways.
                    raise _corrupt(self.path, exc) from exc
                fresh = Snapshot(searcher, self._segments, previous=snap)
                try:
                    # Facet counts, dates and best examples serve every search: compute them now, from the previous
                    # snapshot's bitsets and postings cached per segment, so only a new segment is read after a commit.
                    fresh.warm(FILTER_FIELDS)
                except Exception as exc:
                    for reader, shares in opened:
                        _close_reader(reader, shares)
                    raise _corrupt(self.path, exc) from exc
                if snap is not None:
                    _close_unused(snap.searcher, searcher)
                snap = self._snapshot = fresh
                self._results.clear()
            return snap

    @staticmethod
    def _searcher(ix: index.Index, old: Snapshot | None) -> tuple[Searcher, list[Opened]]:
        """A searcher on the latest commit, and the segment readers it opened (each with the reader still in use
        whose files it shares, if any).

        A commit adds a small segment (or merges small ones) and leaves the big ones as they were. Opening a
        segment of a compound index copies its term and stored-field files into memory (a second or more for
        100,000 bites), so the readers of unchanged segments are kept from the previous searcher, and a segment
        whose deleted documents changed (a bite edited or a call processed again) is read through its previous
        reader's open files with the new deletions. (Whoosh's own ``Searcher.refresh`` would keep readers too, but
        also those of segments merged away, and with their old deletions.)
        """
        if old is None:
            searcher = ix.searcher()
            return searcher, [(r, None) for r, _ in searcher.reader().leaf_readers()]
        try:
            return WhooshIndex._searcher_keeping(ix, old)
        except Exception:  # e.g. a merge removed a file as it was opened: open everything, as Whoosh does (retrying)
            log.info("reopening the whole search index after a failed partial reopen", exc_info=True)
            searcher = ix.searcher()
            return searcher, [(r, None) for r, _ in searcher.reader().leaf_readers()]

    @staticmethod
    def _searcher_keeping(ix: index.Index, old: Snapshot) -> tuple[Searcher, list[Opened]]:
        toc = ix._read_toc()  # the latest commit: its generation, schema and segments
        reusable = {r.segment().segment_id(): r for r, _ in old.searcher.reader().leaf_readers()
                    if r.segment() is not None}
        readers: list[IndexReader] = []
        opened: list[Opened] = []
        try:
            for segment in toc.segments:
                kept = reusable.get(segment.segment_id())
                if kept is not None and _same_deletions(kept.segment(), segment):
                    readers.append(kept)
                elif kept is not None:
                    reader = _with_deletions(kept, segment)
                    readers.append(reader)
                    opened.append((reader, kept))
                else:
                    reader = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
                    readers.append(reader)
                    opened.append((reader, None))
        except BaseException:
            for reader, shares in opened:
                _close_reader(reader, shares)
            raise
        if not readers:
            return ix.searcher(), []
        if len(readers) == 1:
            reader = readers[0]
            reader._gen = toc.generation  # a kept reader: now of this commit (Searcher.up_to_date compares it)
        else:
            reader = MultiReader(readers, generation=toc.generation)
        return Searcher(reader, fromindex=ix), opened

    def close(self) -> None:
        """Close the open searcher (files stay valid for other processes)."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.searcher.close()
                self._snapshot = None
            self._results.clear()

    # Writing --------------------------------------------------------------------------

    def _writing_index(self) -> index.Index:
        """The index as writers open it: segment files read where needed, not copied into memory.

        A writer looks up the documents it deletes or replaces in every segment. Through memory maps, Whoosh copies
        each part of a compound segment it opens into memory (over a second of CPU for the terms of 100,000 bites),
        which pays off for a searcher kept open, not for a writer that reads a few terms and closes.
        """
        self._index()  # created here if new; damage and schema checked
        if self._write_ix is None:
            self._write_ix = FileStorage(str(self.path), supports_mmap=False).open_index()
        return self._write_ix

    def _writer(self, bulk: bool = False) -> IndexWriter:
        options = {"timeout": self.lock_timeout_s, "delay": 0.1, "codec": W3Codec(**CODEC_OPTIONS)}
        try:
            if bulk:
                return BulkWriter(self._writing_index(), is_indexed_pair, **options)
            return self._writing_index().writer(limitmb=WRITER_MEMORY_MB, **options)
        except LockError as exc:
            raise IndexBusy(
                f"The search index is being written by another process (waited {self.lock_timeout_s:.0f}s); "
                "try again in a minute."
            ) from exc

    @contextmanager
    def _writing(self, bulk: bool = False, **commit: object) -> Iterator[IndexWriter]:
        """A writer that commits when the block ends and cancels if it raises (bulk: a whole rebuild)."""
        writer = self._writer(bulk)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        try:
            writer.commit(**commit)
        except BaseException:
            _abandon(writer)
            raise

    def add(self, docs: Iterable[BiteDoc]) -> None:
        """Add or replace (by id) these bites."""
        prepared = [_document(d) for d in docs]
        if prepared:
            with self._writing() as writer:
                for fields_ in prepared:
                    writer.update_document(**fields_)

    def delete(self, ids: Iterable[int]) -> None:
        """Remove the bites with these ids; unknown ids are ignored."""
        values = [str(i) for i in ids]
        if values:
            with self._writing() as writer:
                for value in values:
                    writer.delete_by_term("id", value)

    def delete_call(self, call_id: int) -> None:
        """Remove every bite of one call."""
        with self._writing() as writer:
            writer.delete_by_term("call_id", str(call_id))

    def replace_call(self, call_id: int, docs: Iterable[BiteDoc]) -> None:
        """Replace every bite of one call with these, in one commit (so web processes reopen the index once)."""
        prepared = [_document(d) for d in docs]
        with self._writing() as writer:
            writer.delete_by_term("call_id", str(call_id))
            for fields_ in prepared:
                writer.update_document(**fields_)

    def clear(self) -> None:
        """Remove every bite."""
        with self._writing(mergetype=CLEAR):
            pass

    def rebuild(self, docs: Iterable[BiteDoc]) -> None:
        """Replace the whole index with these bites in one writer; also repairs a corrupt index."""
        try:
            self._index()
        except IndexCorrupt:
            # Unreadable, so no other process can be writing to it meaningfully: start afresh.
            log.warning("search index at %s is unreadable; recreating it", self.path)
            self._ix = index.create_in(str(self.path), make_schema())
            self._write_ix = None
            self._parser = make_parser(self._ix.schema)
        with self._writing(bulk=True) as writer:
            for doc in docs:
                writer.add_document(**_document(doc))

    # Reading --------------------------------------------------------------------------

    def count(self) -> int:
        """Return the number of bites indexed."""
        with self._lock:  # a reopen by another thread closes readers
            return self._current().reader.doc_count()

    def check(self) -> None:
        """Raise IndexCorrupt if any part of the index (terms, postings, stored fields) is unreadable."""
        try:
            ix = index.open_dir(str(self.path))
            with ix.searcher() as searcher:
                for leaf, _ in searcher.leaf_searchers():
                    reader = leaf.reader()
                    for fieldname in reader.indexed_field_names():
                        # Reading the whole term list and the last term's postings touches
                        # the ends of the term and postings files, where truncation shows.
                        last = max(reader.lexicon(fieldname), default=None)
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
        """Run a query; never raises for anything a user typed (see ``SearchResult.error``).

        The same query asked again on the same snapshot gets the result computed the first time (callers must not
        change it).
        """
        with self._lock:
            snap = self._current()
            key = _query_key(q)
            result = self._results.get(key)
            if result is None:
                result = self._results[key] = self._search(snap, q)
                if len(self._results) > RESULT_CACHE:
                    self._results.popitem(last=False)
            else:
                self._results.move_to_end(key)
            return result

    def _search(self, snap: Snapshot, q: SearchQuery) -> SearchResult:
        """Run a query on a snapshot (the caller holds the lock)."""
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
        if q.also_ids and parsed.query is not None:
            text_bits |= self._id_bits(snap, q.also_ids)
        filtered = text_bits & self._filter_bits(snap, q)
        total = filtered.bit_count()
        per_page = max(1, min(q.per_page, MAX_PER_PAGE))
        offset = (max(q.page, 1) - 1) * per_page
        words = _positive_terms(parsed.query)
        ranked = [] if q.counts_only else self._page(snap, parsed, words, filtered, q.sort, offset, per_page)
        hits = [
            SearchHit(id=int(stored["id"]), score=score, snippet=make_snippet(stored.get("text", ""), words))
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
        few = total < FEW_RESULTS and parsed.words and not q.counts_only
        suggestion = _suggest(snap, parsed.words, q.text) if few else None
        return SearchResult(hits=hits, total=total, facets=facets, suggestion=suggestion, error=error)

    def among(self, q: SearchQuery, ids: Iterable[int]) -> tuple[list[int], set[int]]:
        """Of these bite ids, those passing the query's filters and dates (in the order given), and those of them
        whose words match its text too."""
        with self._lock:
            snap = self._current()
            assert self._parser is not None
            parsed = parse_text(q.text, self._parser)
            try:
                text_bits = snap.matching(parsed.query) if parsed.query is not None else 0
            except Exception:  # as in _search: a query Whoosh cannot run matches by its plain words
                text_bits = snap.matching(parse_text(" ".join(parsed.words), self._parser).query)
            allowed = self._filter_bits(snap, q)
            passing: list[int] = []
            worded: set[int] = set()
            for bite_id in dict.fromkeys(ids):
                bits = snap.uncached_term("id", str(bite_id)) & allowed
                if bits:
                    passing.append(bite_id)
                    if bits & text_bits:
                        worded.add(bite_id)
            return passing, worded

    @staticmethod
    def _id_bits(snap: Snapshot, ids: Iterable[int]) -> int:
        bits = 0
        for bite_id in ids:
            bits |= snap.uncached_term("id", str(bite_id))
        return bits

    def _filter_bits(self, snap: Snapshot, q: SearchQuery) -> int:
        bits = snap.date_range(q.date_from, q.date_to)
        for name, values in effective_filters(q.filters).items():
            if name not in FILTER_FIELDS and name != SAID_FIELD:
                continue  # an unknown filter from a stale URL narrows nothing
            accepted = 0
            for value in values:
                accepted |= snap.term(name, normalize(str(value).replace(",", " ").strip()))
            bits &= accepted
        return bits

    def _page(
        self, snap: Snapshot, parsed: ParsedText, words: set[str], allowed: int, sort: str, offset: int, limit: int
    ) -> list[tuple[int, float]]:
        """The (docnum, score) pairs of one page; see the module docstring for the order."""
        if not allowed:
            return []
        best = snap.term("is_best", True) & allowed
        phrase = snap.phrase("text", parsed.phrase) & allowed if len(parsed.phrase) > 1 else 0
        groups = [g for g in (best & phrase, best & ~phrase, phrase & ~best, allowed & ~best & ~phrase) if g]
        scores = None if sort == "date" or parsed.query is None else snap.scores(words, allowed)
        page: list[tuple[int, float]] = []
        for group in groups:
            size = group.bit_count()
            if offset >= size:
                offset -= size
                continue
            want = limit - len(page)
            if scores is None:
                page.extend(top_by_date(snap, group, offset, want))
            else:
                page.extend(top_scored(scores, group, offset, want, snap.size))
            offset = 0
            if len(page) >= limit:
                break
        return page


def _query_key(q: SearchQuery) -> tuple:
    """Everything about a query that its result depends on, hashable: the key of the result cache."""
    filters = tuple(sorted((name, tuple(values)) for name, values in q.filters.items()))  # [] matches nothing
    return q.text, filters, q.date_from, q.date_to, q.sort, q.page, q.per_page, q.counts_only, q.also_ids


def _same_deletions(a: Segment, b: Segment) -> bool:
    """Whether two versions of one segment have the same deleted documents."""
    return a.deleted_count() == b.deleted_count() and deleted_within(a, b)


def _with_deletions(kept: SegmentReader, segment: Segment) -> SegmentReader:
    """A reader of a kept reader's segment with the deleted documents of a later commit.

    The segment's files never change (Whoosh keeps deletions in the table of contents), so the new reader shares
    the kept one's open files and terms; only its per-document reader, which answers for deletions, is new. When
    the kept reader retires, the columns it had read are handed over (`_close_reader`).
    """
    reader = copy.copy(kept)
    reader.__dict__.pop("deleted_docs_set", None)  # cached from the kept reader's deletions
    reader._segment = segment
    reader._perdoc = kept._codec.per_document_reader(kept._storage, segment)
    return reader


def _close_reader(reader: IndexReader, shares: IndexReader | None = None) -> None:
    """Close a segment reader no longer used. One whose files a reader still in use shares (`_with_deletions`, in
    either direction) closes only its own per-document files, after handing the columns it has read (stored fields,
    dates, lengths: copied into memory when first read, 40 ms for the stored fields of 100,000 bites) to that
    reader, which does not have them yet."""
    if shares is None or not isinstance(reader, SegmentReader) or not isinstance(shares, SegmentReader):
        reader.close()
        return
    mine, theirs = reader._perdoc, shares._perdoc
    if isinstance(mine, W3PerDocReader) and isinstance(theirs, W3PerDocReader):
        for name in [n for n in mine._colfiles if n not in theirs._colfiles]:
            theirs._colfiles[name] = mine._colfiles.pop(name)
            if name in mine._readers:
                theirs._readers[name] = mine._readers.pop(name)
    mine.close()
    reader.is_closed = True


def _close_unused(old: Searcher, new: Searcher) -> None:
    """Close the old searcher's segment readers that the new searcher does not use (not the old one whole: that
    would close the readers both share)."""
    leaves = [r for r, _ in new.reader().leaf_readers()]
    kept = {id(r) for r in leaves}
    by_files = {id(r._terms): r for r in leaves if isinstance(r, SegmentReader)}
    for reader, _ in old.reader().leaf_readers():
        if id(reader) not in kept:
            _close_reader(reader, by_files.get(id(reader._terms)) if isinstance(reader, SegmentReader) else None)


def _positive_terms(q: query.Query | None) -> set[str]:
    """Analysed words a result was asked to contain (not those under NOT), for scores and marks."""
    if q is None or isinstance(q, query.Not):
        return set()
    if isinstance(q, query.AndNot):
        return _positive_terms(q.a)
    if isinstance(q, query.Term | query.Phrase):
        if q.fieldname not in TEXT_FIELDS:
            return set()
        return {str(w) for w in q.words} if isinstance(q, query.Phrase) else {str(q.text)}
    if q.is_leaf():
        return set()
    return set().union(*(_positive_terms(child) for child in q.children()))


def _suggest(snap: Snapshot, words: list[str], original: str) -> str | None:
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
            found for leaf, _ in snap.leaves for found in leaf.reader().terms_within("text", term, maxdist, prefix=1)
        }
        if not candidates:
            continue
        best = max(sorted(candidates), key=lambda c: snap.reader.doc_frequency("text", c))
        surface = _surface_form(snap, best)
        if word[:1].isupper():
            surface = surface[:1].upper() + surface[1:]
        corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", surface.replace("\\", r"\\"), corrected, count=1)
        changed = True
    return corrected if changed else None


def _surface_form(snap: Snapshot, stemmed: str) -> str:
    """A word as people write it whose stem is ``stemmed``, taken from a bite that holds it."""
    bits = snap.term("text", stemmed)
    if not bits:
        return stemmed
    text = snap.searcher.stored_fields(first_bit(bits)).get("text", "")
    forms = Counter(t.text for t in plain_analyzer()(text) if stem(t.text) == stemmed)
    return forms.most_common(1)[0][0] if forms else stemmed


def _corrupt(path: Path, exc: BaseException) -> IndexCorrupt:
    return IndexCorrupt(
        f"The search index in {path} cannot be read ({type(exc).__name__}: {exc}); "
        "rebuild it with `flask search rebuild`."
    )


def _abandon(writer: IndexWriter) -> None:
    """Let go of a writer whose commit failed (a full disk). Whoosh's commit keeps the index's write lock and the
    new segment's files open when it raises: every later write would wait for the lock until the process ends,
    and the files, removed by the next commit, would hold their disk space while open. The index keeps its last
    commit; the failed segment is not in its table of contents."""
    if getattr(writer, "is_closed", True):
        return
    fields, columns = getattr(writer, "fieldwriter", None), getattr(writer, "perdocwriter", None)
    files = [getattr(getattr(fields, "_tindex", None), "dbfile", None), getattr(fields, "_postfile", None),
             getattr(getattr(columns, "_cols", None), "_temp", None), getattr(columns, "_vpostfile", None)]
    for file in files:
        raw = getattr(file, "file", file)  # a StructFile wraps a Python file
        if raw is not None:
            # closing flushes, which fails on a full disk, and closes the file descriptor all the same
            with contextlib.suppress(OSError, ValueError):
                raw.close()
    try:
        writer.pool.cleanup()
        writer._finish()  # drops the writer's temporary storage and releases the lock
    except Exception:  # the commit's error is the one to report
        log.exception("could not release the search index's write lock after a failed commit")
