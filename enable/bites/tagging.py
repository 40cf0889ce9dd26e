"""Find taxonomy phrases ("too expensive", "нет бюджета") in timed words, as search would.

Phrases and words go through ``enable.analysis``, so matching is case-insensitive, ignores
punctuation and accents, folds Persian letter variants and compares stems ("цены" ~ "цена",
"prices" ~ "price"). A phrase matches a consecutive run of analysed terms. Commas and other
punctuation inside a sentence do not break a run ("no, budget" matches "no budget"), but a
sentence end (see ``enable.bites.slicer.ends_sentence``) or a change of speaker does: "That's
too. Expensive!" or one person saying "too" and the next "expensive" is not the phrase.

A phrase's ``language`` is kept as information only: analysis chooses the stemmer by script,
so a Russian phrase cannot match English words anyway, and a call that mixes languages is
tagged in both.

By meaning (``MeaningExamples``): each phrase is also an example. A sentence (``enable.bites.sentences``) whose
vector is within the kind's cosine threshold of one of a tag's examples is tagged too, in any language the
embedding model knows, unless it is at least as close to a moment enablement rejected for that tag (a negative
example). A tag said literally keeps its literal evidence; otherwise its earliest sentence matched by meaning
is the evidence, with the example it matched and the cosine.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from enable.analysis import terms
from enable.bites.sentences import Sentence, split_sentences
from enable.bites.slicer import WordLike, ends_sentence

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TagPhrase:
    """A phrase that, when said, marks a bite with the tag ``tag_key`` of kind ``kind``."""

    tag_key: str
    kind: str
    language: str
    phrase: str


class TagMatch(StrEnum):
    """How a tag's evidence matched its example."""

    LITERAL = "literal"  # the phrase's words were said
    MEANING = "meaning"  # a sentence close in meaning to the phrase was said


@dataclass(frozen=True, slots=True)
class TagHit:
    """Evidence for a tag: the example phrase matched, the second (from the call start) it was said, how it
    matched, and the sentence, its speaker and (by meaning) the cosine to the example."""

    tag_key: str
    kind: str
    phrase: str
    start_s: float
    match: TagMatch = TagMatch.LITERAL
    sentence: str | None = None
    speaker: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class MeaningExamples:
    """The trackers' examples as vectors: row i of ``vectors`` is ``owners[i]``; rejected moments likewise.

    ``thresholds`` gives the cosine a sentence needs, per kind; a kind without one matches literally only.
    """

    model: str
    owners: tuple[TagPhrase, ...]
    vectors: np.ndarray
    thresholds: Mapping[str, float]
    negative_owners: tuple[tuple[str, str], ...] = ()  # (kind, tag_key) of each rejected moment
    negatives: np.ndarray | None = None
    _groups: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        rows: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, owner in enumerate(self.owners):
            if owner.kind in self.thresholds:
                rows[(owner.kind, owner.tag_key)].append(i)
        self._groups.update({key: np.asarray(idx) for key, idx in rows.items()})

    def match(self, vectors: np.ndarray) -> list[list[tuple[TagPhrase, float]]]:
        """For each sentence vector, the tag it means, if any: (the example it is closest to, cosine).

        A sentence means at most one tag of each kind: the one whose nearest example is nearest, when that is
        within the kind's threshold (a sentence near both "price" and "contract" examples is the nearer one).
        """
        found: list[list[tuple[TagPhrase, float]]] = [[] for _ in range(len(vectors))]
        if not len(vectors) or not self._groups:
            return found
        sims = vectors @ self.vectors.T
        neg_sims = vectors @ self.negatives.T if self.negatives is not None and len(self.negatives) else None
        tags = list(self._groups)
        scores = np.empty((len(vectors), len(tags)), dtype=np.float32)  # each sentence's cosine to each tag
        nearest = np.empty((len(vectors), len(tags)), dtype=np.int64)  # ... and the example it is nearest
        for t, key in enumerate(tags):
            idx = self._groups[key]
            best = sims[:, idx].argmax(axis=1)
            nearest[:, t] = idx[best]
            scores[:, t] = sims[np.arange(len(vectors)), nearest[:, t]]
            if neg_sims is not None:
                mine = [j for j, owner in enumerate(self.negative_owners) if owner == key]
                if mine:  # at least as close to a rejected moment as to any example: not this tag
                    scores[neg_sims[:, mine].max(axis=1) >= scores[:, t], t] = -np.inf
        for kind in {kind for kind, _key in tags}:
            columns = np.asarray([t for t, (k, _key) in enumerate(tags) if k == kind])
            top = columns[scores[:, columns].argmax(axis=1)]
            for row in range(len(vectors)):
                score = float(scores[row, top[row]])
                if score >= self.thresholds[kind]:
                    found[row].append((self.owners[nearest[row, top[row]]], score))
        return found


@dataclass(frozen=True, slots=True)
class _Compiled:
    phrase: TagPhrase
    terms: tuple[str, ...]


class Tagger:
    """Finds tag phrases in words, and sentences meaning them; build once per taxonomy, reuse for every bite."""

    def __init__(self, phrases: Iterable[TagPhrase], meaning: MeaningExamples | None = None) -> None:
        self.meaning = meaning
        self._by_first_term: dict[str, list[_Compiled]] = defaultdict(list)
        for phrase in phrases:
            analysed = tuple(terms(phrase.phrase))
            if not analysed:
                log.warning("tag phrase for %s/%s has no words; ignored", phrase.kind, phrase.tag_key)
                continue
            self._by_first_term[analysed[0]].append(_Compiled(phrase, analysed))

    def tag(self, words: Sequence[WordLike], sentences: Sequence[Sentence] | None = None,
            vectors: np.ndarray | None = None, offset: int = 0, skip: Container[int] = ()) -> list[TagHit]:
        """Return one hit per (kind, tag_key), ordered by time: its earliest literal occurrence, else its earliest
        sentence matched by meaning.

        `sentences` (word indices counted from `offset`, the call index of ``words[0]``) default to
        ``split_sentences(words)``; `vectors` holds one row per sentence, and without it (or without
        ``meaning``) matching is literal only. Words whose `id()` is in `skip` (speech in a language the models do
        not handle well) are not read: no phrase runs across them, and a sentence holding one means nothing.
        """
        if sentences is None:
            sentences = split_sentences(words, offset)
        starts = [s.first_word for s in sentences]

        def sentence_of(index: int) -> Sentence | None:
            at = bisect.bisect_right(starts, offset + index) - 1
            return sentences[at] if at >= 0 and sentences[at].last_word >= offset + index else None

        # The stream holds (term, word index), with None where a run must not continue.
        stream: list[tuple[str, int] | None] = []
        previous_speaker: str | None = None
        for index, word in enumerate(words):
            if id(word) in skip:
                if stream and stream[-1] is not None:
                    stream.append(None)
                continue
            speaker = getattr(word, "speaker", None)
            if speaker and previous_speaker and speaker != previous_speaker and stream:
                stream.append(None)
            previous_speaker = speaker or previous_speaker
            stream.extend((term, index) for term in terms(word.text))
            if ends_sentence(word.text):
                stream.append(None)

        hits: dict[tuple[str, str], TagHit] = {}
        for position, item in enumerate(stream):
            if item is None:
                continue
            for compiled in self._by_first_term.get(item[0], ()):
                key = (compiled.phrase.kind, compiled.phrase.tag_key)
                if key in hits or not _matches_at(stream, position, compiled.terms):
                    continue
                said = sentence_of(item[1])
                hits[key] = TagHit(
                    tag_key=compiled.phrase.tag_key,
                    kind=compiled.phrase.kind,
                    phrase=compiled.phrase.phrase,
                    start_s=float(words[item[1]].start),
                    sentence=said.text if said else None,
                    speaker=getattr(words[item[1]], "speaker", None),
                )
        if self.meaning is not None and vectors is not None and len(sentences):
            for sentence, matched in zip(sentences, self.meaning.match(vectors), strict=True):
                if skip and any(id(words[i - offset]) in skip for i in range(sentence.first_word,
                                                                                  sentence.last_word + 1)
                                if 0 <= i - offset < len(words)):
                    continue
                for example, score in matched:
                    key = (example.kind, example.tag_key)
                    if key not in hits:
                        hits[key] = TagHit(tag_key=example.tag_key, kind=example.kind, phrase=example.phrase,
                                           start_s=sentence.start_s, match=TagMatch.MEANING,
                                           sentence=sentence.text, speaker=sentence.speaker, score=score)
        return sorted(hits.values(), key=lambda h: (h.start_s, h.kind, h.tag_key))


def _matches_at(stream: Sequence[tuple[str, int] | None], position: int, wanted: tuple[str, ...]) -> bool:
    if position + len(wanted) > len(stream):
        return False
    for offset, term in enumerate(wanted):
        item = stream[position + offset]
        if item is None or item[0] != term:
            return False
    return True
