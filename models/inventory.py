"""The inventory: who owns an address at a given time, looked up once per connection event.

Lookups run at hundreds of thousands of events a second, so every address string is resolved
once into the time lines of all entries that contain it, most specific first (its exact entry,
then its CIDR blocks from the longest prefix down, plus its VIP declarations), and that
resolution is kept in a bounded cache. What remains per event is a dict hit and a bisect.

A less specific entry answers only when the more specific ones have no owner at the event's
time: a /24 handed to a new service at noon leaves the enclosing /16 in charge before noon.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import socket
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from models.inventory_owner import OwnerInterval
from models.inventory_record import EntryKey, EntryKind, InventoryRecord
from models.topology import Owner

__all__ = ["Inventory", "OwnerInterval", "Timeline"]

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 200_000
"""Resolved addresses kept; past it the cache starts over (cheaper than LRU bookkeeping)."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """The owner intervals of one entry, laid out for a bisect on the event time."""

    starts: tuple[float, ...]
    """Interval starts in order, -inf for since-always."""
    ends: tuple[float, ...]
    """Interval ends (exclusive), +inf for open-ended."""
    owners: tuple[Owner, ...]
    """Owner of each interval."""

    @classmethod
    def of(cls, intervals: Iterable[OwnerInterval]) -> Timeline:
        ordered = list(intervals)
        return cls(
            tuple(i.start for i in ordered),
            tuple(i.end for i in ordered),
            tuple(i.owner for i in ordered),
        )

    def at(self, ts: float) -> Owner | None:
        index = bisect_right(self.starts, ts) - 1
        if index >= 0 and ts < self.ends[index]:
            return self.owners[index]
        return None


@dataclass(frozen=True, slots=True)
class _Resolution:
    """Every entry that can answer for one address string."""

    owners: tuple[Timeline, ...]
    """Exact entry, then enclosing CIDR blocks from the longest prefix down."""
    vips: dict[int | None, Timeline] | None
    """VIP declarations of the address by port (None: any port), or None when it is no VIP."""
    timeless: bool
    """True when the owner does not depend on the time (the common case): see ``owner``."""
    owner: Owner | None
    """The owner at every time when ``timeless``."""

    @classmethod
    def of(
        cls, owners: tuple[Timeline, ...], vips: dict[int | None, Timeline] | None
    ) -> _Resolution:
        if not owners:
            return cls(owners, vips, True, None)
        first = owners[0]
        if len(first.owners) == 1 and first.starts[0] == -math.inf and first.ends[0] == math.inf:
            return cls(owners, vips, True, first.owners[0])
        return cls(owners, vips, False, None)

    def owner_at(self, ts: float) -> Owner | None:
        if self.timeless:
            return self.owner
        for timeline in self.owners:
            owner = timeline.at(ts)
            if owner is not None:
                return owner
        return None


_NOWHERE = _Resolution.of((), None)


class Inventory:
    """Address ownership over time, built from inventory records and kept current by them."""

    def __init__(
        self, records: Iterable[InventoryRecord] = (), *, cache_size: int = DEFAULT_CACHE_SIZE
    ) -> None:
        self._entries: dict[EntryKey, InventoryRecord] = {}
        self._exact: dict[str, Timeline] = {}
        # per IP version: prefix length -> network address as int -> time line
        self._blocks: dict[int, dict[int, dict[int, Timeline]]] = {4: {}, 6: {}}
        self._prefixes: dict[int, list[int]] = {4: [], 6: []}
        self._vips: dict[str, dict[int | None, Timeline]] = {}
        self._resolved: dict[str, _Resolution] = {}
        # service -> instance -> owner intervals naming it (addresses and blocks, not VIPs)
        self._instances: dict[str, Counter[str]] = {}
        self._cache_size = max(1, cache_size)
        for record in records:
            self.apply(record)

    def apply(self, record: InventoryRecord) -> None:
        """Add, replace or (for a tombstone) delete the entry of ``record.key``."""
        key = record.key
        self._resolved.clear()
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._count_instances(previous, -1)
        if record.intervals is None:
            if previous is not None:
                self._unindex(key)
            return
        self._entries[key] = record
        self._count_instances(record, +1)
        timeline = Timeline.of(record.intervals)
        if key.kind is EntryKind.ADDRESS:
            self._exact[key.target] = timeline
        elif key.kind is EntryKind.VIP:
            self._vips.setdefault(key.target, {})[key.port] = timeline
        else:
            network = ipaddress.ip_network(key.target)
            by_prefix = self._blocks[network.version]
            if network.prefixlen not in by_prefix:
                by_prefix[network.prefixlen] = {}
                self._prefixes[network.version] = sorted(by_prefix, reverse=True)
            by_prefix[network.prefixlen][int(network.network_address)] = timeline

    def _unindex(self, key: EntryKey) -> None:
        if key.kind is EntryKind.ADDRESS:
            del self._exact[key.target]
        elif key.kind is EntryKind.VIP:
            ports = self._vips[key.target]
            del ports[key.port]
            if not ports:
                del self._vips[key.target]
        else:
            network = ipaddress.ip_network(key.target)
            by_prefix = self._blocks[network.version]
            blocks = by_prefix[network.prefixlen]
            del blocks[int(network.network_address)]
            if not blocks:
                del by_prefix[network.prefixlen]
                self._prefixes[network.version] = sorted(by_prefix, reverse=True)

    def _count_instances(self, record: InventoryRecord, step: int) -> None:
        if record.key.kind is EntryKind.VIP:
            return
        for interval in record.intervals or ():
            service, instance = interval.owner.service, interval.owner.instance
            counts = self._instances.setdefault(service, Counter())
            counts[instance] += step
            if counts[instance] <= 0:
                del counts[instance]
                if not counts:
                    del self._instances[service]

    def instance_count(self, service: str) -> int:
        """Distinct instances the inventory names for ``service`` at any time (VIPs aside)."""
        counts = self._instances.get(service)
        return 0 if counts is None else len(counts)

    def entries(self) -> list[InventoryRecord]:
        """Every live entry, in key order: what a publisher writes and a comparison reads."""
        return sorted(self._entries.values(), key=lambda r: r.key.encode())

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Inventory):
            return NotImplemented
        return self._entries == other._entries

    __hash__ = None  # type: ignore[assignment]  # mutable

    def owner_at(self, address: str, ts: float) -> Owner | None:
        """Who owned ``address`` at ``ts``: its most specific entry with an owner then."""
        resolution = self._resolved.get(address) or self._resolve(address)
        if resolution.timeless:
            return resolution.owner
        return resolution.owner_at(ts)

    def server_at(self, address: str, port: int, ts: float) -> Owner | None:
        """Like :meth:`owner_at` for a server, where a VIP stands for the service behind it.

        A VIP declared for ``port`` wins over one declared for every port, which wins over
        the address's own owner.
        """
        resolution = self._resolved.get(address) or self._resolve(address)
        vips = resolution.vips
        if vips is not None:
            for vip_port in (port, None):
                timeline = vips.get(vip_port)
                if timeline is not None:
                    owner = timeline.at(ts)
                    if owner is not None:
                        return owner
        if resolution.timeless:
            return resolution.owner
        return resolution.owner_at(ts)

    def _resolve(self, address: str) -> _Resolution:
        """Resolve an address missing from the cache, and cache it."""
        resolution = self._resolve_uncached(address)
        if len(self._resolved) >= self._cache_size:
            self._resolved.clear()
        self._resolved[address] = resolution
        return resolution

    def _resolve_uncached(self, address: str) -> _Resolution:
        parsed = _parse_address(address)
        if parsed is None:
            logger.debug("%r is not an IP address; it stays unattributed", address)
            return _NOWHERE
        canonical, number, version = parsed
        found: list[Timeline] = []
        exact = self._exact.get(canonical)
        if exact is not None:
            found.append(exact)
        width = 32 if version == 4 else 128
        for prefix in self._prefixes[version]:
            mask = ((1 << prefix) - 1) << (width - prefix)
            block = self._blocks[version][prefix].get(number & mask)
            if block is not None:
                found.append(block)
        vips = self._vips.get(canonical)
        if not found and vips is None:
            return _NOWHERE
        return _Resolution.of(tuple(found), vips)


def _parse_address(address: str) -> tuple[str, int, int] | None:
    """(canonical text, number, IP version) of an address, or None when it is not one.

    Dotted-quad IPv4, nearly every address a stream sees, goes through inet_pton, which is
    several times cheaper than ``ipaddress`` and refuses what ``ipaddress`` refuses (leading
    zeros, fewer than four parts); the rest through ``ipaddress``.
    """
    try:
        packed = socket.inet_pton(socket.AF_INET, address)
    except (OSError, ValueError):
        pass
    else:
        return socket.inet_ntop(socket.AF_INET, packed), int.from_bytes(packed, "big"), 4
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    return str(parsed), int(parsed), parsed.version
