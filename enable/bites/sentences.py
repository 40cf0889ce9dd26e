"""Sentences of a call: the unit trackers judge by meaning and whose vectors are stored.

A sentence is a run of words by one speaker that ends at a sentence end (``slicer.ends_sentence``), at a change
of speaker, or after MAX_WORDS words (speech recognised without punctuation would otherwise make one sentence
of a whole monologue, whose meaning is a blur). Words are addressed by their index in the call's time-ordered
words, like bites' ``first_word``/``last_word``, so a bite's sentences are those starting inside its range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from enable.bites.slicer import WordLike, ends_sentence

MAX_WORDS = 40


@dataclass(frozen=True, slots=True)
class Sentence:
    """Words ``first_word``..``last_word`` (inclusive) of a call, said from ``start_s`` by ``speaker``."""

    first_word: int
    last_word: int
    start_s: float
    speaker: str | None
    text: str


def split_sentences(words: Sequence[WordLike], offset: int = 0) -> list[Sentence]:
    """Cut words into sentences; `offset` is the index of ``words[0]`` in the call (for a bite's span)."""
    sentences: list[Sentence] = []
    begin = 0
    for index, word in enumerate(words):
        last = index == len(words) - 1
        speaker = getattr(word, "speaker", None)
        next_speaker = None if last else getattr(words[index + 1], "speaker", None)
        if (last or ends_sentence(word.text) or index - begin + 1 >= MAX_WORDS
                or (speaker and next_speaker and speaker != next_speaker)):
            run = words[begin : index + 1]
            text = " ".join(w.text.strip() for w in run if w.text.strip())
            if text:
                sentences.append(Sentence(first_word=offset + begin, last_word=offset + index,
                                          start_s=float(run[0].start), speaker=getattr(run[0], "speaker", None),
                                          text=text))
            begin = index + 1
    return sentences
