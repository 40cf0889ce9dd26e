"""Who spoke when on a one-channel recording: speaker embeddings of windows in, speaker turns and word owners out.

Pure (numpy only). The rules:
- Windows of at least CLUSTER_MIN_S are clustered by average-linkage agglomeration on cosine similarity; merging
  stops when the closest two clusters are less alike than `threshold` (or at `speakers` clusters when the call says
  how many took part), and never leaves more than MAX_SPEAKERS.
- A cluster holding under MIN_SPEAKER_SHARE of the clustered windows is not a speaker of its own (a cough, a
  laugh, a noisy window): its windows go to the closest remaining cluster, so one voice never becomes two.
- Every window (shorter ones too) then goes to the closest cluster centre; each 10 ms of speech belongs to the
  speaker most windows over it were given, and a turn is a run of speech of one speaker.
- A word goes to the speaker who holds most of its time (a turn boundary never splits a word); a word in no turn
  (voice detection missed it) goes to the speaker of the nearest speech.
- Speakers are numbered by when they first speak: index 0 spoke first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_SPEAKERS = 6
# Average cosine similarity between two clusters of 1.5 s CAM++ windows above which they are one voice. Set on the
# real-voice mix of bench/speakers.py (the multilingual.mp3 reader, whose English and German parts are 0.45-0.5
# alike, with JFK, 0.29 from the reader): 0.45 and above split the reader in two languages. Synthesized voices are
# closer to each other than people are: at 0.42 two synthesized voices stay apart, three may merge into two.
THRESHOLD = 0.42
CLUSTER_MIN_S = 1.0  # windows shorter than this are placed after clustering, not clustered
MIN_SPEAKER_SHARE = 0.05
MAX_CLUSTERED = 800  # windows clustered at most (evenly chosen); the rest are placed by their closest centre
FRAME_S = 0.01


@dataclass(frozen=True, slots=True)
class Turn:
    """A stretch of speech by one speaker (index from 0, by first appearance); start and end in seconds."""

    start: float
    end: float
    speaker: int


@dataclass(frozen=True, slots=True)
class Diarization:
    """Who spoke when: the turns, in time order, and the number of speakers found."""

    turns: list[Turn]
    speakers: int
    _frames: np.ndarray  # (frames,) speaker index per 10 ms, -1 where nobody speaks

    def speaker_of(self, start: float, end: float) -> int | None:
        """The speaker who holds most of the span from `start` to `end` seconds (the nearest speech's speaker when
        nobody speaks in it); None when there is no speech at all."""
        frames = self._frames
        if self.speakers == 0 or frames.size == 0:
            return None
        first = min(max(0, int(start / FRAME_S)), frames.size - 1)
        last = min(max(first + 1, int(np.ceil(end / FRAME_S))), frames.size)
        span = frames[first:last]
        held = np.bincount(span[span >= 0], minlength=self.speakers)
        if held.any():
            return int(np.argmax(held))
        spoken = np.flatnonzero(frames >= 0)
        middle = (first + last) // 2
        place = int(np.searchsorted(spoken, middle))
        nearest = spoken[min(place, spoken.size - 1)]
        before = spoken[max(place - 1, 0)]
        closest = before if abs(middle - before) <= abs(nearest - middle) else nearest
        return int(frames[closest])


def cluster(vectors: np.ndarray, threshold: float = THRESHOLD, speakers: int | None = None) -> np.ndarray:
    """Cluster labels (0..k-1) of unit-length row vectors by average-linkage agglomeration on cosine similarity."""
    count = len(vectors)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    similarity = (vectors @ vectors.T).astype(np.float64)
    np.fill_diagonal(similarity, -np.inf)
    sizes = np.ones(count)
    labels = np.arange(count)
    clusters = count
    wanted = None if speakers is None else max(1, min(int(speakers), count))
    while clusters > 1:
        at = int(np.argmax(similarity))
        i, j = divmod(at, count)
        best = similarity[i, j]
        if wanted is not None:
            if clusters <= wanted:
                break
        elif best < threshold and clusters <= MAX_SPEAKERS:
            break
        merged = (sizes[i] * similarity[i] + sizes[j] * similarity[j]) / (sizes[i] + sizes[j])
        similarity[i], similarity[:, i] = merged, merged
        similarity[i, i] = -np.inf
        similarity[j], similarity[:, j] = -np.inf, -np.inf
        sizes[i] += sizes[j]
        labels[labels == j] = i
        clusters -= 1
    _, dense = np.unique(labels, return_inverse=True)
    return dense.astype(np.int64)


def _centres(vectors: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    centres = np.stack([vectors[labels == k].mean(axis=0) for k in range(count)])
    return centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-9)


def diarize(
    spans: np.ndarray,
    vectors: np.ndarray,
    speech: np.ndarray,
    speakers: int | None = None,
    threshold: float = THRESHOLD,
) -> Diarization:
    """Speaker turns of a recording from the embeddings of its windows.

    `spans` (n, 2) start and end seconds of each window, `vectors` (n, d) their unit-length embeddings, `speech`
    (m, 2) where voice detection heard speech; `speakers` is how many took part, when known (else 1..MAX_SPEAKERS
    are found).
    """
    spans = np.asarray(spans, dtype=np.float64).reshape(-1, 2)
    speech = np.asarray(speech, dtype=np.float64).reshape(-1, 2)
    if len(spans) == 0:
        return Diarization([], 0, np.full(0, -1, dtype=np.int64))
    long = np.flatnonzero(spans[:, 1] - spans[:, 0] >= CLUSTER_MIN_S - 1e-6)
    chosen = long if long.size else np.arange(len(spans))
    if chosen.size > MAX_CLUSTERED:
        chosen = chosen[np.linspace(0, chosen.size - 1, MAX_CLUSTERED).round().astype(np.int64)]
    labels = cluster(vectors[chosen], threshold, speakers)
    count = int(labels.max()) + 1
    if speakers is None and count > 1:
        # clusters too small to be a speaker join the closest large one
        shares = np.bincount(labels, minlength=count) / labels.size
        keep = np.flatnonzero(shares >= MIN_SPEAKER_SHARE)
        if keep.size == 0:
            keep = np.array([int(np.argmax(shares))])
        centres = _centres(vectors[chosen], labels, count)[keep]
        labels = np.argmax(vectors[chosen] @ centres.T, axis=1)
        count = keep.size
    centres = _centres(vectors[chosen], labels, count)
    owners = np.argmax(vectors @ centres.T, axis=1)
    # one refinement: centres from every window, then every window to its closest centre
    present = np.unique(owners)
    centres = _centres(vectors, np.searchsorted(present, owners), present.size)
    owners = np.argmax(vectors @ centres.T, axis=1)
    return _turns(spans, owners, speech)


def _turns(spans: np.ndarray, owners: np.ndarray, speech: np.ndarray) -> Diarization:
    end_s = float(max(spans[:, 1].max(), speech[:, 1].max() if len(speech) else 0.0))
    total = int(np.ceil(end_s / FRAME_S)) + 1
    count = int(owners.max()) + 1
    votes = np.zeros((count, total + 1), dtype=np.float32)
    for (start, end), owner in zip(spans, owners, strict=True):
        first, last = int(round(start / FRAME_S)), int(round(end / FRAME_S))
        votes[owner, first] += 1.0
        votes[owner, last] -= 1.0
    votes = np.cumsum(votes, axis=1)[:, :total]
    spoken = np.zeros(total, dtype=bool)
    for start, end in speech:
        spoken[int(round(start / FRAME_S)) : int(round(end / FRAME_S))] = True
    covered = votes.max(axis=0) > 0
    frames = np.where(spoken & covered, np.argmax(votes, axis=0), -1)
    # speech no window covered (a region too short to embed) takes the speaker of the nearest covered frame
    orphans = np.flatnonzero(spoken & ~covered)
    known = np.flatnonzero(frames >= 0)
    if orphans.size and known.size:
        right = np.minimum(np.searchsorted(known, orphans), known.size - 1)
        left = np.maximum(right - 1, 0)
        pick = np.where(np.abs(known[left] - orphans) <= np.abs(known[right] - orphans), known[left], known[right])
        frames[orphans] = frames[pick]
    # number speakers by first appearance
    order: list[int] = []
    for speaker in frames[frames >= 0]:
        if speaker not in order:
            order.append(int(speaker))
            if len(order) == count:
                break
    renumber = np.full(count + 1, -1, dtype=np.int64)
    for new, old in enumerate(order):
        renumber[old] = new
    frames = renumber[frames]  # -1 stays -1 (index count holds -1)
    turns: list[Turn] = []
    changes = np.flatnonzero(np.diff(np.concatenate(([-1], frames, [-1]))) != 0)
    for first, last in zip(changes[:-1], changes[1:], strict=True):
        if frames[first] >= 0:
            turns.append(Turn(round(first * FRAME_S, 3), round(last * FRAME_S, 3), int(frames[first])))
    return Diarization(turns, len(order), frames)


def speaker_share_error(
    reference: Sequence[tuple[float, float, str]], hypothesis: Sequence[tuple[float, float, str]],
    collar_s: float = 0.25,
) -> float:
    """Diarization error: the share of reference speech time missed or given to the wrong speaker, under the best
    one-to-one mapping of hypothesis speakers to reference speakers (overlapped speech counts once per speaker).
    As in NIST's scoring, `collar_s` seconds either side of each reference turn's start and end are not scored
    (where exactly a turn starts is uncertain by that much)."""
    ref_names = sorted({name for _, _, name in reference})
    hyp_names = sorted({name for _, _, name in hypothesis})
    end = max([e for _, e, _ in [*reference, *hypothesis]], default=0.0)
    total = int(np.ceil(end / FRAME_S)) + 1

    def grid(turns: Sequence[tuple[float, float, str]], names: list[str]) -> np.ndarray:
        on = np.zeros((len(names), total), dtype=bool)
        for start, stop, name in turns:
            on[names.index(name), int(round(start / FRAME_S)) : int(round(stop / FRAME_S))] = True
        return on

    ref, hyp = grid(reference, ref_names), grid(hypothesis, hyp_names)
    scored = np.ones(total, dtype=bool)
    collar = int(round(collar_s / FRAME_S))
    for start, stop, _ in reference:
        for edge in (int(round(start / FRAME_S)), int(round(stop / FRAME_S))):
            scored[max(0, edge - collar) : edge + collar] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    speech = ref.sum()
    if speech == 0:
        return 0.0
    agree = np.array([[np.count_nonzero(r & h) for h in hyp] for r in ref]).reshape(len(ref_names), len(hyp_names))
    best = _best_assignment(agree)
    return float(1.0 - best / speech)


def _best_assignment(agree: np.ndarray) -> int:
    """The largest total of `agree[r, h]` over one-to-one pairings (few speakers: tried exhaustively)."""
    from itertools import permutations

    rows, cols = agree.shape
    if rows == 0 or cols == 0:
        return 0
    if rows > cols:
        agree, rows, cols = agree.T, cols, rows
    return int(max(sum(agree[r, c] for r, c in enumerate(pick)) for pick in permutations(range(cols), rows)))
