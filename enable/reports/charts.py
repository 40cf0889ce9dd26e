"""Chart geometry for server-drawn SVG: lines over time, horizontal bars, and win rates with their intervals.

Pure: data in, coordinates out (in SVG user units); the templates in reports/_charts.html draw them. Labels are
written in the request's locale (2,5 and 20 % on a Russian page), in English outside a request.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from enable.i18n import number_text, percent_text

SERIES_CLASSES = 6  # .series-0 .. .series-5 in the stylesheet


@dataclass(frozen=True)
class Tick:
    """An axis mark: its position along the axis and its label."""

    pos: float
    label: str


def nice_scale(max_value: float, target_ticks: int = 5, integer: bool = False) -> tuple[float, float]:
    """(top, step) of an axis from 0 that holds max_value, with a step of 1, 2 or 5 times a power of ten
    (at least 1 when the values are counts)."""
    if max_value <= 0 or not math.isfinite(max_value):
        return 1.0, 1.0
    raw = max_value / target_ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if integer:
        step = max(1, step)
    return step * math.ceil(max_value / step - 1e-9), step


def _fmt(value: float) -> str:
    """A tick or bar value in the locale's notation: 10, 2.5 (en), 2,5 (ru)."""
    return number_text(value)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Plot:
    """The drawing area inside the margins."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    label: str  # the category, for the point's tooltip


@dataclass(frozen=True)
class LineSeries:
    name: str
    css: str
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        """The polyline's points attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class LineChart:
    """Values per category (weeks, months) for one or more series, on a shared y axis from 0."""

    width: float
    height: float
    plot: Plot
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    series: tuple[LineSeries, ...]
    y_label: str

    @property
    def is_empty(self) -> bool:
        return not self.series or all(p.value == 0 for s in self.series for p in s.points)


def line_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, y_label: str = "",
               width: float = 720, height: float = 260, max_x_labels: int = 12, integer: bool = True) -> LineChart:
    """Lines over categories (each series has one value per category, None where it has none: no point there, the
    line joins the points either side); x labels thinned to max_x_labels."""
    plot = Plot(48, 12, width - 40, height - 40)
    top, step = nice_scale(max((v for _, values in series for v in values if v is not None), default=0),
                           integer=integer)
    count = len(categories)

    def x_of(i: int) -> float:
        return plot.left + (plot.width * i / (count - 1) if count > 1 else plot.width / 2)

    def y_of(v: float) -> float:
        return plot.bottom - plot.height * (v / top)

    every = max(1, math.ceil(count / max_x_labels))
    x_ticks = tuple(Tick(x_of(i), label) for i, label in enumerate(categories) if i % every == 0)
    y_ticks = tuple(Tick(y_of(step * k), _fmt(step * k)) for k in range(round(top / step) + 1))
    lines = tuple(
        LineSeries(name, f"series-{n % SERIES_CLASSES}",
                   tuple(Point(x_of(i), y_of(v), v, categories[i]) for i, v in enumerate(values) if v is not None))
        for n, (name, values) in enumerate(series))
    return LineChart(width, height, plot, x_ticks, y_ticks, lines, y_label)


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    value: float
    value_label: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class HBarChart:
    """One horizontal bar per item, longest first as given, with the value written beside each bar."""

    width: float
    height: float
    plot: Plot
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]

    @property
    def is_empty(self) -> bool:
        return not self.bars


def hbar_chart(items: Sequence[tuple[str, float]], *, width: float = 720, bar_height: float = 22,
               label_width: float = 240, value_format: Callable[[float], str] = _fmt,
               integer: bool = True) -> HBarChart:
    """Horizontal bars for (label, value) pairs, in the order given."""
    gap = 6
    plot = Plot(label_width, 8, width - 56, 8 + len(items) * (bar_height + gap))
    top, step = nice_scale(max((v for _, v in items), default=0), integer=integer)
    bars = tuple(
        Bar(label, _short(label, int(label_width / 7.5)), value, value_format(value), plot.left,
            plot.top + i * (bar_height + gap), plot.width * value / top, bar_height)
        for i, (label, value) in enumerate(items))
    ticks = tuple(Tick(plot.left + plot.width * step * k / top, _fmt(step * k)) for k in range(round(top / step) + 1))
    return HBarChart(width, plot.bottom + 28, plot, bars, ticks)


@dataclass(frozen=True)
class Interval:
    """One group's win rate (dot) and 95% interval (whisker), as fractions 0..1, with its sample size."""

    name: str
    css: str
    rate: float | None
    low: float
    high: float
    n: int
    y: float
    x_rate: float | None
    x_low: float
    x_high: float


@dataclass(frozen=True)
class IntervalRow:
    label: str
    short_label: str
    y: float
    intervals: tuple[Interval, ...]


@dataclass(frozen=True)
class IntervalChart:
    """Win rates with their intervals on a 0–100 % axis, one row per item and one line per group in it."""

    width: float
    height: float
    plot: Plot
    rows: tuple[IntervalRow, ...]
    ticks: tuple[Tick, ...]
    group_names: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.rows


def interval_chart(rows: Sequence[tuple[str, Sequence[tuple[str, float | None, float, float, int]]]], *,
                   width: float = 720, line_gap: float = 14, label_width: float = 240) -> IntervalChart:
    """Rows of (label, [(group, rate, low, high, n), ...]) drawn as dots with whiskers on 0–100 %."""
    groups = max((len(g) for _, g in rows), default=0)
    row_height = max(1, groups) * line_gap + 12
    plot = Plot(label_width, 8, width - 70, 8 + len(rows) * row_height)

    def x_of(v: float) -> float:
        return plot.left + plot.width * min(1.0, max(0.0, v))

    drawn = []
    names: list[str] = []
    for r, (label, group_values) in enumerate(rows):
        top = plot.top + r * row_height + 6
        intervals = []
        for g, (name, rate, low, high, n) in enumerate(group_values):
            if name not in names:
                names.append(name)
            y = top + g * line_gap + line_gap / 2
            intervals.append(Interval(name, f"series-{g % SERIES_CLASSES}", rate, low, high, n, y,
                                      None if rate is None else x_of(rate), x_of(low), x_of(high)))
        drawn.append(IntervalRow(label, _short(label, int(label_width / 7.5)), top + (row_height - 12) / 2,
                                 tuple(intervals)))
    ticks = tuple(Tick(x_of(k / 100), percent_text(k / 100, 0)) for k in range(0, 101, 20))
    return IntervalChart(width, plot.bottom + 28, plot, tuple(drawn), ticks, tuple(names))

