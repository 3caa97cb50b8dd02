"""Rows of an inventory file (YAML item or CSV line) turned into inventory records.

Both file formats come down to the same rows with the same field names, so the rules live
here once, and every error names the file, the line and the field to fix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from models.errors import InventoryError
from models.inventory_owner import OwnerInterval, check_name, first_overlap
from models.inventory_record import EntryKey, InventoryRecord
from models.topology import Owner

OWNER_FIELDS = ("address", "service", "instance", "zone", "valid_from", "valid_until")
VIP_FIELDS = (*OWNER_FIELDS, "port")
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One declaration read from an inventory file, before validation."""

    where: str
    """File and line, for error messages: ``config/inventory.csv line 7``."""
    is_vip: bool
    """A VIP declaration (else an owner of addresses or blocks)."""
    fields: Mapping[str, object]
    """Field values as the file gave them; empty CSV cells are absent."""


def records_from_rows(rows: Iterable[SourceRow]) -> list[InventoryRecord]:
    """Validate every row and merge rows of one key into one record, ordered by key."""
    by_key: dict[EntryKey, list[tuple[OwnerInterval, str]]] = {}
    for row in rows:
        for key, interval in row_entries(row):
            by_key.setdefault(key, []).append((interval, row.where))
    records = []
    for key, located in by_key.items():
        located.sort(key=lambda pair: pair[0].sort_key())
        intervals = tuple(interval for interval, _ in located)
        clash = first_overlap(intervals)
        if clash is not None:
            (first, first_where), (second, second_where) = (located[i] for i in clash)
            raise InventoryError(
                f"{key.encode()} has two owners at the same time: {first.describe()} "
                f"({first_where}) and {second.describe()} ({second_where}); give them "
                "valid_until/valid_from times that do not overlap"
            )
        records.append(InventoryRecord(key, intervals))
    return sorted(records, key=lambda r: r.key.encode())


def row_entries(row: SourceRow) -> list[tuple[EntryKey, OwnerInterval]]:
    """The keys a row declares (several when a YAML item lists ``addresses``) and its owner."""
    allowed = VIP_FIELDS if row.is_vip else OWNER_FIELDS
    extra = sorted(set(row.fields) - set(allowed) - {"addresses"})
    if extra:
        hint = " (only VIPs have a port)" if extra == ["port"] else ""
        raise InventoryError(
            f"{row.where}: unknown field {', '.join(extra)}{hint}; allowed: {', '.join(allowed)}"
        )
    keys = [_key(row, address) for address in _addresses(row)]
    service = _field(row, "service", lambda v: check_name("service", v))
    instance_value = row.fields.get("instance")
    if row.is_vip and instance_value is None:
        instance = keys[0].encode()
    else:
        instance = _field(row, "instance", lambda v: check_name("instance", v))
    zone_value = row.fields.get("zone")
    zone = None if zone_value is None else _field(row, "zone", lambda v: check_name("zone", v))
    valid_from = _field(row, "valid_from", parse_time)
    valid_until = _field(row, "valid_until", parse_time)
    try:
        interval = OwnerInterval(Owner(service, instance, zone), valid_from, valid_until)
    except InventoryError as exc:
        raise InventoryError(f"{row.where}: {exc}") from exc
    return [(key, interval) for key in keys]


def _addresses(row: SourceRow) -> list[object]:
    single, several = row.fields.get("address"), row.fields.get("addresses")
    if (single is None) == (several is None):
        raise InventoryError(
            f"{row.where}: give exactly one of address (one address or CIDR block) "
            "and addresses (a list of them)"
        )
    if single is not None:
        return [single]
    if row.is_vip or not isinstance(several, list) or not several:
        raise InventoryError(
            f"{row.where}, field addresses: expected a non-empty list of addresses or blocks"
            + (" (a VIP takes one address)" if row.is_vip else "")
        )
    return several


def _key(row: SourceRow, address: object) -> EntryKey:
    field = "address"
    try:
        if not isinstance(address, str):
            raise InventoryError(
                f"expected an address text, got {address!r} (quote addresses in YAML)"
            )
        if not row.is_vip:
            return EntryKey.owner_of(address)
        field = "port"
        port = row.fields.get("port")
        if port is not None:
            port = _port(port)
        field = "address"
        return EntryKey.vip(address, port)
    except InventoryError as exc:
        raise InventoryError(f"{row.where}, field {field}: {exc}") from exc


def _port(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise InventoryError(f"expected a TCP port 1..65535, got {value!r}")
    return value


def _field(row: SourceRow, name: str, convert: Callable[[object], _T]) -> _T:
    try:
        return convert(row.fields.get(name))
    except InventoryError as exc:
        raise InventoryError(f"{row.where}, field {name}: {exc}") from exc


def parse_time(value: object) -> float | None:
    """Epoch seconds from a number, a numeric text or an ISO-8601 time with a UTC offset."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text):
            value = float(text)
        else:
            try:
                value = datetime.fromisoformat(text)
            except ValueError as exc:
                raise InventoryError(
                    f"{value!r} is neither epoch seconds nor an ISO-8601 time "
                    "such as 2024-05-01T12:00:00Z"
                ) from exc
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InventoryError(
                f"{value.isoformat()} has no UTC offset; add Z or +HH:MM so the time is not "
                "read in some host's local zone"
            )
        return value.timestamp()
    if isinstance(value, date):
        raise InventoryError(
            f"{value} is a date; give a time with a UTC offset, e.g. {value}T00:00Z"
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InventoryError(f"expected epoch seconds or an ISO-8601 time, got {value!r}")
    return float(value)
