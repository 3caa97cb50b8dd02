"""Edge histories for anomaly tests."""

from __future__ import annotations

from collections.abc import Sequence

from models.topology import EdgeKey, WindowStats

WINDOW = 60.0
T0 = 1_700_000_040.0
"""A window boundary; the stream starts here."""
EDGE = EdgeKey("checkout", "payments", 8443)


def window(index: int, attempts: int, answered: int | None = None) -> WindowStats:
    """The ``index``-th window after T0."""
    return WindowStats(
        start=T0 + index * WINDOW,
        attempts=attempts,
        answered=attempts if answered is None else answered,
        client_instances=3,
    )


def series(attempts: Sequence[int], first: int = 0) -> list[WindowStats]:
    """Consecutive fully answered windows with the given attempt counts."""
    return [window(first + offset, count) for offset, count in enumerate(attempts)]


NORMAL = [100, 104, 97, 101, 99, 103, 98, 102, 100, 96, 105, 101, 99, 100, 102, 98, 101, 103]
"""A steady edge: about 100 attempts a window."""
