"""A small WebVTT structure check for the tests (the parts of the W3C syntax our files use)."""

from __future__ import annotations

import re
from dataclasses import dataclass

TIMING = re.compile(r"^(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})$")


@dataclass
class ParsedCue:
    start: float
    end: float
    lines: list[str]


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_webvtt(text: str) -> list[ParsedCue]:
    """Parse a WebVTT document, raising AssertionError on anything malformed."""
    assert text.startswith("WEBVTT"), "a WebVTT file starts with WEBVTT"
    blocks = text.rstrip("\n").split("\n\n")
    assert blocks[0] == "WEBVTT"
    cues = []
    previous_start = 0.0
    for block in blocks[1:]:
        lines = block.split("\n")
        match = TIMING.match(lines[0])
        assert match, f"bad cue timing line {lines[0]!r}"
        start, end = _seconds(*match.groups()[:4]), _seconds(*match.groups()[4:])
        assert end > start, f"cue ends before it starts: {lines[0]}"
        assert start >= previous_start, "cues must be in start-time order"
        previous_start = start
        payload = lines[1:]
        assert payload and all(line.strip() for line in payload), "a cue needs text and no blank lines"
        assert all("-->" not in line for line in payload)
        cues.append(ParsedCue(start, end, payload))
    return cues
