"""Hotwords: names (products, competitors) the model should spell as the team writes them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from enable.transcription.types import Word

# a word's core, without the punctuation Whisper attaches to it ("ComfyUI," -> "ComfyUI")
_CORE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


def unique_hotwords(hotwords: Iterable[str] | str) -> list[str]:
    """The non-empty names, stripped, first spelling of each kept, in order."""
    if isinstance(hotwords, str):
        hotwords = [hotwords]
    seen: dict[str, str] = {}
    for name in hotwords:
        name = " ".join(name.split()) if name else ""
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def hotwords_prompt(hotwords: Iterable[str] | str) -> str | None:
    """The text faster-whisper's `hotwords` option takes: the names as a comma-separated list ending in a full stop.

    faster-whisper puts it before each window as "previous text", so it reads best as a short
    sentence. A small model then writes a name as one word but may still guess its capitals,
    which `respell` corrects.
    """
    names = unique_hotwords(hotwords)
    return ", ".join(names) + "." if names else None


def respell(
    words: Sequence[Word], raw_texts: Sequence[str], hotwords: Iterable[str] | str
) -> tuple[list[Word], list[str]]:
    """Give recognised hotwords the hotword's own spelling ("comfyUI" -> "ComfyUI"), punctuation kept.

    The prompt makes the model write a name as one word, but a small model still guesses its
    capitals; the team's spelling is known, so it is applied to every case-insensitive match,
    including names of several words matched word by word.
    """
    fixed_words, fixed_raw = list(words), list(raw_texts)
    for name in unique_hotwords(hotwords):
        parts = name.split()
        wanted = [part.casefold() for part in parts]
        for start in range(len(fixed_words) - len(parts) + 1):
            cores = [_CORE.match(fixed_words[start + i].text) for i in range(len(parts))]
            if [m.group(2).casefold() if m else None for m in cores] != wanted:
                continue
            for offset, (part, match) in enumerate(zip(parts, cores, strict=True)):
                assert match is not None
                index = start + offset
                fixed_words[index] = replace(fixed_words[index], text=match.group(1) + part + match.group(3))
                fixed_raw[index] = fixed_raw[index].replace(match.group(2), part, 1)
    return fixed_words, fixed_raw
