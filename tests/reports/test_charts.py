"""Chart geometry: axes that hold the data with round ticks, points and bars where the values put them."""

from __future__ import annotations

import pytest

from enable.reports.charts import hbar_chart, interval_chart, line_chart, nice_scale


@pytest.mark.parametrize(("value", "expected"), [
    (0, (1.0, 1.0)), (3, (3.0, 1.0)), (7, (8.0, 2.0)), (10, (10.0, 2.0)), (42, (50.0, 10.0)), (0.37, (0.4, 0.1)),
    (1234, (1500.0, 500.0)),
])
def test_nice_scale_holds_the_maximum_with_round_steps(value, expected):
    top, step = nice_scale(value)
    assert (top, step) == pytest.approx(expected)
    assert top >= value


def test_counts_get_whole_number_steps():
    assert nice_scale(1, integer=True) == (1, 1)
    assert nice_scale(3, integer=True) == (3, 1)
    assert nice_scale(0.37, integer=True) == (1, 1)


def test_line_chart_places_points_on_the_scale():
    chart = line_chart(["w1", "w2", "w3"], [("views", [0, 5, 10]), ("plays", [2, 2, 2])], width=400, height=200)
    plot = chart.plot
    views = chart.series[0].points
    assert [p.x for p in views] == pytest.approx([plot.left, (plot.left + plot.right) / 2, plot.right])
    assert views[0].y == pytest.approx(plot.bottom) and views[2].y == pytest.approx(plot.top)
    assert views[1].y == pytest.approx((plot.top + plot.bottom) / 2)
    assert [t.label for t in chart.y_ticks] == ["0", "2", "4", "6", "8", "10"]
    assert chart.series[1].css == "series-1" and not chart.is_empty
    assert line_chart(["a"], [("x", [0])]).is_empty


def test_line_chart_thins_crowded_labels():
    weeks = [f"2024-W{n:02d}" for n in range(1, 53)]
    chart = line_chart(weeks, [("v", [1] * 52)], max_x_labels=8)
    assert len(chart.x_ticks) <= 8 and chart.x_ticks[0].label == "2024-W01"


def test_hbar_lengths_are_proportional_and_long_labels_shortened():
    chart = hbar_chart([("a very long query that does not fit in the label column at all", 10), ("short", 5)])
    first, second = chart.bars
    assert first.width == pytest.approx(chart.plot.width) and second.width == pytest.approx(chart.plot.width / 2)
    assert first.short_label.endswith("…") and first.label.startswith("a very long")
    assert second.y > first.y


def test_interval_chart_maps_rates_to_the_percent_axis():
    chart = interval_chart([("Playbook", [("used", 0.6, 0.23, 0.88, 5), ("not used", None, 0.0, 1.0, 0)])])
    used, not_used = chart.rows[0].intervals
    plot = chart.plot
    assert used.x_rate == pytest.approx(plot.left + 0.6 * plot.width)
    assert used.x_low == pytest.approx(plot.left + 0.23 * plot.width)
    assert not_used.x_rate is None and not_used.x_high == pytest.approx(plot.right)
    assert [t.label for t in chart.ticks] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert chart.group_names == ("used", "not used")
