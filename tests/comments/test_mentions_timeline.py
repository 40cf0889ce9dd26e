"""The pure rules: which @handles a comment mentions, reading typed times, timeline markers, the line of a second."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enable.comments.mentions import find_handles, handle_of
from enable.comments.timeline import MARKER_SLOTS, line_of, markers, parse_clock, within_call


@pytest.mark.parametrize(("body", "handles"), [
    ("@anna look", ["anna"]),
    ("Ask @Anna.Petrova, then @max.", ["anna.petrova", "max"]),
    ("write to anna@example.com", []),
    ("@anna@example.com and @anna", ["anna@example.com", "anna"]),
    ("`@code` and\n```\n@fenced\n```\n@real", ["real"]),
    ("(@paren) @anna,@bob", ["paren", "anna", "bob"]),
    ("@anna @ANNA", ["anna"]),
    ("price @ 20% and @", []),
])
def test_mentions_found(body, handles):
    assert find_handles(body) == handles


def test_the_handle_is_the_email_local_part():
    assert handle_of("Anna.Petrova@Example.com") == "anna.petrova"


@given(st.from_regex(r"[A-Za-z0-9_]([A-Za-z0-9_.+-]{0,30}[A-Za-z0-9_+-])?", fullmatch=True),
       st.sampled_from([" there", ".", ", and", ")", "!", "?", ""]))
def test_every_usual_email_local_part_mentions_its_owner(local, after):
    """Letters, digits and . _ + - (what sites hand out): the handle is found whatever punctuation follows."""
    handle = handle_of(f"{local}@example.com")
    assert find_handles(f"Hi @{handle}{after}") == [handle]
    assert find_handles(f"Hi @{local}@example.com{after}") == [f"{handle}@example.com"]


@pytest.mark.parametrize(("text", "seconds"), [
    ("83", 83.0), ("83.5", 83.5), ("1:23", 83.0), ("01:02:03", 3723.0), (" 0:05 ", 5.0), ("1,5", 1.5),
    ("1:75", None), ("1:60:00", None), ("soon", None), ("", None), ("-3", None), ("1:2:3:4", None),
])
def test_typed_times(text, seconds):
    assert parse_clock(text) == seconds


@given(st.integers(min_value=0, max_value=99 * 3600))
def test_a_clock_reads_back_as_its_seconds(total):
    h, rest = divmod(total, 3600)
    assert parse_clock(f"{h}:{rest // 60:02d}:{rest % 60:02d}") == total


def test_within_the_call():
    assert within_call(0, 120) and within_call(120, 120)
    assert not within_call(120.1, 120) and not within_call(-1, 120) and not within_call(float("nan"), 120)


@given(st.lists(st.floats(min_value=0, max_value=600), max_size=60), st.floats(min_value=1, max_value=600))
def test_markers_never_share_a_slot_and_count_every_comment(seconds, duration):
    moments = [(i, min(s, duration)) for i, s in enumerate(seconds)]
    found = markers(moments, duration)
    assert sum(m.count for m in found) == len(moments)
    assert len({m.fraction for m in found}) == len(found) <= MARKER_SLOTS
    assert all(0 < m.fraction < 1 for m in found)
    for m in found:  # each marker plays from the earliest comment of its slot
        assert dict(moments)[m.first_id] == m.at_s


def test_the_line_of_a_second():
    starts = [0.0, 21.0, 51.0]
    assert [line_of(s, starts) for s in (0, 20.9, 21, 65, 999)] == [0, 0, 1, 2, 2]
    assert line_of(5, []) is None


def test_cyrillic_handles_are_mentions_too():
    assert find_handles("@иван.петров, посмотри; и @ольга@пример.рф") == ["иван.петров", "ольга@пример.рф"]
