"""Stored sentence vectors of calls: ``<call id>.vectors.npz`` beside the transcript, one row per sentence.

Why a file beside the transcript rather than a table: the vectors are derived from the transcript JSON, like the
captions, and are rebuilt from it; at 384 float16 numbers a sentence (about 300 KB for an hour's call) they would
bloat the database and its backups, and neither SQLite nor PostgreSQL without pgvector can search them anyway. A
vector index (search by meaning) is built from these files: a row is addressed by (call id, sentence index), and
``spans`` map it to the words, hence to the bite whose range holds its first word.

The file records the model that made the vectors and a digest of the sentences' text; ``read`` returns None when
either differs (another ``EMBEDDING_MODEL``, a transcript transcribed again), so the caller embeds again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from enable.transcription.store import TranscriptStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentenceVectors:
    """One call's sentence vectors: row i is sentence i, covering words ``spans[i, 0]..spans[i, 1]``."""

    model: str
    digest: str
    spans: np.ndarray  # (n, 2) int32: first and last word index
    vectors: np.ndarray  # (n, dim) float32, unit rows


def sentences_digest(texts: Sequence[str]) -> str:
    """A short digest of the sentences' texts, to tell whether stored vectors still describe them."""
    return hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:32]


class VectorStore:
    """Sentence vectors in the transcript folder; writes are atomic, a damaged file reads as absent."""

    def __init__(self, transcripts: TranscriptStore) -> None:
        self.transcripts = transcripts

    def read(self, call_id: int, model: str, digest: str) -> SentenceVectors | None:
        """The stored vectors of a call if they were made by `model` from sentences with `digest`, else None."""
        path = self.transcripts.vectors_path(call_id)
        try:
            with np.load(path, allow_pickle=False) as data:
                stored = SentenceVectors(str(data["model"]), str(data["digest"]), data["spans"].astype(np.int32),
                                         data["vectors"].astype(np.float32))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            log.warning("sentence vectors of call %s are damaged (%s); they will be made again", call_id, exc)
            return None
        if stored.model != model or stored.digest != digest or len(stored.spans) != len(stored.vectors):
            return None
        return stored

    def write(self, call_id: int, vectors: SentenceVectors) -> None:
        """Save a call's sentence vectors (float16 on disk), replacing any earlier ones whole."""
        path = self.transcripts.vectors_path(call_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                np.savez(handle, model=np.asarray(vectors.model), digest=np.asarray(vectors.digest),
                         spans=vectors.spans.astype(np.int32), vectors=vectors.vectors.astype(np.float16))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
