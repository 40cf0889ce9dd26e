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
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from enable.analysis import terms
from enable.bites.slicer import WordLike, ends_sentence

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TagPhrase:
    """A phrase that, when said, marks a bite with the tag ``tag_key`` of kind ``kind``."""

    tag_key: str
    kind: str
    language: str
    phrase: str


@dataclass(frozen=True, slots=True)
class TagHit:
    """Evidence for a tag: the phrase found and the second (from the call start) it was said."""

    tag_key: str
    kind: str
    phrase: str
    start_s: float


@dataclass(frozen=True, slots=True)
class _Compiled:
    phrase: TagPhrase
    terms: tuple[str, ...]


class Tagger:
    """Finds tag phrases in words; build once per taxonomy, reuse for every bite."""

    def __init__(self, phrases: Iterable[TagPhrase]) -> None:
        self._by_first_term: dict[str, list[_Compiled]] = defaultdict(list)
        for phrase in phrases:
            analysed = tuple(terms(phrase.phrase))
            if not analysed:
                log.warning("tag phrase for %s/%s has no words; ignored", phrase.kind, phrase.tag_key)
                continue
            self._by_first_term[analysed[0]].append(_Compiled(phrase, analysed))

    def tag(self, words: Sequence[WordLike], skip: Container[int] = ()) -> list[TagHit]:
        """Return one hit per (kind, tag_key): its earliest phrase occurrence, ordered by time.

        Words whose `id()` is in `skip` (speech in a language the models do not handle well) are not read, and
        no phrase runs across them."""
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
                hits[key] = TagHit(
                    tag_key=compiled.phrase.tag_key,
                    kind=compiled.phrase.kind,
                    phrase=compiled.phrase.phrase,
                    start_s=float(words[item[1]].start),
                )
        return sorted(hits.values(), key=lambda h: (h.start_s, h.kind, h.tag_key))


def _matches_at(stream: Sequence[tuple[str, int] | None], position: int, wanted: tuple[str, ...]) -> bool:
    if position + len(wanted) > len(stream):
        return False
    for offset, term in enumerate(wanted):
        item = stream[position + offset]
        if item is None or item[0] != term:
            return False
    return True
