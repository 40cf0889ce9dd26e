"""The library's sentences by meaning: an approximate nearest-neighbour index (usearch, HNSW) on local disk.

One row per sentence of a searchable bite: its vector (from the stored ``.vectors.npz`` files, see
``enable.meaning.vectors``), the bite, the call, the second it starts and its text (for snippets and answers). The
index is derived data, like the Whoosh index: it is rebuilt from the stored vectors when it is missing or was made by
another model (``model`` in its metadata), and written after the database commit by whoever writes the search index.

Layout of the folder (``VECTOR_INDEX_DIR``)::

    CURRENT               the name of the live generation ("gen-000012"), replaced atomically
    gen-000012/index.usearch   the HNSW graph and vectors (float16, cosine)
    gen-000012/rows.npz        keys, bite ids, call ids, start seconds, text offsets (sorted by key)
    gen-000012/text.bin        the sentences' texts, UTF-8, one after another
    gen-000012/meta.json       model, dimensions, next key
    .lock                 held by a writer (fcntl), so two workers never write at once

Readers never block: a web process memory-maps the live generation (``view``) and, before each search, checks
whether CURRENT changed. A writer copies the live generation into memory, applies its change, writes a new
generation, points CURRENT at it and removes generations older than the previous one (a reader still mapping it
keeps its pages until it reopens). Each write therefore rewrites the whole index: fine for thousands of calls; a
library of 100,000 bites would want a small delta generation merged now and then (not built yet).

No Flask and no database here: callers pass rows and vectors in.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

EXACT_BELOW = 5_000  # fewer sentences than this are searched exhaustively (exact, and about as fast as the graph)


class VectorIndexUnavailable(RuntimeError):
    """The sentence index is missing, damaged or made by another model; search falls back to words."""


@dataclass(frozen=True, slots=True)
class SentenceRow:
    """One sentence of a bite as the index keeps it."""

    bite_id: int
    call_id: int
    start_s: float
    text: str


@dataclass(frozen=True, slots=True)
class NearSentence:
    """A sentence found near a query: its row and its cosine to the query."""

    bite_id: int
    call_id: int
    start_s: float
    text: str
    score: float


@dataclass
class _Generation:
    name: str
    index: Any  # usearch.index.Index, None when empty
    keys: np.ndarray
    bites: np.ndarray
    calls: np.ndarray
    starts: np.ndarray
    offsets: np.ndarray
    text: np.ndarray  # uint8, memory-mapped
    model: str
    dim: int
    next_key: int

    def row_text(self, row: int) -> str:
        return bytes(self.text[int(self.offsets[row]) : int(self.offsets[row + 1])]).decode("utf-8", "replace")


class SentenceIndex:
    """The sentence index in one folder; safe to share between web processes (readers) and workers (writers)."""

    def __init__(self, path: Path, model: str, dim: int) -> None:
        self.path = Path(path)
        self.model = model
        self.dim = dim
        self._lock = threading.RLock()
        self._live: _Generation | None = None
        self._live_mark: tuple[str, int] | None = None

    # Reading -----------------------------------------------------------------------------

    def _current_name(self) -> str | None:
        try:
            return (self.path / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def _open(self, name: str, view: bool) -> _Generation:
        from usearch.index import Index

        folder = self.path / name
        try:
            meta = json.loads((folder / "meta.json").read_text())
            with np.load(folder / "rows.npz", allow_pickle=False) as rows:
                keys, bites, calls = rows["keys"], rows["bites"], rows["calls"]
                starts, offsets = rows["starts"], rows["offsets"]
            size = (folder / "text.bin").stat().st_size
            text = (np.memmap(folder / "text.bin", dtype=np.uint8, mode="r") if size
                    else np.zeros(0, dtype=np.uint8))
            index = Index.restore(str(folder / "index.usearch"), view=view) if len(keys) else None
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise VectorIndexUnavailable(f"The sentence index in {folder} cannot be read ({exc}); it is rebuilt by "
                                         "`flask search rebuild`.") from exc
        if index is None and len(keys):
            raise VectorIndexUnavailable(f"The sentence index in {folder} is incomplete.")
        return _Generation(name, index, keys, bites, calls, starts, offsets, text, str(meta.get("model")),
                           int(meta.get("dim", 0)), int(meta.get("next_key", 0)))

    def _reader(self) -> _Generation:
        """The live generation, memory-mapped, reopened when a writer replaced it."""
        with self._lock:
            name = self._current_name()
            if name is None:
                raise VectorIndexUnavailable(f"There is no sentence index in {self.path} yet.")
            try:
                mark = (name, (self.path / "CURRENT").stat().st_mtime_ns)
            except FileNotFoundError as exc:
                raise VectorIndexUnavailable(f"There is no sentence index in {self.path} yet.") from exc
            if self._live is None or self._live_mark != mark:
                live = self._open(name, view=True)
                if live.model != self.model or live.dim != self.dim:
                    raise VectorIndexUnavailable(f"The sentence index in {self.path} was made by {live.model}, not "
                                                 f"{self.model}; it is rebuilt by `flask search rebuild`.")
                self._live, self._live_mark = live, mark
            return self._live

    def is_current(self) -> bool:
        """Whether a readable index made by this model exists."""
        try:
            self._reader()
        except VectorIndexUnavailable:
            return False
        return True

    def __len__(self) -> int:
        return len(self._reader().keys)

    def nearest(self, vector: np.ndarray, k: int = 100, floor: float = -1.0) -> list[NearSentence]:
        """The `k` sentences nearest to a unit query vector (cosine, best first), those below `floor` left out."""
        live = self._reader()
        if live.index is None or not len(live.keys):
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        with self._lock:  # one search at a time per generation: usearch views share their mapped file
            matches = live.index.search(query, min(k, len(live.keys)), exact=len(live.keys) < EXACT_BELOW)
        keys = np.asarray(matches.keys, dtype=np.int64).reshape(-1)
        scores = 1.0 - np.asarray(matches.distances, dtype=np.float32).reshape(-1)
        rows = np.minimum(np.searchsorted(live.keys, keys), len(live.keys) - 1)
        kept = (live.keys[rows] == keys) & (scores >= floor)
        found: list[NearSentence] = []
        for row, score in zip(rows[kept].tolist(), scores[kept].tolist(), strict=True):
            found.append(NearSentence(int(live.bites[row]), int(live.calls[row]), float(live.starts[row]),
                                      live.row_text(row), score))
        return found

    # Writing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def replace_calls(self, call_ids: Iterable[int], rows: list[SentenceRow], vectors: np.ndarray) -> None:
        """Replace every sentence of these calls with `rows` (one vector each): the calls' bites were indexed again.

        When no index of this model exists yet, raises VectorIndexUnavailable: the caller rebuilds it whole.
        """
        gone = {int(c) for c in call_ids}
        with self._writing():
            name = self._current_name()
            if name is None:
                raise VectorIndexUnavailable(f"There is no sentence index in {self.path} yet.")
            old = self._open(name, view=False)
            if old.model != self.model or old.dim != self.dim:
                raise VectorIndexUnavailable(f"The sentence index in {self.path} was made by {old.model}.")
            keep = ~np.isin(old.calls, np.fromiter(gone, dtype=np.int64, count=len(gone)))
            index = old.index
            if index is None:
                index = self._new_index()
            else:
                dropped = old.keys[~keep]
                if len(dropped):
                    index.remove(dropped)
            new_keys = np.arange(old.next_key, old.next_key + len(rows), dtype=np.int64)
            if len(rows):
                index.add(new_keys, np.asarray(vectors, dtype=np.float32))
            kept_texts = [old.row_text(int(r)) for r in np.flatnonzero(keep)]
            self._write_generation(
                index, np.concatenate([old.keys[keep], new_keys]),
                np.concatenate([old.bites[keep], np.asarray([r.bite_id for r in rows], dtype=np.int64)]),
                np.concatenate([old.calls[keep], np.asarray([r.call_id for r in rows], dtype=np.int64)]),
                np.concatenate([old.starts[keep], np.asarray([r.start_s for r in rows], dtype=np.float32)]),
                kept_texts + [r.text for r in rows], old.next_key + len(rows), previous=name)

    def rebuild(self, parts: Iterable[tuple[list[SentenceRow], np.ndarray]]) -> int:
        """Replace the whole index with these rows and vectors (one part per call); return the sentences indexed."""
        with self._writing():
            index = self._new_index()
            bites: list[int] = []
            calls: list[int] = []
            starts: list[float] = []
            texts: list[str] = []
            for rows, vectors in parts:
                if not rows:
                    continue
                keys = np.arange(len(bites), len(bites) + len(rows), dtype=np.int64)
                index.add(keys, np.asarray(vectors, dtype=np.float32))
                bites += [r.bite_id for r in rows]
                calls += [r.call_id for r in rows]
                starts += [r.start_s for r in rows]
                texts += [r.text for r in rows]
            self._write_generation(index, np.arange(len(bites), dtype=np.int64), np.asarray(bites, dtype=np.int64),
                                   np.asarray(calls, dtype=np.int64), np.asarray(starts, dtype=np.float32), texts,
                                   len(bites), previous=self._current_name())
            return len(bites)

    def _new_index(self) -> Any:
        from usearch.index import Index

        return Index(ndim=self.dim, metric="cos", dtype="f16")

    def _write_generation(self, index: Any, keys: np.ndarray, bites: np.ndarray, calls: np.ndarray, starts: np.ndarray,
                          texts: list[str], next_key: int, previous: str | None) -> None:
        """Write a new generation, make it live, and remove the ones before `previous`."""
        number = 1 + max((int(p.name[4:]) for p in self.path.glob("gen-*") if p.name[4:].isdigit()), default=0)
        name = f"gen-{number:06d}"
        folder = self.path / name
        folder.mkdir()
        encoded = [t.encode("utf-8") for t in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        if encoded:
            offsets[1:] = np.cumsum([len(b) for b in encoded])
        with open(folder / "text.bin", "wb") as handle:
            handle.write(b"".join(encoded))
            handle.flush()
            os.fsync(handle.fileno())
        with open(folder / "rows.npz", "wb") as handle:
            np.savez(handle, keys=keys, bites=bites, calls=calls, starts=starts, offsets=offsets)
            handle.flush()
            os.fsync(handle.fileno())
        if len(keys):
            index.save(str(folder / "index.usearch"))
        (folder / "meta.json").write_text(json.dumps({"model": self.model, "dim": self.dim, "next_key": next_key}))
        temporary = self.path / ".CURRENT.tmp"
        temporary.write_text(name)
        os.replace(temporary, self.path / "CURRENT")
        for old in self.path.glob("gen-*"):
            if old.name not in (name, previous):
                shutil.rmtree(old, ignore_errors=True)
        log.info("sentence index %s written: %d sentences", name, len(keys))
