"""Small builders for inventory records, so each test states only what it is about."""

from __future__ import annotations

from models.inventory_owner import OwnerInterval
from models.inventory_record import EntryKey, InventoryRecord
from models.topology import Owner

NOON = 1_714_564_800.0
"""2024-05-01T12:00:00Z, the hand-over time of the examples."""


def owner(service: str, instance: str | None = None, zone: str | None = "zone-a") -> Owner:
    return Owner(service, instance or f"{service}-1", zone)


def held(
    service: str, valid_from: float | None = None, valid_until: float | None = None
) -> OwnerInterval:
    return OwnerInterval(owner(service), valid_from, valid_until)


def entry(address: str, *intervals: OwnerInterval | str) -> InventoryRecord:
    """An owner entry of an address or block; a bare service name means owned forever."""
    return InventoryRecord(EntryKey.owner_of(address), _intervals(intervals))


def vip(address: str, port: int | None, *intervals: OwnerInterval | str) -> InventoryRecord:
    return InventoryRecord(EntryKey.vip(address, port), _intervals(intervals))


def _intervals(items: tuple[OwnerInterval | str, ...]) -> tuple[OwnerInterval, ...]:
    return tuple(held(i) if isinstance(i, str) else i for i in items)
