"""Did memory level off and did lag stay bounded? Pure functions of the sampled series.

Memory (worker RSS) passes when both hold:

- the mean of the last third of the samples is at most 10% above the mean of the middle
  third (the first third is warm-up: caches and bounded histories fill);
- the least-squares slope over the last half is at most 1% of that half's mean per minute
  (a leak of a few MiB a minute hides inside 10% over a short run, not in the slope).

Lag (in seconds: the events the worker's group has not committed on the events topic, as
seconds of input at the soak rate, plus how far behind its end the group is on its own
edge-deltas topic) passes when both hold:

- its maximum over the last half is at most 30 s of input;
- it is not trending upward: the fitted line over the last half rises by at most 10 s of
  input from the half's first sample to its last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import fmean
from typing import Any, Final

MAX_RSS_GROWTH: Final = 0.10
MAX_RSS_SLOPE_PER_MINUTE: Final = 0.01
MAX_LAG_SECONDS: Final = 30.0
MAX_LAG_RISE_SECONDS: Final = 10.0
MIN_SAMPLES: Final = 6


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ``ys`` against ``xs``; 0 when the xs do not vary."""
    if len(xs) != len(ys) or not xs:
        raise ValueError("slope needs two series of the same, non-zero length")
    mean_x, mean_y = fmean(xs), fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def middle_and_last_third(count: int) -> tuple[slice, slice]:
    """Index ranges of the middle and last thirds of ``count`` evenly spaced samples."""
    return slice(count // 3, 2 * count // 3), slice(2 * count // 3, count)


def last_half(count: int) -> slice:
    return slice(count // 2, count)


def _check_series(times: Sequence[float], values: Sequence[float]) -> None:
    if len(times) != len(values):
        raise ValueError(f"{len(times)} times for {len(values)} values")
    if len(times) < MIN_SAMPLES:
        raise ValueError(f"a verdict needs at least {MIN_SAMPLES} samples, got {len(times)}")


@dataclass(frozen=True)
class MemoryVerdict:
    start_kib: float
    middle_mean_kib: float
    last_mean_kib: float
    end_kib: float
    peak_kib: float
    growth: float
    """Last third's mean over the middle third's, minus 1."""
    slope_kib_per_minute: float
    slope_share_per_minute: float
    """The last half's slope as a share of that half's mean RSS."""
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def memory_verdict(times: Sequence[float], rss_kib: Sequence[float]) -> MemoryVerdict:
    """``times`` in seconds from the soak's start, ``rss_kib`` the worker's VmRSS at each."""
    _check_series(times, rss_kib)
    middle, last = middle_and_last_third(len(times))
    middle_mean, last_mean = fmean(rss_kib[middle]), fmean(rss_kib[last])
    growth = last_mean / middle_mean - 1 if middle_mean > 0 else float("inf")
    half = last_half(len(times))
    per_minute = slope(times[half], rss_kib[half]) * 60
    half_mean = fmean(rss_kib[half])
    share = per_minute / half_mean if half_mean > 0 else float("inf")
    return MemoryVerdict(
        start_kib=rss_kib[0],
        middle_mean_kib=middle_mean,
        last_mean_kib=last_mean,
        end_kib=rss_kib[-1],
        peak_kib=max(rss_kib),
        growth=growth,
        slope_kib_per_minute=per_minute,
        slope_share_per_minute=share,
        passed=growth <= MAX_RSS_GROWTH and share <= MAX_RSS_SLOPE_PER_MINUTE,
    )


@dataclass(frozen=True)
class LagVerdict:
    max_seconds: float
    """Largest lag over the whole soak, in seconds of input."""
    max_last_half_seconds: float
    rise_last_half_seconds: float
    """How much the fitted line over the last half rises across it."""
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lag_verdict(times: Sequence[float], lag_seconds: Sequence[float]) -> LagVerdict:
    """``lag_seconds``: the pipeline's lag in seconds at each sample time."""
    _check_series(times, lag_seconds)
    half = last_half(len(times))
    half_times, half_lag = times[half], lag_seconds[half]
    rise = slope(half_times, half_lag) * (half_times[-1] - half_times[0])
    worst = max(half_lag)
    return LagVerdict(
        max_seconds=max(lag_seconds),
        max_last_half_seconds=worst,
        rise_last_half_seconds=rise,
        passed=worst <= MAX_LAG_SECONDS and rise <= MAX_LAG_RISE_SECONDS,
    )
