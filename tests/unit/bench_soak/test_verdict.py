"""The soak's verdicts: memory levels off, lag stays bounded, on literal series."""

from __future__ import annotations

import pytest

from bench.soak.verdict import (
    lag_verdict,
    last_half,
    memory_verdict,
    middle_and_last_third,
    slope,
)

TIMES = [10.0 * n for n in range(61)]  # a 10-minute soak sampled every 10 s


def test_slope_is_the_least_squares_fit() -> None:
    assert slope([0, 1, 2, 3], [1, 3, 5, 7]) == pytest.approx(2.0)
    assert slope([0, 1, 2], [4, 4, 4]) == 0.0
    assert slope([5, 5, 5], [1, 2, 3]) == 0.0  # no spread in x: no slope
    assert slope([0, 1, 2, 3], [0, 2, 0, 2]) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="same"):
        slope([0, 1], [1])


def test_thirds_and_half_split_by_index() -> None:
    middle, last = middle_and_last_third(9)
    assert list(range(9))[middle] == [3, 4, 5]
    assert list(range(9))[last] == [6, 7, 8]
    assert list(range(61))[last_half(61)][0] == 30


def test_memory_that_grows_during_warm_up_then_levels_off_passes() -> None:
    # 100 MiB rising to 300 MiB over the first third, then flat with +-1 MiB of noise.
    rss = [100_000 + 10_000 * n if n < 20 else 300_000 + (n % 2) * 1_000 for n in range(61)]
    verdict = memory_verdict(TIMES, rss)
    assert verdict.passed
    assert verdict.start_kib == 100_000
    assert verdict.peak_kib == 301_000
    assert verdict.growth == pytest.approx(0.0, abs=0.005)
    assert abs(verdict.slope_share_per_minute) < 0.001


def test_memory_growing_by_a_fifth_between_the_thirds_fails() -> None:
    rss = [200_000 if n < 40 else 240_000 for n in range(61)]
    verdict = memory_verdict(TIMES, rss)
    assert verdict.growth == pytest.approx(0.20, abs=0.01)
    assert not verdict.passed


def test_a_steady_leak_under_ten_percent_is_caught_by_the_slope() -> None:
    # 500 MiB growing by 1 MiB every 10 s (6 MiB a minute, 1.2% of its size a minute):
    # the last third is only ~4% above the middle one, but the slope gives it away.
    rss = [512_000 + 1_024 * n for n in range(61)]
    verdict = memory_verdict(TIMES, rss)
    assert verdict.growth < 0.10
    assert verdict.slope_kib_per_minute == pytest.approx(6 * 1_024)
    assert verdict.slope_share_per_minute > 0.01
    assert not verdict.passed


def test_lag_that_stays_low_passes_and_one_spike_early_is_forgiven() -> None:
    lag = [45.0 if n == 5 else 2.0 + (n % 3) for n in range(61)]
    verdict = lag_verdict(TIMES, lag)
    assert verdict.passed
    assert verdict.max_seconds == 45.0
    assert verdict.max_last_half_seconds == 4.0


def test_lag_over_the_bound_in_the_last_half_fails() -> None:
    lag = [31.0 if n == 50 else 1.0 for n in range(61)]
    verdict = lag_verdict(TIMES, lag)
    assert verdict.max_last_half_seconds == 31.0
    assert not verdict.passed


def test_lag_trending_upward_fails_even_under_the_bound() -> None:
    # From 0 to 24 s over the last half (300 s): under 30 s, but rising by 24 s.
    lag = [0.0 if n < 30 else (n - 30) * 0.8 for n in range(61)]
    verdict = lag_verdict(TIMES, lag)
    assert verdict.max_last_half_seconds == pytest.approx(24.0)
    assert verdict.rise_last_half_seconds == pytest.approx(24.0)
    assert not verdict.passed


def test_verdicts_need_enough_samples_of_matching_length() -> None:
    with pytest.raises(ValueError, match="at least 6"):
        memory_verdict([0, 10, 20], [1, 2, 3])
    with pytest.raises(ValueError, match="7 times for 6 values"):
        lag_verdict([0, 10, 20, 30, 40, 50, 60], [0, 0, 0, 0, 0, 0])
