"""The pure arithmetic: progress percent and overdue steps, listening shares, requirements met."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from enable.learning.rules import all_met_at, listened_at, progress

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)


def test_progress_counts_done_steps_and_rounds_down():
    steps = [(1, None), (2, None), (3, None)]
    p = progress(steps, {1: T, 2: T}, TODAY)
    assert (p.done, p.total, p.percent) == (2, 3, 66)  # 66.7 rounds down: 100 only when all are done
    assert not p.is_complete
    assert progress(steps, {1: T, 2: T, 3: T}, TODAY).percent == 100
    assert progress(steps, {1: T, 2: T, 3: T}, TODAY).is_complete


@pytest.mark.parametrize(("done", "total", "percent"), [(0, 7, 0), (1, 7, 14), (3, 7, 42), (6, 7, 85), (7, 7, 100),
                                                        (1, 2, 50), (99, 100, 99)])
def test_percent_is_done_over_total(done, total, percent):
    steps = [(i, None) for i in range(total)]
    assert progress(steps, {i: T for i in range(done)}, TODAY).percent == percent


def test_a_track_without_steps_is_at_zero_and_never_complete():
    p = progress([], {}, TODAY)
    assert (p.percent, p.is_complete) == (0, False)


def test_overdue_means_due_day_passed_and_not_done():
    steps = [(1, TODAY - timedelta(days=1)), (2, TODAY), (3, TODAY - timedelta(days=5)), (4, None)]
    p = progress(steps, {3: T}, TODAY)
    states = {s.step_id: s.is_overdue for s in p.steps}
    assert states == {1: True, 2: False, 3: False, 4: False}  # due today is not overdue yet; done is never overdue
    assert p.overdue == 1


def test_a_bite_is_heard_once_plays_add_up_to_90_percent():
    plays = [(T, 30.0), (T + timedelta(minutes=5), 40.0), (T + timedelta(minutes=9), 20.0)]
    assert listened_at(100.0, plays) == T + timedelta(minutes=9)  # 30 + 40 + 20 = 90
    assert listened_at(100.0, plays[:2]) is None  # 70 of 100 seconds
    assert listened_at(100.0, [(T, 89.9)]) is None
    assert listened_at(100.0, [(T + timedelta(days=1), 95.0), (T, 10.0)]) == T + timedelta(days=1)  # in time order


def test_no_listening_is_not_heard_even_for_an_empty_bite():
    assert listened_at(0.0, []) is None
    assert listened_at(100.0, [(T, 0.0)]) is None


def test_all_met_at_is_the_last_requirement_or_none():
    assert all_met_at([T, T + timedelta(hours=2), T + timedelta(hours=1)]) == T + timedelta(hours=2)
    assert all_met_at([T, None]) is None
    assert all_met_at([]) is None
