"""Data-DR checks: can a data store's backups keep the data loss within its RPO?

Two questions per store of the Data-DR overlay. By design: a backup interval longer than the
RPO loses more than the RPO whenever the store fails just before a backup (warning: the
schedule needs changing). Right now: the last successful backup is older than the RPO, so a
failure now would lose more than the owners accept (critical); a store with an RPO and no
recorded backup is reported the same way, as a warning, since nobody knows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from models.anomaly_record import Severity
from models.bcp_finding import BcpFinding, FindingKind
from models.bcp_model import BcpError
from models.overlay_fields import timestamp_seconds


@dataclass(frozen=True, slots=True)
class DataStoreDr:
    """What the Data-DR overlay says of one data store."""

    name: str
    rpo_seconds: float | None = None
    backup_interval_seconds: float | None = None
    """Longest time between two scheduled backups."""
    last_backup: float | None = None
    """Epoch seconds of the last successful backup; None when not recorded."""
    engine: str | None = None

    def __post_init__(self) -> None:
        for label in ("rpo_seconds", "backup_interval_seconds", "last_backup"):
            value = getattr(self, label)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise BcpError(f"data store {self.name}: {label} {value!r} must be a number >= 0")


def check_backups(stores: Iterable[DataStoreDr], now: float) -> list[BcpFinding]:
    """Findings of every store, by name; ``now`` is the wall-clock time of the run."""
    out = []
    for store in sorted(stores, key=lambda s: s.name):
        rpo = store.rpo_seconds
        if rpo is None:
            continue
        interval = store.backup_interval_seconds
        if interval is not None and interval > rpo:
            out.append(
                BcpFinding(
                    FindingKind.DR_SCHEDULE,
                    store.name,
                    Severity.WARNING,
                    f"{store.name} is backed up every {_span(interval)} but its RPO is "
                    f"{_span(rpo)}: a failure just before a backup loses more than the RPO",
                    {"backup_interval": interval, "rpo": rpo},
                )
            )
        if store.last_backup is None:
            out.append(
                BcpFinding(
                    FindingKind.DR_BACKUP_OVERDUE,
                    store.name,
                    Severity.WARNING,
                    f"{store.name} has an RPO of {_span(rpo)} but no successful backup on record",
                    {"rpo": rpo},
                )
            )
        elif now - store.last_backup > rpo:
            age = now - store.last_backup
            out.append(
                BcpFinding(
                    FindingKind.DR_BACKUP_OVERDUE,
                    store.name,
                    Severity.CRITICAL,
                    f"{store.name}'s last successful backup is {_span(age)} old, beyond its RPO "
                    f"of {_span(rpo)}: a failure now loses more data than accepted",
                    {"backup_age": age, "rpo": rpo, "last_backup": store.last_backup},
                )
            )
    return out


def _span(seconds: float) -> str:
    """A duration for a message: 90s, 45m, 6h, 2d, 1.5h."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"


def stores_from_notes(notes: Mapping[str, Mapping[str, Any]]) -> list[DataStoreDr]:
    """Data stores from the Data-DR overlay's node annotations (normal form: durations in
    seconds, ``last_backup`` as ISO 8601 text)."""
    stores = []
    for name, note in sorted(notes.items()):
        last = note.get("last_backup")
        engine = note.get("engine")
        stores.append(
            DataStoreDr(
                name,
                rpo_seconds=_seconds(note.get("rpo")),
                backup_interval_seconds=_seconds(note.get("backup_interval")),
                last_backup=timestamp_seconds(last) if isinstance(last, str) else None,
                engine=engine if isinstance(engine, str) else None,
            )
        )
    return stores


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
