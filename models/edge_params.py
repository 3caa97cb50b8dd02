"""The knobs of edge aggregation: window length, allowed lateness, staleness and bounds.

One frozen value shared by the combiner, the per-edge state functions and the views, so every
stage agrees on where a window starts and when it closes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EdgeParams:
    """How edges are windowed, when their windows close and how much of them is kept."""

    window_seconds: float = 60.0
    """Length of the tumbling event-time windows; windows start at multiples of it."""
    grace_seconds: float = 10.0
    """Allowed lateness: a window closes once the watermark passes its end by this much."""
    stale_after_seconds: float = 600.0
    """An edge without traffic for this long (in event time) is marked stale."""
    history_windows: int = 60
    """Closed windows kept per edge (windows with traffic; silent ones are gaps)."""
    max_client_instances: int = 256
    """Distinct client instance ids kept per window; beyond it the set is truncated."""

    def __post_init__(self) -> None:
        for name in ("window_seconds", "grace_seconds", "stale_after_seconds"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name}={value!r} must be a finite, non-negative number")
        if self.window_seconds <= 0:
            raise ValueError(f"window_seconds={self.window_seconds!r} must be positive")
        if self.stale_after_seconds < self.window_seconds + self.grace_seconds:
            # Otherwise an edge could turn stale while one of its windows is still open.
            raise ValueError(
                f"stale_after_seconds={self.stale_after_seconds!r} must be at least "
                f"window_seconds + grace_seconds ({self.window_seconds + self.grace_seconds!r})"
            )
        if self.history_windows < 1:
            raise ValueError(f"history_windows={self.history_windows!r} must be at least 1")
        if self.max_client_instances < 1:
            raise ValueError(
                f"max_client_instances={self.max_client_instances!r} must be at least 1"
            )

    def window_start(self, ts: float) -> float:
        """The start of the window holding event time ``ts`` (floor to a window multiple)."""
        return window_start(ts, self.window_seconds)

    def closes_at(self, start: float) -> float:
        """The watermark at which the window starting at ``start`` closes."""
        return start + (self.window_seconds + self.grace_seconds)


def window_start(ts: float, window_seconds: float) -> float:
    """Floor ``ts`` to a multiple of the window length: event time, never arrival time."""
    return float((ts // window_seconds) * window_seconds)
