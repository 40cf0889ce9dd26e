"""Bitset matching, facet counting and ranking over a Whoosh index, fast enough for 100k bites.

Whoosh matches and scores in pure Python, one posting at a time through layers of matcher
objects; over tens of thousands of matches that takes far longer than a search page may.
Here each term's posting list is read whole (its blocks unpickled back to back, see
``read_postings``) into numpy arrays, kept per segment across commits (``SegmentPostings``),
and turned into a Python int used as a bitset, so queries, filters and facet counts become
``&``, ``|`` and ``int.bit_count``, which run in C. Ranking scores, with numpy, only the
documents that passed every filter, from the postings of the query's informative words.

Phrases use the ``pairs`` field, which indexes two adjacent terms as one term ("too expens")
when either is a function word ("too", "not", "не"): phrases of such words are the ones whose
words occur everywhere, so checking positions would touch most bites (Whoosh checks about
5,000 bites a second). Pairs of two content words are left out: they multiply the index's
terms, and their own rarity usually keeps the check cheap. So a phrase matches a bite holding:

- every adjacent pair of its words, when all the pairs are indexed: exact for two words
  ("too expensive"); for longer ones ("I need to check with my boss") a bite that holds each
  pair but never the whole run also matches, a near miss accepted for speed;
- otherwise, the whole phrase at consecutive positions, checked on the bites holding all its
  words and indexed pairs (positions decoded from the postings, as Whoosh's phrase matcher
  would), when there are at most VERIFY_LIMIT of them; above that (common content words in a
  big index) the check is skipped and those bites match.

Scores are BM25 without length normalisation, since bites all last about two minutes.
"""

from __future__ import annotations

import io
import math
import pickle
import struct
import threading
import zlib
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from itertools import accumulate
from typing import NamedTuple, TypeVar

import numpy as np
from whoosh import query
from whoosh.analysis import Filter, Token
from whoosh.codec.base import Segment
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.formats import Positions
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
# Words read when a snapshot opens: the most frequent ones, if in at least this share of bites.
WARM_TERMS = 100
WARM_SHARE = 0.05


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


_BLOCK_LENGTH = struct.Struct("!i")
_MAGIC_SIZE = 4  # "W3Bl" before the first block of every posting list


def read_postings(matcher: Matcher) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, weights) of one term in one segment, live or not, as numpy arrays.

    Whoosh's matcher walks a posting list through several Python calls per block and per
    posting; here the whole list is read at once and its blocks unpickled back to back.
    """
    if isinstance(matcher, FilterMatcher):
        # Deleted documents are removed afterwards with the live bitset.
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)
    # The block layout of whoosh-reloaded 2.7.5 (pinned), as W3LeafMatcher reads it: a signed
    # length (negative for the last block), a pickled info tuple (count, last id, max weight,
    # compression, min and max length), then the pickled (delta-coded ids, weights, values).
    length = matcher._length
    if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves the length as struct.unpack's tuple
        length = length[0]
    stream = io.BytesIO(matcher._postfile.get(matcher._startoffset, length))
    stream.seek(_MAGIC_SIZE)
    deltas: list[int] = []
    weights_: list[float] = []
    previous_last = 0
    last = False
    while not last:
        start = stream.tell()
        (length,) = _BLOCK_LENGTH.unpack(stream.read(_BLOCK_LENGTH.size))
        last = length < 0
        # The index directory is the application's own data, which Whoosh itself unpickles.
        count, last_id, _, compression, _, _ = pickle.load(stream)  # noqa: S301
        data = stream.read(start + _BLOCK_LENGTH.size + abs(length) - stream.tell())
        block_ids, block_weights, _ = pickle.loads(zlib.decompress(data) if compression else data)  # noqa: S301
        first = len(deltas)
        deltas.extend(block_ids)
        # Each block's first id is absolute; make it relative to the previous block's last.
        deltas[first] -= previous_last
        previous_last = last_id
        if block_weights is None:
            weights_.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights_.extend([block_weights] * count)
        else:
            weights_.extend(block_weights)
    return np.cumsum(np.array(deltas, dtype=np.int64)), np.array(weights_, dtype=np.float32)


def read_positions(matcher: Matcher, wanted: set[int]) -> dict[int, list[int]]:
    """Positions of one term in the wanted documents of one segment (a Positions-format field).

    Reads the blocks as ``read_postings`` does, decoding only the wanted documents' positions
    (``Positions.encode``: a 4-byte count, then the pickled list of position deltas).
    """
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    found: dict[int, list[int]] = {}
    if type(matcher) is not W3LeafMatcher:
        while matcher.is_active():
            if matcher.id() in wanted:
                found[matcher.id()] = list(matcher.value_as("positions"))
            matcher.next()
        return found
    length = matcher._length
    if isinstance(length, tuple):
        length = length[0]
    stream = io.BytesIO(matcher._postfile.get(matcher._startoffset, length))
    stream.seek(_MAGIC_SIZE)
    ordered = sorted(wanted)
    previous_last = -1
    last = False
    while not last:
        start = stream.tell()
        (length,) = _BLOCK_LENGTH.unpack(stream.read(_BLOCK_LENGTH.size))
        last = length < 0
        _, last_id, _, compression, _, _ = pickle.load(stream)  # noqa: S301 (see read_postings)
        end = start + _BLOCK_LENGTH.size + abs(length)
        # Skip a block holding none of the wanted documents without unpickling its data.
        first_wanted = bisect_right(ordered, previous_last)
        previous_last = last_id
        if first_wanted == len(ordered) or ordered[first_wanted] > last_id:
            stream.seek(end)
            continue
        data = stream.read(end - stream.tell())
        deltas, _, values = pickle.loads(zlib.decompress(data) if compression else data)  # noqa: S301
        for i, docnum in enumerate(accumulate(deltas)):
            if docnum in wanted:
                found[docnum] = list(accumulate(pickle.loads(values[i][_POSITIONS_COUNT:])))  # noqa: S301
    return found


_POSITIONS_COUNT = 4


def bits_of(docnums: Iterable[int] | np.ndarray, size: int) -> int:
    """Return the bitset (a Python int) of document numbers below size."""
    mask = np.zeros(size, dtype=bool)
    ids = docnums if isinstance(docnums, np.ndarray) else np.fromiter(docnums, dtype=np.int64)
    mask[ids] = True
    return bits_of_mask(mask)


def bits_of_mask(mask: np.ndarray) -> int:
    """Return the bitset of the positions where a boolean array is true."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def mask_of(bits: int, size: int) -> np.ndarray:
    """Return a boolean array of length size, true at the set bits of a bitset."""
    packed = np.frombuffer(bits.to_bytes((size + 7) >> 3, "little"), dtype=np.uint8)
    return np.unpackbits(packed, count=size, bitorder="little").view(bool)


def positions(bits: int) -> np.ndarray:
    """Return the positions of the set bits of a bitset, in increasing order."""
    return np.flatnonzero(mask_of(bits, bits.bit_length()))


def first_bit(bits: int) -> int:
    """Return the lowest set bit's position of a non-empty bitset."""
    return (bits & -bits).bit_length() - 1


def iter_bits(bits: int) -> Iterator[int]:
    """Yield the positions of the set bits of a bitset, in increasing order."""
    return iter(positions(bits).tolist())


Kept = TypeVar("Kept")


class SegmentPostings:
    """Postings read from segments, kept across snapshots: segments never change once written.

    A commit adds a segment (or merges some into a new one) and leaves the others as they
    were, so after a bite is added only the new segment's postings are read again. Deleted
    documents stay in a segment's postings; each snapshot's live bitset removes them.
    Bounded by the number of postings held (8 bytes each: 96 MB at most), least recently used out first.
    Each term's bitset per segment is kept as well (a segment's size in bits, 64 MB in all at most), so a snapshot
    after a merge builds a term's bitset by shifting those of the unchanged segments, reading only the new one.
    """

    def __init__(self, max_postings: int = 12_000_000, max_bits_bytes: int = 64 << 20) -> None:
        self.max_postings = max_postings
        self.held = 0
        self._entries: OrderedDict[tuple[str, str, bytes], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._frequent: dict[tuple[str, str, int, float], list[bytes]] = {}
        self._bits: OrderedDict[tuple[str, str, bytes], int] = OrderedDict()  # segment-local bitsets
        self.max_bits_bytes = max_bits_bytes
        self.bits_bytes = 0
        self._columns: dict[tuple[str | None, str], np.ndarray] = {}  # per segment: a few MB at 100k bites
        # The stored facet values of the documents facets are shown from.
        self._stored: dict[tuple[str | None, int], dict] = {}
        self._lock = threading.Lock()

    def frequent_terms(self, leaf: Searcher, fieldname: str, number: int, share: float) -> list[bytes]:
        """The segment's most frequent terms held by at least ``share`` of its documents."""
        reader = leaf.reader()
        segment = reader.segment()
        if segment is None:
            return []
        key = (segment.segment_id(), fieldname, number, share)
        found = self._frequent.get(key)
        if found is None:
            least = share * reader.doc_count_all()
            found = self._frequent[key] = [
                btext
                for _, btext in reader.most_frequent_terms(fieldname, number)
                if reader.doc_frequency(fieldname, btext) >= least
            ]
        return found

    def retain(self, leaves: Iterable[Searcher]) -> None:
        """Forget the bitsets, dates and stored values of segments these leaves no longer hold (merged away)."""
        ids = {segment.segment_id() for leaf in leaves if (segment := leaf.reader().segment()) is not None}
        with self._lock:
            for column_key in [k for k in self._columns if k[0] not in ids]:
                del self._columns[column_key]
            for stored_key in [k for k in self._stored if k[0] not in ids]:
                del self._stored[stored_key]
            for bits_key in [k for k in self._bits if k[0] not in ids]:
                self.bits_bytes -= _size_of(bits_key, self._bits.pop(bits_key))

    def dates(self, leaf: Searcher) -> np.ndarray | None:
        """Call date of each of the segment's documents as a day ordinal (0 when unknown); None without dates."""
        reader = leaf.reader()
        segment = reader.segment()
        key = (segment.segment_id() if segment is not None else None, "call_date")
        found = self._columns.get(key) if segment is not None else None
        if found is None:
            if not reader.has_column("call_date"):
                return None
            column = reader.column_reader("call_date")
            found = np.fromiter(column, dtype=np.int64, count=len(column))
            # A bite without a date reads back as the column's default (2**31 - 1).
            found[(found <= 0) | (found > MAX_ORDINAL)] = 0
            if segment is not None:
                with self._lock:
                    self._columns[key] = found
        return found

    def stored_facets(self, leaf: Searcher, docnum: int) -> dict:
        """The stored facet values of one document of the segment (segment-local number)."""
        segment = leaf.reader().segment()
        key = (segment.segment_id() if segment is not None else None, docnum)
        found = self._stored.get(key) if segment is not None else None
        if found is None:
            found = leaf.stored_fields(docnum).get("facets", {})
            if segment is not None:
                with self._lock:
                    if len(self._stored) >= 100_000:
                        self._stored.clear()
                    self._stored[key] = found
        return found

    def get(self, leaf: Searcher, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """(segment-local document numbers, weights) of one term in one segment; None if absent."""
        reader = leaf.reader()
        segment = reader.segment()
        if segment is None:  # an empty index's reader
            return None
        key = (segment.segment_id(), fieldname, btext)
        found = self._recent(self._entries, key)
        if found is not None:
            return found
        if (fieldname, btext) not in reader:
            return None
        ids, weights = read_postings(reader.postings(fieldname, btext))
        found = (ids.astype(np.int32), weights)
        with self._lock:
            if key not in self._entries:
                self._entries[key] = found
                self.held += len(ids)
            while self.held > self.max_postings and len(self._entries) > 1:
                _, (old, _) = self._entries.popitem(last=False)
                self.held -= len(old)
        return found

    def _recent(self, cache: OrderedDict[tuple[str, str, bytes], Kept], key: tuple[str, str, bytes]) -> Kept | None:
        """A kept value, marked as the most recently used; None when not kept."""
        with self._lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
            return found

    def bits(self, leaf: Searcher, fieldname: str, btext: bytes) -> int:
        """Bitset of the segment's documents (live or not, by segment-local number) holding one term."""
        segment = leaf.reader().segment()
        if segment is None:
            return 0
        key = (segment.segment_id(), fieldname, btext)
        found = self._recent(self._bits, key)
        if found is not None:
            return found
        postings = self.get(leaf, fieldname, btext)
        if postings is None:  # not in this segment: not kept (any word typed would add an entry)
            return 0
        found = bits_of(postings[0], leaf.reader().doc_count_all())
        with self._lock:
            if key not in self._bits:
                self._bits[key] = found
                self.bits_bytes += _size_of(key, found)
            while self.bits_bytes > self.max_bits_bytes and len(self._bits) > 1:
                self.bits_bytes -= _size_of(*self._bits.popitem(last=False))
        return found


def _size_of(key: tuple[str, str, bytes], bits: int) -> int:
    """Bytes an entry of the bitsets kept per segment takes, roughly: the int, its key and the entry itself."""
    return (bits.bit_length() + 7) // 8 + len(key[2]) + 150


def deleted_within(a: Segment, b: Segment) -> bool:
    """Whether every document deleted in one version of a segment is deleted in a later one (Whoosh never brings
    one back, but a bitset carried over relies on it)."""
    if not a.has_deletions():
        return True
    return b.deleted_count() >= a.deleted_count() and set(a.deleted_docs()) <= set(b.deleted_docs())


class Carried(NamedTuple):
    """What a snapshot takes over from the one before it, when the commit between them kept all its segments."""

    bitsets: dict[object, int]  # the previous snapshot's (of its live documents), taken out as they are used
    added: list[tuple[Searcher, int]]  # the new segments, with their offsets
    date_order: np.ndarray | None  # the previous snapshot's, if it had computed one


class Snapshot:
    """One open searcher and everything computed from it; replaced when the index changes."""

    CACHE_ENTRIES = 4096
    POSTINGS_ENTRIES = 256

    def __init__(self, searcher: Searcher, segments: SegmentPostings | None = None,
                 previous: Snapshot | None = None) -> None:
        self.searcher = searcher
        self.segments = segments if segments is not None else SegmentPostings()
        self.reader = searcher.reader()
        self.schema = self.reader.schema
        self.size = self.reader.doc_count_all()
        self.leaves = searcher.leaf_searchers()
        self.segments.retain(leaf for leaf, _ in self.leaves)
        deleted = [
            d + offset
            for leaf, offset in self.leaves
            if leaf.reader().has_deletions()
            for d in leaf.reader().deleted_docs_set
        ]
        self.live = ((1 << self.size) - 1) & ~bits_of(deleted, self.size)
        self.live_count = self.live.bit_count()
        self._cache: dict[object, int] = {}
        self._postings: dict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self._facets: dict[str, list[tuple[str, int]]] = {}
        self._dates: np.ndarray | None = None
        self._date_order: np.ndarray | None = None
        self._carried = self._carry_from(previous) if previous is not None else None

    def _carry_from(self, previous: Snapshot) -> Carried | None:
        """The previous snapshot's bitsets and date order, and this one's new segments, when this one kept every
        segment of the previous one.

        A commit of a call's bites adds a small segment after the unchanged ones (at the same document numbers), and
        may delete documents in them (a call processed again, a bite edited), so a term's bitset here is the
        previous one plus what the new segments hold, less the documents deleted since (a segment's deleted
        documents are never brought back); the date order is the previous one with the new documents merged in.
        """
        old = [leaf.reader().segment() for leaf, _ in previous.leaves]
        new = [leaf.reader().segment() for leaf, _ in self.leaves]
        if len(new) < len(old) or any(a is None or b is None or a.segment_id() != b.segment_id()
                                      or not deleted_within(a, b) for a, b in zip(old, new, strict=False)):
            return None  # segments merged away: start afresh
        return Carried(previous._cache, self.leaves[len(old):], previous._date_order)

    def _term_bits(self, fieldname: str, btext: bytes) -> int:
        """Bitset of the documents (live or not) holding one term."""
        if self._carried is not None:
            # the previous snapshot is retired: its bitsets are freed as they are used
            bits = self._carried.bitsets.pop((fieldname, btext), None)
            if bits is not None:
                return bits | self._segment_bits(self._carried.added, fieldname, btext)
        return self._segment_bits(self.leaves, fieldname, btext)

    def _segment_bits(self, leaves: Iterable[tuple[Searcher, int]], fieldname: str, btext: bytes) -> int:
        """Bitset of the documents of these segments holding one term, from each segment's kept bitset."""
        bits = 0
        for leaf, offset in leaves:
            local = self.segments.bits(leaf, fieldname, btext)
            if local:
                bits |= local << offset
        return bits

    def _leaf_postings(self, leaves: Iterable[tuple[Searcher, int]], fieldname: str,
                       btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, weights) of one term in these segments, numbered as in this snapshot."""
        id_parts, weight_parts = [], []
        for leaf, offset in leaves:
            segment = self.segments.get(leaf, fieldname, btext)
            if segment is not None:
                id_parts.append(segment[0].astype(np.int64) + offset)
                weight_parts.append(segment[1])
        if len(id_parts) == 1:
            return id_parts[0], weight_parts[0]
        if id_parts:
            return np.concatenate(id_parts), np.concatenate(weight_parts)
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)

    def _cached(self, key: object, compute: Callable[[], int]) -> int:
        bits = self._cache.get(key)
        if bits is None:
            if len(self._cache) >= self.CACHE_ENTRIES:
                self._cache.clear()
            bits = self._cache[key] = compute() & self.live
        return bits

    def _btext(self, fieldname: str, text: str | bytes | bool) -> bytes:
        return text if isinstance(text, bytes) else self.schema[fieldname].to_bytes(text)

    def postings(self, fieldname: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, weights) of one term, live or not, as numpy arrays."""
        btext = self._btext(fieldname, text)
        key = (fieldname, btext)
        found = self._postings.get(key)
        if found is None:
            found = self._leaf_postings(self.leaves, fieldname, btext)
            if len(self._postings) >= self.POSTINGS_ENTRIES:
                self._postings.clear()
            self._postings[key] = found
        return found

    def term(self, fieldname: str, text: str | bytes | bool) -> int:
        """Bitset of the live documents holding one term."""
        if fieldname not in self.schema:
            return 0
        btext = self._btext(fieldname, text)
        return self._cached((fieldname, btext), lambda: self._term_bits(fieldname, btext))

    def uncached_term(self, fieldname: str, text: str) -> int:
        """Bitset of the live documents holding one term, not kept (terms asked for once, such as one bite's id)."""
        if fieldname not in self.schema:
            return 0
        return self._term_bits(fieldname, self._btext(fieldname, text)) & self.live

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
        field = self.schema[fieldname] if fieldname in self.schema.names() else None
        if slop != 1 or field is None or type(field.format) is not Positions:
            return self._verify_phrase_with_whoosh(fieldname, words, slop, candidates)
        # Whoosh's phrase matcher (SpanNear2, ordered, slop 1) accepts a document where the
        # words stand at consecutive positions p, p+1, ...; checked here on decoded positions.
        found = []
        docs = positions(candidates)
        terms = list(dict.fromkeys(words))
        for leaf, offset in self.leaves:
            reader = leaf.reader()
            local = docs[(docs >= offset) & (docs < offset + reader.doc_count_all())] - offset
            btexts = [field.to_bytes(w) for w in terms]
            if not len(local) or any((fieldname, b) not in reader for b in btexts):
                continue
            wanted = set(local.tolist())
            by_term = {}
            # Rarest first: each word leaves fewer documents whose positions the next must decode.
            order = sorted(zip(terms, btexts, strict=True), key=lambda tb: reader.doc_frequency(fieldname, tb[1]))
            for term, btext in order:
                by_term[term] = read_positions(reader.postings(fieldname, btext), wanted)
                wanted = set(by_term[term])  # a document missing one word cannot match
            rest = list(enumerate(words))[1:]
            for d in wanted:
                held = {term: set(by_term[term][d]) for term in terms}
                if any(all(p + i in held[w] for i, w in rest) for p in held[words[0]]):
                    found.append(d + offset)
        return bits_of(found, self.size)

    def _verify_phrase_with_whoosh(self, fieldname: str, words: list[str], slop: int, candidates: int) -> int:
        found = []
        phrase = query.Phrase(fieldname, words, slop=slop)
        docs = positions(candidates).tolist()
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

    def dates(self) -> np.ndarray:
        """Call date of every document as a day ordinal (0 when unknown)."""
        if self._dates is None:
            dates = np.zeros(self.size, dtype=np.int64)
            for leaf, offset in self.leaves:
                values = self.segments.dates(leaf)
                if values is not None:
                    dates[offset : offset + len(values)] = values
            self._dates = dates
        return self._dates

    def date_order(self) -> np.ndarray:
        """Document numbers, newest call first, undated last (ties by document number)."""
        if self._date_order is None:
            keys = -self.dates()  # undated (0) last
            before = self._carried.date_order if self._carried is not None else None
            if before is None:
                self._date_order = np.argsort(keys, kind="stable")
            else:  # the new documents (numbered after all others) merged into the previous order
                added = np.arange(len(before), self.size)
                added = added[np.argsort(keys[added], kind="stable")]
                at = np.searchsorted(keys[before], keys[added], side="right")
                self._date_order = np.insert(before, at, added)
        return self._date_order

    def date_range(self, start: date | None, end: date | None) -> int:
        """Bitset of the live documents whose call date lies within start..end, inclusive."""
        if start is None and end is None:
            return self.live
        low = start.toordinal() if start else 1
        high = end.toordinal() if end else MAX_ORDINAL
        dates = self.dates()
        return self._cached(("dates", low, high), lambda: bits_of_mask((dates >= low) & (dates <= high)))

    def warm(self, facet_fields: Iterable[str], frequent: int = WARM_TERMS) -> None:
        """Compute ahead what nearly every search needs (facet bitsets, dates, best examples),
        and the bitsets of the most frequent words, the slowest to read the first time.

        A snapshot carrying the previous one's bitsets leaves the words to the searches that ask for them: each
        is then the previous bitset and the new segment's, which costs little, and most are not asked for before
        the next commit."""
        for fieldname in facet_fields:
            self.facet(fieldname)
        self.term("is_best", True)
        self.date_order()
        if frequent and self._carried is None and "text" in self.schema.names() and self.leaves:
            # From the biggest segment: listing a multi-segment index's terms merges every list.
            biggest = max((leaf for leaf, _ in self.leaves), key=lambda leaf: leaf.reader().doc_count_all())
            for btext in self.segments.frequent_terms(biggest, "text", frequent, WARM_SHARE):
                self.term("text", btext)

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
        stored = self._stored_facets(first_bit(bits))
        return next((v for v in stored.get(fieldname, []) if normalize(v) == term), term)

    def _stored_facets(self, docnum: int) -> dict:
        """The stored facet values of one document (kept per segment: a segment's stored fields never change)."""
        for leaf, offset in reversed(self.leaves):
            if docnum >= offset:
                return self.segments.stored_facets(leaf, docnum - offset)
        return {}

    def scores(self, words: Iterable[str], allowed: int) -> Scores | None:
        """BM25 scores (no length normalisation) of the allowed documents for analysed words.

        None when every word is in so many bites (over COMMON_SHARE) that no order by
        relevance means anything ("the"); scoring them would also be the slowest case.
        """
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
        member = mask_of(allowed, self.size)
        values = np.zeros(self.size, dtype=np.float64)
        scored = np.zeros(self.size, dtype=bool)
        for df, fieldname, word, boost in informative:
            idf = boost * math.log(1 + (n - df + 0.5) / (df + 0.5))
            ids, weights = self.postings(fieldname, word)
            keep = member[ids]
            ids = ids[keep]
            tf = weights[keep].astype(np.float64)
            # Each id occurs once per posting list, so plain indexing adds in the same order as a loop.
            values[ids] += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1)
            scored[ids] = True
        return Scores(values, scored)


class Scores:
    """Scores of the documents that hold an informative query word; ``scored`` marks which do."""

    def __init__(self, values: np.ndarray, scored: np.ndarray) -> None:
        self.values = values
        self.scored = scored


def top_scored(scores: Scores, group: int, skip: int, want: int, size: int) -> list[tuple[int, float]]:
    """The page (skip, want) of the group's documents by score (ties by number), unscored ones last."""
    member = mask_of(group, size)
    candidates = np.flatnonzero(member & scores.scored)
    values = scores.values[candidates]
    k = skip + want
    if len(candidates) > k:
        # Keep every document scoring at least the k-th best, ties included, then order those exactly.
        threshold = np.partition(values, len(values) - k)[len(values) - k]
        keep = values >= threshold
        candidates, values = candidates[keep], values[keep]
    order = np.lexsort((candidates, -values))[:k]
    page = list(zip(candidates[order].tolist(), values[order].tolist(), strict=True))
    if len(page) < k:
        # Some documents matched only through words too common to score: list them after.
        unscored = np.flatnonzero(member & ~scores.scored)[: k - len(page)]
        page += [(d, 0.0) for d in unscored.tolist()]
    return page[skip:k]


def top_by_date(snap: Snapshot, group: int, skip: int, want: int) -> list[tuple[int, float]]:
    """The page (skip, want) of the group's documents, newest call first."""
    order = snap.date_order()
    member = mask_of(group, snap.size)
    found = order[np.flatnonzero(member[order])[skip : skip + want]]
    return [(d, 0.0) for d in found.tolist()]
