"""Bitset matching, facet counting and ranking over a Whoosh index, fast enough for 100k bites.

Whoosh matches and scores in pure Python, one posting at a time through layers of matcher
objects; over tens of thousands of matches that takes far longer than a search page may.
Here each term's postings are read once per index version (block by block) into a Python
int used as a bitset, so queries, filters and facet counts become ``&``, ``|`` and
``int.bit_count``, which run in C. Ranking reads the postings of the query's informative
words once and scores only documents that passed every filter.

Phrases use the ``pairs`` field, which indexes two adjacent terms as one term ("too expens")
when either is a function word ("too", "not", "не"): phrases of such words are the ones whose
words occur everywhere, so checking positions would touch most bites (Whoosh checks about
5,000 bites a second). Pairs of two content words are left out: they multiply the index's
terms, and their own rarity usually keeps the check cheap. So a phrase matches a bite holding:

- every adjacent pair of its words, when all the pairs are indexed: exact for two words
  ("too expensive"); for longer ones ("I need to check with my boss") a bite that holds each
  pair but never the whole run also matches, a near miss accepted for speed;
- otherwise, the whole phrase at consecutive positions, checked by Whoosh on the bites
  holding all its words and indexed pairs, when there are at most VERIFY_LIMIT of them; above
  that (common content words in a big index) the check is skipped and those bites match.

Scores are BM25 without length normalisation, since bites all last about two minutes.
"""

from __future__ import annotations

import heapq
import math
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from itertools import islice

from whoosh import query
from whoosh.analysis import Filter, Token
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher

from enable.analysis import is_function_term, normalize

PAIRS_FIELD = "pairs"
SCORED_FIELDS = {"text": 1.0, "title": 0.5, "call_title": 0.3}
BM25_K1 = 1.2
# A word in more bites than this share adds little to a score but costs the most to score.
COMMON_SHARE = 0.3
SKIP_COMMON_FROM = 1000
MAX_ORDINAL = date.max.toordinal()
VERIFY_LIMIT = 1000


def is_indexed_pair(a: str, b: str) -> bool:
    """Tell whether two adjacent analysed terms are indexed as a pair (either is a function word)."""
    return is_function_term(a) or is_function_term(b)


class FunctionPairFilter(Filter):
    """Whoosh filter turning a term stream into its indexed adjacent pairs, "a b"."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        previous = None
        for t in tokens:
            text = t.text
            if previous is not None and is_indexed_pair(previous, text):
                t.text = f"{previous} {text}"
                yield t
            previous = text


_BIT_POSITIONS = tuple(tuple(i for i in range(8) if byte >> i & 1) for byte in range(256))
_NONZERO = re.compile(rb"[^\x00]")


def _posting_blocks(matcher: Matcher) -> Iterator[tuple[Iterable[int], Iterable[float]]]:
    """Yield (document numbers, weights) per postings block, skipping Whoosh's per-posting calls."""
    if isinstance(matcher, FilterMatcher):
        # Deleted documents are removed afterwards with the live bitset.
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights
        return
    # Private attributes of whoosh-reloaded 2.7.5 (pinned): one array per block of 128 postings.
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        start = matcher._i
        yield matcher._ids[start:], matcher._weights[start:]
        matcher._next_block()


def bits_of(docnums: Iterable[int], size: int) -> int:
    """Return the bitset (a Python int) of document numbers below size."""
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


class BitsFilter:
    """Membership test for a bitset in O(1), for loops over many document numbers."""

    def __init__(self, bits: int, size: int) -> None:
        self.packed = bits.to_bytes((size + 7) >> 3, "little")

    def __contains__(self, docnum: int) -> bool:
        return bool(self.packed[docnum >> 3] >> (docnum & 7) & 1)


class Snapshot:
    """One open searcher and everything computed from it; replaced when the index changes."""

    CACHE_ENTRIES = 4096
    POSTINGS_ENTRIES = 256

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = self.reader.schema
        self.size = self.reader.doc_count_all()
        self.leaves = searcher.leaf_searchers()
        deleted = [
            d + offset
            for leaf, offset in self.leaves
            if leaf.reader().has_deletions()
            for d in leaf.reader().deleted_docs_set
        ]
        self.live = ((1 << self.size) - 1) & ~bits_of(deleted, self.size)
        self.live_count = self.live.bit_count()
        self._cache: dict[object, int] = {}
        self._postings: dict[tuple[str, bytes], tuple[array, array]] = {}
        self._facets: dict[str, list[tuple[str, int]]] = {}
        self._dates: list[int] | None = None
        self._date_order: list[int] | None = None
        self._month_index: dict[tuple[int, int], tuple[list[int], int]] | None = None

    def _cached(self, key: object, compute: Callable[[], int]) -> int:
        bits = self._cache.get(key)
        if bits is None:
            if len(self._cache) >= self.CACHE_ENTRIES:
                self._cache.clear()
            bits = self._cache[key] = compute() & self.live
        return bits

    def _btext(self, fieldname: str, text: str | bytes | bool) -> bytes:
        return text if isinstance(text, bytes) else self.schema[fieldname].to_bytes(text)

    def postings(self, fieldname: str, text: str | bytes) -> tuple[array, array]:
        """(document numbers, weights) of one term, live or not, as arrays."""
        btext = self._btext(fieldname, text)
        key = (fieldname, btext)
        found = self._postings.get(key)
        if found is None:
            ids, weights = array("l"), array("f")
            for leaf, offset in self.leaves:
                reader = leaf.reader()
                if (fieldname, btext) in reader:
                    for block_ids, block_weights in _posting_blocks(reader.postings(fieldname, btext)):
                        ids.extend((d + offset for d in block_ids) if offset else block_ids)
                        weights.extend(block_weights)
            if len(self._postings) >= self.POSTINGS_ENTRIES:
                self._postings.clear()
            found = self._postings[key] = (ids, weights)
        return found

    def term(self, fieldname: str, text: str | bytes | bool) -> int:
        """Bitset of the live documents holding one term."""
        if fieldname not in self.schema:
            return 0
        btext = self._btext(fieldname, text)
        return self._cached((fieldname, btext), lambda: bits_of(self.postings(fieldname, btext)[0], self.size))

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
            return self.phrase(q.fieldname, [str(w) for w in q.words], q.slop)
        simplified = q.simplify(self.reader)
        if simplified is not q and simplified != q:
            return self.matching(simplified)
        return self._cached(("docs", repr(q)), lambda: bits_of(self.searcher.docs_for_query(q), self.size))

    def phrase(self, fieldname: str, words: list[str], slop: int = 1) -> int:
        """Bitset of the live documents holding the analysed words as a phrase in one field."""
        if not words:
            return 0
        if len(words) == 1:
            return self.term(fieldname, words[0])
        pairs = list(zip(words, words[1:], strict=False))
        use_pairs = fieldname == "text" and slop == 1
        candidates = self.live
        if use_pairs:
            for a, b in pairs:
                if is_indexed_pair(a, b):
                    candidates &= self.term(PAIRS_FIELD, f"{a} {b}")
            if all(is_indexed_pair(a, b) for a, b in pairs):
                return candidates
        # Function words are in nearly every bite: their bitsets narrow little and cost most.
        content = [w for w in words if not is_function_term(w)] or words
        for word in content:
            candidates &= self.term(fieldname, word)
        if not candidates or candidates.bit_count() > VERIFY_LIMIT:
            return candidates
        key = ("phrase", fieldname, tuple(words), slop)
        return self._cached(key, lambda: self._verify_phrase(fieldname, words, slop, candidates))

    def _verify_phrase(self, fieldname: str, words: list[str], slop: int, candidates: int) -> int:
        found = []
        phrase = query.Phrase(fieldname, words, slop=slop)
        docs = list(iter_bits(candidates))
        for leaf, offset in self.leaves:
            end = offset + leaf.reader().doc_count_all()
            local = [d - offset for d in docs if offset <= d < end]
            if not local:
                continue
            matcher = phrase.matcher(leaf)
            for d in local:
                if not matcher.is_active():
                    break
                matcher.skip_to(d)
                if matcher.is_active() and matcher.id() == d:
                    found.append(d + offset)
        return bits_of(found, self.size)

    def dates(self) -> list[int]:
        """Call date of every document as a day ordinal (0 when unknown)."""
        if self._dates is None:
            dates = [0] * self.size
            for leaf, offset in self.leaves:
                reader = leaf.reader()
                if reader.has_column("call_date"):
                    for i, value in enumerate(reader.column_reader("call_date")):
                        # A bite without a date reads back as the column's default (2**31 - 1).
                        dates[offset + i] = value if 0 < value <= MAX_ORDINAL else 0
            self._dates = dates
        return self._dates

    def date_order(self) -> list[int]:
        """Document numbers, newest call first, undated last."""
        if self._date_order is None:
            dates = self.dates()
            self._date_order = sorted(range(self.size), key=lambda d: (-dates[d], d))
        return self._date_order

    def date_range(self, start: date | None, end: date | None) -> int:
        """Bitset of the live documents whose call date lies within start..end, inclusive."""
        if start is None and end is None:
            return self.live
        low = start.toordinal() if start else 1
        high = end.toordinal() if end else MAX_ORDINAL
        return self._cached(("dates", low, high), lambda: self._date_bits(low, high))

    def _date_bits(self, low: int, high: int) -> int:
        # Whole months are OR-ed from per-month bitsets; only the two edge months are scanned.
        months = self._months()
        bits = 0
        for (first, last), (docs, month_bits) in months.items():
            if low <= first and last <= high:
                bits |= month_bits
            elif first <= high and low <= last:
                dates = self.dates()
                bits |= bits_of((d for d in docs if low <= dates[d] <= high), self.size)
        return bits

    def _months(self) -> dict[tuple[int, int], tuple[list[int], int]]:
        """For each calendar month with dated bites: (first, last day ordinal) -> (docs, bitset)."""
        if self._month_index is None:
            docs_by_month: dict[tuple[int, int], list[int]] = {}
            for d, day in enumerate(self.dates()):
                if day:
                    when = date.fromordinal(day)
                    first = when.replace(day=1).toordinal()
                    last = (date(when.year + when.month // 12, when.month % 12 + 1, 1)).toordinal() - 1
                    docs_by_month.setdefault((first, last), []).append(d)
            self._month_index = {key: (docs, bits_of(docs, self.size)) for key, docs in docs_by_month.items()}
        return self._month_index

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

    def scores(self, words: Iterable[str], allowed: int) -> dict[int, float] | None:
        """BM25 scores (no length normalisation) of the allowed documents for analysed words.

        None when every word is in so many bites (over COMMON_SHARE) that no order by
        relevance means anything ("the"); scoring them would also be the slowest case.
        """
        member = BitsFilter(allowed, self.size).packed
        n = max(self.live_count, 1)
        weighted = []
        for word in dict.fromkeys(words):
            for fieldname, boost in SCORED_FIELDS.items():
                df = self.reader.doc_frequency(fieldname, word)
                if df:
                    weighted.append((df, fieldname, word, boost))
        informative = [w for w in weighted if n < SKIP_COMMON_FROM or w[0] <= COMMON_SHARE * n]
        if weighted and not informative:
            return None
        scores: dict[int, float] = {}
        get = scores.get
        for df, fieldname, word, boost in informative:
            idf = boost * math.log(1 + (n - df + 0.5) / (df + 0.5))
            contribution: dict[float, float] = {}
            ids, weights = self.postings(fieldname, word)
            for d, tf in zip(ids, weights, strict=True):
                if member[d >> 3] >> (d & 7) & 1:
                    c = contribution.get(tf)
                    if c is None:
                        c = contribution[tf] = idf * tf * (BM25_K1 + 1) / (tf + BM25_K1)
                    scores[d] = get(d, 0.0) + c
        return scores


def top_scored(scores: dict[int, float], group: int, skip: int, want: int, size: int) -> list[tuple[int, float]]:
    """The page (skip, want) of the group's documents by score, unscored ones last by number."""
    member = BitsFilter(group, size).packed
    ranked = heapq.nsmallest(
        skip + want,
        ((-s, d) for d, s in scores.items() if member[d >> 3] >> (d & 7) & 1),
    )
    page = [(d, -s) for s, d in ranked]
    if len(page) < skip + want:
        # Some documents matched only through words too common to score: list them after.
        unscored = (d for d in iter_bits(group) if d not in scores)
        page += [(d, 0.0) for d in islice(unscored, skip + want - len(page))]
    return page[skip : skip + want]


# Below this many documents, sorting them directly beats walking the whole date order.
_SORT_DIRECTLY = 5000


def top_by_date(snap: Snapshot, group: int, skip: int, want: int) -> list[tuple[int, float]]:
    """The page (skip, want) of the group's documents, newest call first."""
    dates = snap.dates()
    if group.bit_count() <= _SORT_DIRECTLY:
        ordered = sorted(iter_bits(group), key=lambda d: (-dates[d], d))
        return [(d, 0.0) for d in ordered[skip : skip + want]]
    member = BitsFilter(group, snap.size)
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
