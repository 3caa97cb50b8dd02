"""The anomaly record: what was seen on which edge in which window, and its JSON form.

Records are built only from event time and measured values, never the wall clock, so replaying
a topic yields the same records byte for byte. ``dedup_key`` names the condition rather than
the window: an anomaly that persists keeps its key and is raised once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from models.errors import MeeseeksError
from models.topology import EdgeKey

VERSION = 1


class AnomalyRecordError(MeeseeksError):
    """An anomaly message is not a record this version of Meeseeks can read."""


class AnomalyKind(StrEnum):
    """What is wrong; also the only label (with severity) of the anomaly gauge."""

    NEW_EDGE = "new_edge"
    """A dependency that did not exist once the estate was learnt."""
    VANISHED_EDGE = "vanished_edge"
    """A regular dependency that went silent."""
    FAILING_EDGE = "failing_edge"
    """Many attempts, few answers: the server cannot be reached."""
    RATE_SHIFT = "rate_shift"
    """The attempt rate moved far from its own robust baseline."""
    UNATTRIBUTED_TRAFFIC = "unattributed_traffic"
    """Busy traffic to an address the inventory does not know."""


class Severity(StrEnum):
    """How urgently someone should look."""

    WARNING = "warning"
    """Worth a look during working hours."""
    CRITICAL = "critical"
    """A dependency is broken or wildly off; look now."""


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One anomaly of one edge (or node) in one window."""

    kind: AnomalyKind
    """What is wrong."""
    edge: str | None
    """Encoded EdgeKey of the edge concerned; None for an anomaly of a node as a whole."""
    node: str | None
    """The node concerned, when there is one (the unattributed server); None otherwise."""
    window_start: float
    """Start of the window that showed the anomaly, epoch seconds (event time)."""
    severity: Severity
    """Warning or critical."""
    message: str
    """One line for a human, with the numbers that matter."""
    values: Mapping[str, float]
    """What was measured (attempts, ratio, median, score, ...): read-only floats, by name.
    (The mapping makes records unhashable; key them by ``dedup_key``.)"""

    def __post_init__(self) -> None:
        if self.edge is None and self.node is None:
            raise AnomalyRecordError(f"a {self.kind} anomaly needs an edge or a node")
        # Floats throughout, so a record and its JSON round trip are equal byte for byte.
        values = {name: float(value) for name, value in sorted(self.values.items())}
        object.__setattr__(self, "values", MappingProxyType(values))
        object.__setattr__(self, "window_start", float(self.window_start))

    @property
    def subject(self) -> str:
        """What the anomaly is about: the encoded edge, else the node."""
        return self.edge if self.edge is not None else str(self.node)

    @property
    def dedup_key(self) -> str:
        """Same condition, same key, whatever the window and severity."""
        return f"{self.kind.value}:{self.subject}"

    @property
    def edge_key(self) -> EdgeKey | None:
        return None if self.edge is None else EdgeKey.decode(self.edge)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with a format version."""
        return {
            "v": VERSION,
            "kind": self.kind.value,
            "edge": self.edge,
            "node": self.node,
            "window_start": self.window_start,
            "severity": self.severity.value,
            "message": self.message,
            "values": dict(self.values),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Anomaly:
        """Read a record written by ``to_dict``; refuse anything else with a clear reason."""
        if data.get("v") != VERSION:
            raise AnomalyRecordError(f"anomaly format version {data.get('v')!r} is not {VERSION}")
        try:
            kind = AnomalyKind(data["kind"])
            severity = Severity(data["severity"])
            edge, node, message = data["edge"], data["node"], data["message"]
            window_start, values = data["window_start"], data["values"]
        except (KeyError, ValueError, TypeError) as exc:
            raise AnomalyRecordError(f"not an anomaly record: {exc!r}") from exc
        if not all(isinstance(text, str | None) for text in (edge, node)):
            raise AnomalyRecordError("anomaly edge and node must be strings or null")
        if edge is not None:
            _check_edge(edge)
        if not isinstance(message, str) or not _is_number(window_start):
            raise AnomalyRecordError("anomaly message must be a string, window_start a number")
        if not isinstance(values, Mapping) or not all(
            isinstance(name, str) and _is_number(value) for name, value in values.items()
        ):
            raise AnomalyRecordError("anomaly values must map names to numbers")
        return cls(
            kind=kind,
            edge=edge,
            node=node,
            window_start=float(window_start),
            severity=severity,
            message=message,
            values=values,
        )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_edge(text: str) -> None:
    try:
        EdgeKey.decode(text)
    except ValueError as exc:
        raise AnomalyRecordError(f"anomaly edge {text!r} is not an encoded edge key") from exc
