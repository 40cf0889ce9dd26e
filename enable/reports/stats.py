"""Win-rate statistics for small samples: Wilson intervals and honest comparisons."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959964
# Below this many closed deals a win rate swings by tens of points on a single deal.
MIN_CLOSED_DEALS = 10


@dataclass(frozen=True)
class Comparison:
    """Two win rates (fractions 0..1) with 95% Wilson intervals and a plain-language caveat."""

    rate_a: float | None
    ci_a: tuple[float, float]
    rate_b: float | None
    ci_b: tuple[float, float]
    n_a: int
    n_b: int
    diff: float | None
    enough_data: bool
    warning: str | None


def _check_counts(successes: int, n: int) -> None:
    if n < 0 or successes < 0:
        raise ValueError(f"counts must not be negative (successes={successes}, n={n})")
    if successes > n:
        raise ValueError(f"successes ({successes}) cannot exceed the number of trials ({n})")


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion, as fractions 0..1; n=0 gives (0.0, 1.0)."""
    _check_counts(successes, n)
    if n == 0:
        # No observations: every rate is possible, which is exactly what the widest interval says.
        return (0.0, 1.0)
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # Clamp float rounding (e.g. -1e-17 at 0 of n) so callers can rely on 0..1.
    return (max(0.0, centre - half), min(1.0, centre + half))


def win_rate(won: int, lost: int) -> float | None:
    """Share of closed deals that were won (0..1), or None when nothing has closed."""
    _check_counts(won, won + lost)
    closed = won + lost
    return won / closed if closed else None


def compare_rates(won_a: int, n_a: int, won_b: int, n_b: int, min_n: int = MIN_CLOSED_DEALS) -> Comparison:
    """Compare win rates of two groups of closed deals (n = won + lost per group)."""
    _check_counts(won_a, n_a)
    _check_counts(won_b, n_b)
    ci_a = wilson_interval(won_a, n_a)
    ci_b = wilson_interval(won_b, n_b)
    rate_a = won_a / n_a if n_a else None
    rate_b = won_b / n_b if n_b else None
    diff = rate_a - rate_b if rate_a is not None and rate_b is not None else None
    enough_data = n_a >= min_n and n_b >= min_n
    warning: str | None = None
    if not enough_data:
        warning = f"Too few closed deals to conclude anything (n={n_a} and n={n_b})."
    elif ci_a[0] <= ci_b[1] and ci_b[0] <= ci_a[1]:
        warning = "The intervals overlap: this difference may be chance."
    return Comparison(rate_a, ci_a, rate_b, ci_b, n_a, n_b, diff, enough_data, warning)
