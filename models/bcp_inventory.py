"""Instances per zone from the inventory: what the planner scales and the zone checks judge.

Counted from the owner entries (addresses and blocks; a VIP stands for a service, it is no
instance), as distinct instance names per service and zone among the owners valid at the
time asked (at any time when none is given). An owner without a zone counts nowhere: the
inventory does not say where it would fail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from models.inventory_record import EntryKind, InventoryRecord


def zone_instances(
    records: Iterable[InventoryRecord], at: float | None = None
) -> dict[str, dict[str, int]]:
    """Service to zone to the number of distinct instances there."""
    seen: defaultdict[str, defaultdict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in records:
        if record.key.kind is EntryKind.VIP or record.intervals is None:
            continue
        for interval in record.intervals:
            owner = interval.owner
            if owner.zone is None or (at is not None and not interval.covers(at)):
                continue
            seen[owner.service][owner.zone].add(owner.instance)
    return {
        service: {zone: len(names) for zone, names in sorted(zones.items())}
        for service, zones in sorted(seen.items())
    }


def member_zones(members: Iterable[str], zone_of: Callable[[str], str | None]) -> dict[str, int]:
    """Data-store cluster members (addresses) per zone; members of no known zone left out."""
    counts: defaultdict[str, int] = defaultdict(int)
    for member in members:
        zone = zone_of(member)
        if zone is not None:
            counts[zone] += 1
    return dict(sorted(counts.items()))


def summed_zones(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Instances per zone of several nodes together."""
    counts: defaultdict[str, int] = defaultdict(int)
    for part in parts:
        for zone, count in part.items():
            counts[zone] += count
    return dict(sorted(counts.items()))
