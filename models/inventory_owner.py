"""An owner of an inventory entry over a time interval, and the rules its names must follow.

Ownership is time-bounded because addresses move between services during deployments: the
events before the move belong to the old owner, those after it to the new one. Intervals are
half-open, ``[valid_from, valid_until)``, so an event exactly at a hand-over time belongs to
the new owner.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models.errors import InventoryError
from models.topology import CLUSTER_PREFIX, KEY_SEPARATOR, UNATTRIBUTED_PREFIX, Owner

RESERVED_SERVICE_PREFIXES = (UNATTRIBUTED_PREFIX, CLUSTER_PREFIX)
OWNER_FIELDS = ("service", "instance", "zone", "valid_from", "valid_until")


def check_name(field: str, value: object) -> str:
    """Return ``value`` if it can be a node or instance name, else say what is wrong with it."""
    if not isinstance(value, str) or not value.strip():
        raise InventoryError(f"{field} must be a non-empty text, got {value!r}")
    if KEY_SEPARATOR in value:
        raise InventoryError(
            f"{field} {value!r} contains {KEY_SEPARATOR!r}, which separates the parts of edge "
            "keys; rename it"
        )
    for char in value:
        if unicodedata.category(char).startswith("C"):
            raise InventoryError(
                f"{field} {value!r} contains the control or invisible character "
                f"U+{ord(char):04X}; remove it"
            )
    if value != value.strip():
        raise InventoryError(f"{field} {value!r} starts or ends with spaces; remove them")
    if field == "service" and value.startswith(RESERVED_SERVICE_PREFIXES):
        raise InventoryError(
            f"service {value!r} starts with a prefix Meeseeks reserves for its own nodes "
            f"({', '.join(RESERVED_SERVICE_PREFIXES)}); rename it"
        )
    return value


def check_time(field: str, value: object) -> float | None:
    """Return an epoch-seconds bound (None for open), refusing anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InventoryError(f"{field} must be epoch seconds (a finite number), got {value!r}")
    return float(value)


def format_time(ts: float | None) -> str:
    """A bound for humans, in UTC ISO-8601."""
    if ts is None:
        return "open"
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class OwnerInterval:
    """Who owned an inventory entry from ``valid_from`` (included) to ``valid_until`` (excluded)."""

    owner: Owner
    """The service, instance and zone behind the entry during the interval."""
    valid_from: float | None = None
    """Start, epoch seconds; None means since always."""
    valid_until: float | None = None
    """End (exclusive), epoch seconds; None means until further notice."""

    def __post_init__(self) -> None:
        check_name("service", self.owner.service)
        check_name("instance", self.owner.instance)
        if self.owner.zone is not None:
            check_name("zone", self.owner.zone)
        start = check_time("valid_from", self.valid_from)
        end = check_time("valid_until", self.valid_until)
        if start is not None and end is not None and end <= start:
            raise InventoryError(
                f"valid_until {format_time(end)} is not after valid_from {format_time(start)}; "
                "an owner interval must not be empty"
            )

    @property
    def start(self) -> float:
        """``valid_from`` with -inf for always, ready for comparisons."""
        return -math.inf if self.valid_from is None else self.valid_from

    @property
    def end(self) -> float:
        """``valid_until`` with +inf for open-ended."""
        return math.inf if self.valid_until is None else self.valid_until

    def sort_key(self) -> tuple[float, float]:
        return self.start, self.end

    def covers(self, ts: float) -> bool:
        return self.start <= ts < self.end

    def describe(self) -> str:
        """``orders/orders-1 [2024-05-01T12:00:00Z, open)``, for error messages."""
        since = "always" if self.valid_from is None else format_time(self.valid_from)
        return (
            f"{self.owner.service}/{self.owner.instance} [{since}, {format_time(self.valid_until)})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.owner.service,
            "instance": self.owner.instance,
            "zone": self.owner.zone,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }


def interval_from_json(item: object) -> OwnerInterval:
    """Rebuild an interval from its JSON object; ``zone`` and the bounds may be absent."""
    if not isinstance(item, dict):
        raise InventoryError(f"an owner must be a JSON object, got {item!r}")
    unknown = sorted(set(item) - set(OWNER_FIELDS))
    if unknown:
        raise InventoryError(f"unknown owner fields {unknown}; allowed: {list(OWNER_FIELDS)}")
    zone = item.get("zone")
    owner = Owner(
        service=check_name("service", item.get("service")),
        instance=check_name("instance", item.get("instance")),
        zone=None if zone is None else check_name("zone", zone),
    )
    return OwnerInterval(
        owner,
        check_time("valid_from", item.get("valid_from")),
        check_time("valid_until", item.get("valid_until")),
    )


def first_overlap(ordered: Sequence[OwnerInterval]) -> tuple[int, int] | None:
    """Indexes of the first two intervals that overlap, given intervals sorted by start."""
    for index in range(1, len(ordered)):
        if ordered[index].start < ordered[index - 1].end:
            return index - 1, index
    return None
