"""Times in a call for comments (no Flask): reading what people type for a second, markers along the call's
timeline, and the transcript line each comment sits beside."""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

CLOCK = re.compile(r"^\s*(?:(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,3}):)?(?P<s>\d{1,6}(?:[.,]\d{1,3})?)\s*$")
MARKER_SLOTS = 20  # the timeline is cut into this many slots, one marker each: markers never overlap


def parse_clock(text: str) -> float | None:
    """Seconds from "83", "83.5", "1:23" or "1:02:03" (minutes and seconds under 60 when a larger unit is
    written); None when it is none of these."""
    m = CLOCK.match(text or "")
    if m is None:
        return None
    seconds = float(m["s"].replace(",", "."))
    if m["m"] is None:
        return seconds
    minutes = int(m["m"])
    if seconds >= 60 or (m["h"] is not None and minutes >= 60):
        return None
    return int(m["h"] or 0) * 3600 + minutes * 60 + seconds


def within_call(at_s: float, duration_s: float) -> bool:
    """Whether a second lies inside a call of `duration_s` seconds (its first and last second included)."""
    return math.isfinite(at_s) and 0 <= at_s <= duration_s


@dataclass(frozen=True)
class Marker:
    """Comments close together on the timeline, shown as one marker at the first one's second."""

    at_s: float
    fraction: float  # 0..1 along the call, the slot's middle
    count: int
    first_id: int


def markers(moments: Sequence[tuple[int, float]], duration_s: float, slots: int = MARKER_SLOTS) -> list[Marker]:
    """One marker per slot of the timeline holding comments; `moments` are (comment id, second) pairs."""
    if duration_s <= 0:
        return []
    by_slot: dict[int, list[tuple[float, int]]] = {}
    for comment_id, at_s in moments:
        slot = min(slots - 1, max(0, int(at_s / duration_s * slots)))
        by_slot.setdefault(slot, []).append((at_s, comment_id))
    out = []
    for slot in sorted(by_slot):
        found = sorted(by_slot[slot])
        out.append(Marker(found[0][0], (slot + 0.5) / slots, len(found), found[0][1]))
    return out


def line_of(at_s: float, line_starts: Sequence[float]) -> int | None:
    """The index of the transcript line a second falls in (the last line starting at or before it; the first line
    for a second before any); None without lines. `line_starts` is sorted."""
    if not line_starts:
        return None
    return max(0, bisect_right(line_starts, at_s) - 1)
