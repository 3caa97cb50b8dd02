"""A robust baseline of an edge's history: median and median absolute deviation.

Mean and standard deviation let one burst (a deploy, a retry storm) drag the baseline and hide
the next shift; median and MAD ignore a minority of outliers entirely.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

MAD_SCALE = 1.4826
"""Makes the MAD estimate the standard deviation of normally distributed values."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """Centre and spread of a series, robust to outliers."""

    median: float
    """Median of the series."""
    mad: float
    """Median absolute deviation from the median (unscaled)."""
    count: int
    """Values the baseline was built from."""

    @classmethod
    def of(cls, values: Iterable[float]) -> Baseline:
        """The baseline of a non-empty series."""
        series = list(values)
        if not series:
            raise ValueError("a baseline needs at least one value")
        centre = float(median(series))
        spread = float(median(abs(value - centre) for value in series))
        return cls(centre, spread, len(series))

    def score(self, value: float, epsilon: float) -> float:
        """How many robust standard deviations ``value`` lies from the median."""
        return abs(value - self.median) / (MAD_SCALE * self.mad + epsilon)
