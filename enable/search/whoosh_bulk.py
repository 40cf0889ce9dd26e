"""A faster Whoosh writer for rebuilding the whole bite index in one pass.

Whoosh's own writer analyses every field through chains of generator filters, sends each
posting through an external merge sort (pickled to temporary files), then writes the
postings one Python call at a time; at 100,000 bites that took the best part of an hour.
``BulkWriter`` writes the same segment files through the same codec, so readers cannot
tell the difference, but:

- the text fields are analysed with one regular-expression pass and cached term lookups
  (the same tokenizer, normaliser and stemmer as the Whoosh analyzer), and the ``pairs``
  field is derived from the ``text`` field's terms instead of analysing the text again;
- postings are gathered in memory per term (already in document order, since documents
  are added in order), so no sort and no temporary files;
- each term's blocks and term info are written directly rather than posting by posting.

Only for rebuilds: every document goes to a new segment that replaces the index (CLEAR).
``tests/search/test_whoosh_backend.py`` checks the files against Whoosh's own writer.
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Callable
from functools import lru_cache
from pickle import dumps

from whoosh import fields
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3TermInfo
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import CLEAR, SegmentWriter

from enable.analysis import WORD_PATTERN, _normalize_token, stem

# Fields analysed by ``enable.analysis.stem_analyzer`` (tokenise, normalise, stem), and the
# field holding the adjacent pairs of another field's terms (``whoosh_docsets.FunctionPairFilter``).
STEMMED_FIELDS = frozenset(("text", "title", "call_title"))
PAIRS_OF = {"pairs": "text"}

_WORD = re.compile(WORD_PATTERN)


@lru_cache(maxsize=200_000)
def _index_term(token: str) -> str | None:
    # NormalizeFilter drops a token that normalises to nothing; the position stays used.
    normalized = _normalize_token(token)
    return stem(normalized) if normalized else None


def stemmed_terms(value: str) -> list[tuple[str, int]]:
    """(term, position) of each token of value, as ``stem_analyzer`` indexes them."""
    out = []
    for pos, found in enumerate(_WORD.finditer(value)):
        term = _index_term(found.group())
        if term is not None:
            out.append((term, pos))
    return out


@lru_cache(maxsize=500_000)
def _positions_value(deltas: tuple[int, ...]) -> bytes:
    # Positions.encode, cached: most postings hold one or two positions, so values repeat.
    return pack_uint(len(deltas)) + dumps(list(deltas), 2)


@lru_cache(maxsize=4096)
def _frequency_value(freq: int) -> bytes:
    return pack_uint(freq)


def positions_items(terms: list[tuple[str, int]], boost: float) -> list[tuple[str, int, float, bytes]]:
    """(term, frequency, weight, value) per term, as ``Positions.word_values`` gives them."""
    poses: dict[str, list[int]] = {}
    for term, pos in terms:
        found = poses.get(term)
        if found is None:
            poses[term] = [pos]
        else:
            found.append(pos)
    items = []
    for term, poslist in poses.items():
        deltas = tuple(b - a for a, b in zip([0, *poslist], poslist, strict=False))
        items.append((term, len(poslist), len(poslist) * 1.0 * boost, _positions_value(deltas)))
    return items


def pairs_items(
    terms: list[tuple[str, int]], is_pair: Callable[[str, str], bool], boost: float
) -> list[tuple[str, int, float, bytes]]:
    """(pair, frequency, weight, value) of the indexed adjacent pairs, as ``Frequency.word_values`` gives them."""
    freqs: dict[str, int] = {}
    previous = None
    for term, _ in terms:
        if previous is not None and is_pair(previous, term):
            pair = f"{previous} {term}"
            freqs[pair] = freqs.get(pair, 0) + 1
        previous = term
    return [(pair, freq, freq * 1.0 * boost, _frequency_value(freq)) for pair, freq in freqs.items()]


class _Postings:
    """One term's postings in one segment: document numbers, weights and encoded values."""

    __slots__ = ("docs", "values", "weights")

    def __init__(self) -> None:
        self.docs = array("I")
        self.weights = array("f")
        self.values: list[bytes] = []


class BulkWriter(SegmentWriter):
    """A Whoosh segment writer for a full rebuild; commit always replaces the whole index."""

    def __init__(self, ix: object, is_pair: Callable[[str, str], bool], **kwargs: object) -> None:
        super().__init__(ix, **kwargs)
        self._is_pair = is_pair
        self._postings: dict[str, dict[bytes, _Postings]] = {}
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"BulkWriter does not write term vectors or spelling fields ({name}).")
        for name in STEMMED_FIELDS:
            if name in self.schema and type(self.schema[name].format) is not Positions:
                raise ValueError(f"BulkWriter expects positions in the {name} field.")
        for name, source in PAIRS_OF.items():
            if name in self.schema and (source not in self.schema or type(self.schema[name].format) is not Frequency):
                raise ValueError(f"BulkWriter expects frequencies in the {name} field.")

    def _items(
        self, fieldname: str, field: fields.FieldType, value: object, cache: dict[str, list[tuple[str, int]]]
    ) -> list[tuple[bytes, int, float, bytes]]:
        boost = field.format.field_boost
        if not isinstance(value, str) or (fieldname not in STEMMED_FIELDS and fieldname not in PAIRS_OF):
            return list(field.index(value))
        terms = cache.get(value)
        if terms is None:
            terms = cache[value] = stemmed_terms(value)
        if fieldname in STEMMED_FIELDS:
            items = positions_items(terms, boost)
        else:
            items = pairs_items(terms, self._is_pair, boost)
        return [(term.encode("utf-8"), freq, weight, vbytes) for term, freq, weight, vbytes in items]

    def add_document(self, **docfields: object) -> None:
        """Add one document, as ``SegmentWriter.add_document`` would (no vectors, no spelling)."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(docfields)
        fieldnames = sorted(name for name in docfields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        # Analysed text by value, so the text field reuses the terms found for the pairs field.
        cache: dict[str, list[tuple[str, int]]] = {}
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = docfields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(docfields, fieldname, docboost)
                    terms = self._postings.setdefault(fieldname, {})
                    for tbytes, freq, weight, vbytes in self._items(fieldname, field, value, cache):
                        if field.scorable:
                            length += freq
                        postings = terms.get(tbytes)
                        if postings is None:
                            postings = terms[tbytes] = _Postings()
                        postings.docs.append(docnum)
                        postings.weights.append(weight * fieldboost)
                        postings.values.append(vbytes or b"")
                customval = docfields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def commit(self, mergetype: object = None, **kwargs: object) -> None:
        """Write the segment and make it the whole index."""
        if mergetype not in (None, CLEAR):
            raise ValueError("BulkWriter only replaces the whole index.")
        super().commit(mergetype=CLEAR, **kwargs)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        writer = self.fieldwriter
        doccount = self.docnum
        for fieldname in sorted(self._postings):
            terms = self._postings[fieldname]
            if not terms:
                continue
            field = self.schema[fieldname]
            lengths = [reader.doc_field_length(d, fieldname) for d in range(doccount)] if reader else None
            writer.start_field(fieldname, field)
            fixed_size = field.format.fixed_value_size()
            for tbytes in sorted(terms):
                _write_term(writer, tbytes, terms[tbytes], lengths, fixed_size)
            writer.finish_field()
            terms.clear()
        writer.close()
        if reader is not None:
            reader.close()


def _write_term(
    writer: W3FieldWriter, btext: bytes, postings: _Postings, lengths: list[int] | None, fixed_size: int | None
) -> None:
    """Write one term's posting blocks and its term info, as ``W3FieldWriter`` does posting by posting.

    Follows ``W3PostingsWriter._write_block`` and ``W3TermInfo.add_block`` of whoosh-reloaded
    2.7.5 (pinned): blocks of ``blocklimit`` postings, each a signed length (negative for the
    last), a pickled info tuple and the pickled (delta-coded ids, weights, values).
    """
    codec = writer._codec
    limit, compression = codec._blocklimit, codec._compression
    postfile = writer._postfile
    docs, weights, values = postings.docs, postings.weights, postings.values
    info = W3TermInfo()
    startoffset = postfile.tell()
    postfile.write(WHOOSH3_HEADER_MAGIC)
    count = len(docs)
    for start in range(0, count, limit):
        end = min(start + limit, count)
        ids = docs[start:end]
        block_weights = weights[start:end]
        first_weight = block_weights[0]
        mini_weights: float | tuple[float, ...] | None
        mini_values: tuple[bytes, ...] | bytes | None
        if all(w == 1.0 for w in block_weights):
            mini_weights = None
        elif all(w == first_weight for w in block_weights):
            mini_weights = first_weight
        else:
            mini_weights = tuple(block_weights)
        block_values = [v for v in values[start:end] if v]
        if fixed_size is None or fixed_size < 0:
            mini_values = tuple(block_values)
        elif fixed_size == 0:
            mini_values = None
        else:
            mini_values = b"".join(block_values)
        data = dumps((tuple(b - a for a, b in zip((0, *ids), ids, strict=False)), mini_weights, mini_values), 2)
        if compression:
            data = zlib.compress(data, compression)
        minlength, maxlength = None, 0
        if lengths is not None:
            block_lengths = [length for d in ids if (length := lengths[d])]
            if block_lengths:
                minlength, maxlength = min(block_lengths), max(block_lengths)
        maxweight = max(0, max(block_weights))
        head = dumps(
            (len(ids), ids[-1], maxweight, compression, length_to_byte(minlength), length_to_byte(maxlength)), 2
        )
        size = len(head) + len(data)
        postfile.write(pack_int(-size if end == count else size))
        postfile.write(head)
        postfile.write(data)
        info._weight += sum(block_weights)
        info._df += len(ids)
        info._minlength = minlength if info._minlength is None else min(info._minlength, minlength)
        info._maxlength = max(info._maxlength, maxlength)
        info._maxweight = max(info._maxweight, maxweight)
        if info._minid is None:
            info._minid = ids[0]
        info._maxid = ids[-1]
    info.set_extent(startoffset, postfile.tell() - startoffset)
    writer._tindex.add(pack_ushort(writer._fieldid) + btext, info.to_bytes())
