"""The thresholds of edge anomaly detection, in one value the wiring builds from settings.

Defaults aim at few, meaningful alerts on an estate of services with one-minute windows: an
edge has to be busy and clearly wrong before it raises anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from models.errors import MeeseeksError


class AnomalyParamsError(MeeseeksError, ValueError):
    """An anomaly threshold is out of range; the message names it and its valid range."""


@dataclass(frozen=True, slots=True)
class AnomalyParams:
    """When each kind of anomaly is raised, and how severe it is."""

    window_seconds: float = 60.0
    """Length of the edge windows; must match the aggregation's windows."""
    learning_seconds: float = 86_400.0
    """After the stream starts, edges first seen within this long are the estate as it is, not
    news; one day covers the daily batch jobs."""
    new_edge_hold_seconds: float = 3_600.0
    """A new edge stays raised for this long after it is first seen, then resolves."""
    vanished_min_active_windows: int = 10
    """Windows with traffic an edge needs in its history before its silence means anything."""
    vanished_silent_windows: int = 15
    """Whole windows without traffic, after the last active one, that make an edge vanished."""
    failing_min_attempts: int = 20
    """Attempts in a window below which a poor answer ratio is noise (a few retries)."""
    failing_max_ratio: float = 0.2
    """Answer ratio at or below which a busy edge is failing: its server cannot be reached."""
    failing_critical_ratio: float = 0.0
    """Answer ratio at or below which a failing edge is critical (default: nothing answered)."""
    rate_min_history: int = 12
    """Earlier windows with traffic needed before a baseline is trusted."""
    rate_baseline_windows: int = 60
    """Most recent earlier windows with traffic that make the baseline; silent windows are not
    zeros (a bursty edge is judged on its bursts, and silence is the vanished check's job)."""
    rate_threshold: float = 6.0
    """Robust score |x - median| / (1.4826 * MAD + epsilon) at which the rate has shifted."""
    rate_critical_score: float = 12.0
    """Robust score at which a rate shift is critical."""
    rate_epsilon: float = 1.0
    """Added to the scaled MAD (in attempts) so a perfectly steady edge does not divide by 0."""
    rate_min_change: float = 20.0
    """Smallest absolute change from the median, in attempts per window, worth raising."""
    unattributed_min_attempts: int = 10
    """Attempts per window to an address the inventory does not know that warrant a look."""

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if not math.isfinite(value) or value < 0:
                raise AnomalyParamsError(f"{spec.name}={value!r} must be finite and >= 0")
        for name in ("window_seconds", "rate_epsilon"):
            if getattr(self, name) <= 0:
                raise AnomalyParamsError(f"{name}={getattr(self, name)!r} must be positive")
        if self.failing_critical_ratio > self.failing_max_ratio or self.failing_max_ratio > 1:
            raise AnomalyParamsError(
                f"need 0 <= failing_critical_ratio ({self.failing_critical_ratio!r}) "
                f"<= failing_max_ratio ({self.failing_max_ratio!r}) <= 1"
            )
        if self.rate_critical_score < self.rate_threshold or self.rate_threshold <= 0:
            raise AnomalyParamsError(
                f"need 0 < rate_threshold ({self.rate_threshold!r}) "
                f"<= rate_critical_score ({self.rate_critical_score!r})"
            )
        for name in ("vanished_silent_windows", "rate_min_history", "rate_baseline_windows"):
            if getattr(self, name) < 1:
                raise AnomalyParamsError(f"{name}={getattr(self, name)!r} must be at least 1")
