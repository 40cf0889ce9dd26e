import pytest

from enable.reports.stats import compare_rates, wilson_interval, win_rate


@pytest.mark.parametrize(
    ("won", "n", "expected"),
    [
        (8, 10, (0.4902, 0.9433)),
        (50, 100, (0.4038, 0.5962)),
        (0, 5, (0.0, 0.4345)),
        (5, 5, (0.5655, 1.0)),
        (1, 1, (0.2065, 1.0)),
    ],
)
def test_wilson_interval_matches_hand_computed_values(won, n, expected):
    low, high = wilson_interval(won, n)
    assert (round(low, 4), round(high, 4)) == expected


def test_wilson_interval_without_deals_is_the_whole_range():
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_interval_narrows_as_the_sample_grows():
    small = wilson_interval(5, 10)
    large = wilson_interval(500, 1000)
    assert large[1] - large[0] < small[1] - small[0]


def test_wilson_interval_with_z_for_90_percent_is_narrower():
    low90, high90 = wilson_interval(8, 10, z=1.644854)
    low95, high95 = wilson_interval(8, 10)
    assert low95 < low90 < 0.8 < high90 < high95


@pytest.mark.parametrize(("won", "n"), [(-1, 5), (6, 5), (0, -1)])
def test_impossible_counts_are_rejected(won, n):
    with pytest.raises(ValueError, match=r"cannot exceed|must not be negative"):
        wilson_interval(won, n)


def test_win_rate():
    assert win_rate(3, 1) == 0.75
    assert win_rate(0, 4) == 0.0
    assert win_rate(0, 0) is None


def test_small_samples_warn_that_nothing_can_be_concluded():
    result = compare_rates(4, 5, 1, 5)
    assert result.rate_a == 0.8
    assert result.rate_b == 0.2
    assert result.diff == pytest.approx(0.6)
    assert result.enough_data is False
    assert result.warning == "Too few closed deals to conclude anything (n=5 and n=5)."


def test_one_small_group_is_enough_to_warn():
    result = compare_rates(40, 100, 3, 9)
    assert result.enough_data is False
    assert "n=9" in result.warning


def test_overlapping_intervals_warn_about_chance():
    result = compare_rates(8, 10, 50, 100)
    assert result.enough_data is True
    assert result.ci_a == wilson_interval(8, 10)
    assert result.ci_b == wilson_interval(50, 100)
    assert result.warning == "The intervals overlap: this difference may be chance."


def test_clear_difference_has_no_warning():
    result = compare_rates(80, 100, 30, 100)
    assert result.enough_data is True
    assert result.diff == pytest.approx(0.5)
    assert result.warning is None
    assert (result.n_a, result.n_b) == (100, 100)


def test_a_group_without_closed_deals_has_no_rate():
    result = compare_rates(0, 0, 5, 12)
    assert result.rate_a is None
    assert result.diff is None
    assert result.ci_a == (0.0, 1.0)
    assert result.enough_data is False
