"""A finding of the BCP checks: what is wrong with the overlays against the observed graph.

Shaped like the live topology's anomaly records (kind, subject, severity, message, measured
values, a ``dedup_key`` that names the condition) and sent as the same kind of versioned
raise/update/resolve events, on their own topic: the anomalies topic's readers only know the
stream's kinds. Kinds and severities are the only labels of the findings gauge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from models.anomaly_record import Severity
from models.anomaly_tracker import TransitionKind
from models.bcp_model import BcpError

FINDING_VERSION = 1


class FindingKind(StrEnum):
    CRITICALITY_INVERSION = "criticality_inversion"
    """An essential dependency is less critical, or has a longer RTO, than its client."""
    UNDECLARED_DEPENDENCY = "undeclared_dependency"
    """Observed traffic from a BCP service over an edge no overlay mentions."""
    UNOBSERVED_DEPENDENCY = "unobserved_dependency"
    """An essential edge without traffic for the whole learning period."""
    SINGLE_ZONE = "single_zone"
    """A BCP service or data-store cluster with every instance in one zone."""
    CROSS_ZONE_DEPENDENCY = "cross_zone_dependency"
    """An essential edge from a zone where the server has no instance."""
    DR_SCHEDULE = "dr_schedule"
    """A data store whose backup interval is longer than its RPO."""
    DR_BACKUP_OVERDUE = "dr_backup_overdue"
    """A data store whose last successful backup is older than its RPO (or unknown)."""


DR_KINDS = frozenset({FindingKind.DR_SCHEDULE, FindingKind.DR_BACKUP_OVERDUE})
"""Kinds that also go to the DR-events topic for the backup infrastructure."""


@dataclass(frozen=True, slots=True)
class BcpFinding:
    kind: FindingKind
    subject: str
    """The node name, or the edge as ``client|server|port`` (``*`` for any port)."""
    severity: Severity
    message: str
    """One line for a human, with the numbers that matter."""
    values: Mapping[str, float]
    """What was compared, by name, as floats."""

    def __post_init__(self) -> None:
        values = {name: float(value) for name, value in sorted(self.values.items())}
        if not all(math.isfinite(value) for value in values.values()):
            raise BcpError(f"{self.kind} {self.subject}: values must be finite numbers")
        object.__setattr__(self, "values", MappingProxyType(values))

    @property
    def dedup_key(self) -> str:
        return f"{self.kind.value}:{self.subject}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": FINDING_VERSION,
            "kind": self.kind.value,
            "subject": self.subject,
            "severity": self.severity.value,
            "message": self.message,
            "values": dict(self.values),
        }

    @classmethod
    def from_dict(cls, data: Any) -> BcpFinding:
        """Read ``to_dict`` output; anything else raises ``BcpError`` with the reason."""
        if not isinstance(data, Mapping) or data.get("v") != FINDING_VERSION:
            raise BcpError(f"not a version {FINDING_VERSION} BCP finding: {data!r:.200}")
        try:
            kind, severity = FindingKind(data["kind"]), Severity(data["severity"])
            subject, message, values = data["subject"], data["message"], data["values"]
        except (KeyError, ValueError, TypeError) as exc:
            raise BcpError(f"not a BCP finding: {exc!r:.200}") from exc
        if not isinstance(subject, str) or not isinstance(message, str):
            raise BcpError("a BCP finding's subject and message must be text")
        if not isinstance(values, Mapping) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values.values()
        ):
            raise BcpError("a BCP finding's values must map names to numbers")
        return cls(kind, subject, severity, message, values)


@dataclass(frozen=True, slots=True)
class FindingEvent:
    """One raise, severity update or resolution of a finding."""

    transition: TransitionKind
    at: float
    """When the evaluation ran, epoch seconds."""
    finding: BcpFinding
    """The new record (raised, updated) or the last raised one (resolved)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": FINDING_VERSION,
            "transition": self.transition.value,
            "at": self.at,
            "finding": self.finding.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> FindingEvent:
        if not isinstance(data, Mapping) or data.get("v") != FINDING_VERSION:
            raise BcpError(f"not a version {FINDING_VERSION} finding event: {data!r:.200}")
        try:
            transition, at = TransitionKind(data["transition"]), data["at"]
        except (KeyError, ValueError) as exc:
            raise BcpError(f"not a finding event: {exc!r:.200}") from exc
        if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
            raise BcpError(f"finding event 'at' must be a finite number, not {at!r:.40}")
        return cls(transition, float(at), BcpFinding.from_dict(data.get("finding")))
