"""The message of the DR-events topic: a Data-DR finding raised, updated or resolved, for the
backup infrastructure (which may start a backup, page its owners or close a ticket).

Flat and versioned, keyed by the data store, so a consumer that only cares about the latest
state of each store can read the topic compacted.
"""

from __future__ import annotations

from typing import Any

from models.bcp_finding import DR_KINDS, FindingEvent
from models.bcp_model import BcpError

DR_EVENT_VERSION = 1


def dr_event(event: FindingEvent) -> dict[str, Any]:
    """``{"v", "store", "kind", "transition", "severity", "at", "message", "rpo", ...}``."""
    finding = event.finding
    if finding.kind not in DR_KINDS:
        raise BcpError(f"{finding.kind} is not a Data-DR finding")
    values = dict(finding.values)
    return {
        "v": DR_EVENT_VERSION,
        "store": finding.subject,
        "kind": finding.kind.value,
        "transition": event.transition.value,
        "severity": finding.severity.value,
        "at": event.at,
        "message": finding.message,
        "rpo_seconds": values.get("rpo"),
        "backup_interval_seconds": values.get("backup_interval"),
        "last_backup": values.get("last_backup"),
        "backup_age_seconds": values.get("backup_age"),
    }
