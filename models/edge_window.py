"""One still-open event-time window of an edge: running counts until the watermark closes it.

An edge keeps a few of these at once because deltas of adjacent windows interleave within the
allowed lateness. Client instances are a set capped to the smallest ids, so the content of a
window does not depend on the order or grouping in which its deltas arrive.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from models.edge_delta import EdgeDelta
from models.topology import WindowStats


@dataclass(frozen=True, slots=True)
class OpenWindow:
    """Counts of one edge's window that has not closed yet."""

    start: float
    """Window start, epoch seconds."""
    attempts: int
    """SYNs counted so far."""
    answered: int
    """SYN-ACKs counted so far."""
    client_instances: frozenset[str]
    """Distinct client instance ids so far, at most the cap (the smallest ones)."""
    truncated: bool
    """True when more instances were seen than the cap."""

    @classmethod
    def from_delta(cls, delta: EdgeDelta, limit: int) -> OpenWindow:
        """A window opened by its first delta."""
        ids = frozenset(delta.client_instances)
        truncated = delta.client_instances_truncated
        if len(ids) > limit:
            ids, truncated = frozenset(heapq.nsmallest(limit, ids)), True
        return cls(delta.window_start, delta.attempts, delta.answered, ids, truncated)

    def add(self, delta: EdgeDelta, limit: int) -> OpenWindow:
        """This window with one more delta counted in (a new object; self is unchanged)."""
        ids = self.client_instances
        truncated = self.truncated or delta.client_instances_truncated
        if not ids.issuperset(delta.client_instances):
            ids = ids.union(delta.client_instances)
            if len(ids) > limit:
                ids, truncated = frozenset(heapq.nsmallest(limit, ids)), True
        return OpenWindow(
            self.start,
            self.attempts + delta.attempts,
            self.answered + delta.answered,
            ids,
            truncated,
        )

    def close(self) -> WindowStats:
        """The final stats of this window, for the edge's history."""
        return WindowStats(self.start, self.attempts, self.answered, len(self.client_instances))

    def to_list(self) -> list[Any]:
        """Compact JSON-able form: ``[start, attempts, answered, [ids...], truncated]``."""
        return [
            self.start,
            self.attempts,
            self.answered,
            sorted(self.client_instances),
            self.truncated,
        ]

    @classmethod
    def from_list(cls, data: list[Any]) -> OpenWindow:
        """Read ``to_list`` output (the caller turns shape errors into a record error)."""
        start, attempts, answered, ids, truncated = data
        return cls(
            float(start),
            int(attempts),
            int(answered),
            frozenset(str(i) for i in ids),
            bool(truncated),
        )
