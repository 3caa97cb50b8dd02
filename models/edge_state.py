"""What the edge stage remembers about one edge, and its table form.

A frozen value: ``models.edge_aggregation`` builds a new one per delta or watermark step, so a
state read from the table is never changed behind the caller's back. ``to_dict``/``from_dict``
give the JSON-able form kept in the RocksDB-backed Faust table; a round trip is exact, so a
worker that restarts from the table continues exactly where the old one stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from models.edge_window import OpenWindow
from models.errors import EdgeRecordError
from models.topology import EdgeKey, WindowStats

STATE_VERSION = 1


class EdgeStatus(StrEnum):
    """Whether the edge still carries traffic, in event time."""

    ACTIVE = "active"
    """Traffic seen within the last ``stale_after_seconds`` of event time."""
    STALE = "stale"
    """No traffic for ``stale_after_seconds``; kept (a BCP dependency may be rare), not deleted."""


@dataclass(frozen=True, slots=True)
class EdgeState:
    """The stream-owned facts of one edge."""

    edge: EdgeKey
    """The edge (also the table key, encoded)."""
    status: EdgeStatus
    """Active or stale."""
    first_seen: float
    """Earliest event time ever counted, late data included."""
    last_seen: float
    """Latest event time ever counted, late data included."""
    watermark: float
    """The event-time watermark of the last step that changed this state; never decreases.

    Windows closing at or before it are closed for good: a delta for one of them is late, even
    when a restarted worker's watermark is still behind.
    """
    attempts: int
    """All SYNs ever counted, late ones included."""
    answered: int
    """All SYN-ACKs ever counted, late ones included."""
    late_events: int
    """SYNs and SYN-ACKs that arrived after their window had closed (counted in totals only)."""
    open_windows: tuple[OpenWindow, ...]
    """Windows not closed yet, by start; two or three at most with the usual grace."""
    history: tuple[WindowStats, ...]
    """The newest closed windows that had traffic, oldest first; a missing start is a silent
    window."""
    client_instances: tuple[str, ...]
    """Sorted client instance ids of the newest closed window in ``history``."""
    client_instances_truncated: bool
    """True when that window saw more instances than the cap."""

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-able form for the edge table."""
        return {
            "v": STATE_VERSION,
            "edge": self.edge.encode(),
            "status": self.status.value,
            "first": self.first_seen,
            "last": self.last_seen,
            "wm": self.watermark,
            "syn": self.attempts,
            "ack": self.answered,
            "late": self.late_events,
            "open": [window.to_list() for window in self.open_windows],
            "hist": [[s.start, s.attempts, s.answered, s.client_instances] for s in self.history],
            "ci": list(self.client_instances),
            "cit": self.client_instances_truncated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EdgeState:
        """Read ``to_dict`` output; refuse versions and shapes this version does not know."""
        version = data.get("v") if isinstance(data, dict) else None
        if version != STATE_VERSION:
            raise EdgeRecordError(
                f"edge state version {version!r} is not {STATE_VERSION}; "
                "the table was written by another Meeseeks version"
            )
        try:
            return cls(
                edge=EdgeKey.decode(data["edge"]),
                status=EdgeStatus(data["status"]),
                first_seen=float(data["first"]),
                last_seen=float(data["last"]),
                watermark=float(data["wm"]),
                attempts=int(data["syn"]),
                answered=int(data["ack"]),
                late_events=int(data["late"]),
                open_windows=tuple(OpenWindow.from_list(w) for w in data["open"]),
                # The bulk of a state: rows go in as written (no per-field coercion) for speed.
                history=tuple([WindowStats(*row) for row in data["hist"]]),
                client_instances=tuple(str(i) for i in data["ci"]),
                client_instances_truncated=bool(data["cit"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EdgeRecordError(f"malformed edge state {data!r:.300}: {exc!r}") from exc
