"""Names people give things that others see (their own name, teams, playlists, tokens, calls, playbooks, assets,
tracks, quizzes): cleaned in this one place before they are stored.

Rules: bidirectional controls (embeddings and overrides U+202A-202E, isolates U+2066-2069, the marks U+200E, U+200F,
U+061C) and every other invisible format character (Unicode category Cf: zero-width space, word joiner, BOM, tag
characters...) are removed, since they make a name show other than what it says ("‮exe.pdf" reads "fdp.exe") or
hide text in it; the zero-width joiner and non-joiner stay (Persian and Indic spelling, emoji sequences). Control
characters, line breaks and runs of whitespace become one space; the ends are trimmed; the result is in NFC.
"""

from __future__ import annotations

import unicodedata

JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner: part of how some words are spelt


def clean_name(value: str | None) -> str:
    """The name as it may be shown to others: no invisible or reordering characters, single spaces, trimmed."""
    kept = []
    for ch in unicodedata.normalize("NFC", value or ""):
        category = unicodedata.category(ch)
        if ch in JOINERS:
            kept.append(ch)
        elif category in ("Cc", "Zl", "Zp"):
            kept.append(" ")
        elif category != "Cf":
            kept.append(ch)
    return " ".join("".join(kept).split())
