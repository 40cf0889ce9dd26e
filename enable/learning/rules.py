"""The arithmetic of learning, free of Flask and the database: progress, listening, requirements met."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

LISTENED_SHARE = 0.9  # a bite counts as heard once this share of its length was played


@dataclass(frozen=True)
class StepState:
    """One step of one assignment on a given day."""

    step_id: int
    due_on: date | None
    completed_at: datetime | None
    is_overdue: bool


@dataclass(frozen=True)
class Progress:
    """How far an assignment has come: steps done of all steps, percent (rounded down), steps overdue."""

    done: int
    total: int
    percent: int
    overdue: int
    steps: tuple[StepState, ...]

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.done == self.total


def progress(steps: Sequence[tuple[int, date | None]], completed: Mapping[int, datetime], today: date) -> Progress:
    """Progress of (step id, due date) steps given completion times by step id, on `today`.

    Percent is rounded down so 100 means every step is done; a step is overdue when its due day has passed
    (due today is not overdue yet) and it is not done.
    """
    states = tuple(StepState(step_id, due, completed.get(step_id),
                             due is not None and due < today and step_id not in completed)
                   for step_id, due in steps)
    done = sum(s.completed_at is not None for s in states)
    total = len(states)
    return Progress(done, total, 100 * done // total if total else 0, sum(s.is_overdue for s in states), states)


def listened_at(duration_s: float, plays: Iterable[tuple[datetime, float]],
                share: float = LISTENED_SHARE) -> datetime | None:
    """When the seconds played (stretches of listening, each with its time) first added up to `share` of the
    bite's length; None if they never did."""
    needed = share * max(duration_s, 0.0)
    heard = 0.0
    for at, seconds in sorted(plays, key=lambda p: p[0]):
        heard += max(seconds or 0.0, 0.0)
        if heard >= needed and heard > 0:
            return at
    return None


def all_met_at(times: Iterable[datetime | None]) -> datetime | None:
    """The moment the last of several requirements was met, or None while one is unmet (or there are none)."""
    collected = list(times)
    if not collected or any(t is None for t in collected):
        return None
    return max(t for t in collected if t is not None)
