"""One inventory entry as it travels on the compacted inventory topic, and its codec.

The Kafka key names what the entry is about, in a canonical text form so that compaction keeps
exactly one record per address, block or VIP:

    10.0.1.10  2001:db8::10          one address
    10.0.2.0/24  2001:db8:2::/48      a CIDR block (a full-length prefix is written as an address)
    vip:10.0.100.1  vip:10.0.100.1:443  vip:[2001:db8::100]:443   a load-balancer VIP (any port,
                                                                   or one port)

The value is UTF-8 JSON ``{"v": 1, "owners": [...]}``: who owns the key, over which time
intervals (see :class:`~models.inventory_owner.OwnerInterval`). A missing value (a tombstone)
deletes the entry. A reader refuses versions it does not know rather than guess.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from models.errors import InventoryError
from models.inventory_owner import OwnerInterval, first_overlap, interval_from_json

VALUE_VERSION = 1
VIP_PREFIX = "vip:"


class EntryKind(StrEnum):
    """What an inventory entry covers."""

    ADDRESS = "address"
    """One address; the most specific entry there is."""
    NETWORK = "network"
    """A CIDR block; the longest block containing an address wins."""
    VIP = "vip"
    """A load-balancer virtual address: connections to it are connections to the owner."""


@dataclass(frozen=True, slots=True)
class EntryKey:
    """The canonical identity of an inventory entry (and its Kafka key)."""

    kind: EntryKind
    """Address, CIDR block or VIP."""
    target: str
    """Canonical address (``10.0.1.10``, ``2001:db8::10``) or block (``10.0.2.0/24``)."""
    port: int | None = None
    """The VIP's TCP port; None for a VIP on every port and for addresses and blocks."""

    @classmethod
    def owner_of(cls, text: str) -> EntryKey:
        """The key of an owner entry for an address or a CIDR block, in any valid spelling."""
        text = text.strip()
        try:
            if "/" not in text:
                return cls(EntryKind.ADDRESS, str(ipaddress.ip_address(text)))
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise InventoryError(
                f"address {text!r} is neither an IP address nor a CIDR block without host bits "
                f"({exc}); write e.g. 10.0.1.10, 10.0.2.0/24 or 2001:db8::/48"
            ) from exc
        if network.prefixlen == network.max_prefixlen:
            return cls(EntryKind.ADDRESS, str(network.network_address))
        return cls(EntryKind.NETWORK, str(network))

    @classmethod
    def vip(cls, address: str, port: int | None = None) -> EntryKey:
        """The key of a VIP declaration: one address, optionally one port."""
        try:
            canonical = str(ipaddress.ip_address(address.strip()))
        except ValueError as exc:
            raise InventoryError(
                f"VIP address {address!r} is not an IP address; a VIP is one address, not a block"
            ) from exc
        if port is not None and not 1 <= port <= 65535:
            raise InventoryError(f"VIP port {port} is outside 1..65535")
        return cls(EntryKind.VIP, canonical, port)

    def encode(self) -> str:
        """The Kafka key text."""
        if self.kind is not EntryKind.VIP:
            return self.target
        if self.port is None:
            return f"{VIP_PREFIX}{self.target}"
        if ":" in self.target:
            return f"{VIP_PREFIX}[{self.target}]:{self.port}"
        return f"{VIP_PREFIX}{self.target}:{self.port}"

    @classmethod
    def decode(cls, text: str) -> EntryKey:
        """Parse a Kafka key; only canonical keys are accepted, so compaction stays exact."""
        if text.startswith(VIP_PREFIX):
            key = cls.vip(*_split_vip(text, text[len(VIP_PREFIX) :]))
        else:
            key = cls.owner_of(text)
        if key.encode() != text:
            raise InventoryError(
                f"inventory key {text!r} is not canonical; it should read {key.encode()!r} "
                "(publish with `meeseeks inventory publish`, which writes canonical keys)"
            )
        return key


def _split_vip(key: str, rest: str) -> tuple[str, int | None]:
    address, port = rest, ""
    if rest.startswith("["):
        address, sep, port = rest[1:].partition("]:")
        if not sep:
            raise InventoryError(f"inventory key {key!r}: expected vip:[IPv6]:PORT")
    elif rest.count(":") == 1:
        address, _, port = rest.partition(":")
    if not port:
        return address, None
    if not port.isdigit():
        raise InventoryError(f"inventory key {key!r}: port {port!r} is not a number")
    return address, int(port)


@dataclass(frozen=True, slots=True)
class InventoryRecord:
    """One entry of the inventory topic: a key and its owners over time, or a deletion."""

    key: EntryKey
    """What the entry covers."""
    intervals: tuple[OwnerInterval, ...] | None
    """Owners ordered by ``valid_from``, never overlapping; None is a tombstone (delete)."""

    def __post_init__(self) -> None:
        if self.intervals is None:
            return
        if not self.intervals:
            raise InventoryError(
                f"{self.key.encode()}: an entry needs at least one owner; "
                "send a tombstone (no value) to delete it"
            )
        ordered = tuple(sorted(self.intervals, key=OwnerInterval.sort_key))
        object.__setattr__(self, "intervals", ordered)
        clash = first_overlap(ordered)
        if clash is not None:
            first, second = (ordered[i].describe() for i in clash)
            raise InventoryError(
                f"{self.key.encode()}: owners overlap in time ({first} and {second}); "
                "set valid_until/valid_from so that each moment has one owner"
            )

    @property
    def is_tombstone(self) -> bool:
        return self.intervals is None


def encode_record(record: InventoryRecord) -> tuple[bytes, bytes | None]:
    """The Kafka key and value of a record (value None for a tombstone)."""
    key = record.key.encode().encode()
    if record.intervals is None:
        return key, None
    value = {"v": VALUE_VERSION, "owners": [i.to_json() for i in record.intervals]}
    return key, json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def decode_record(key: bytes | str, value: bytes | str | None) -> InventoryRecord:
    """Rebuild a record from a Kafka key and value; a None value is a tombstone."""
    try:
        key_text = key.decode() if isinstance(key, bytes) else key
    except UnicodeDecodeError as exc:
        raise InventoryError(f"inventory key {key!r} is not UTF-8 text") from exc
    entry = EntryKey.decode(key_text)
    if value is None:
        return InventoryRecord(entry, None)
    document = _parse_value(key_text, value)
    owners = document["owners"]
    intervals = []
    for index, item in enumerate(owners):
        try:
            intervals.append(interval_from_json(item))
        except InventoryError as exc:
            raise InventoryError(f"inventory record {key_text!r}, owner {index}: {exc}") from exc
    try:
        return InventoryRecord(entry, tuple(intervals))
    except InventoryError as exc:
        raise InventoryError(f"inventory record {key_text!r}: {exc}") from exc


def _parse_value(key: str, value: bytes | str) -> dict[str, Any]:
    try:
        document = json.loads(value)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InventoryError(f"inventory record {key!r}: value is not UTF-8 JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise InventoryError(f"inventory record {key!r}: value must be a JSON object")
    version = document.get("v")
    if version != VALUE_VERSION or isinstance(version, bool):
        raise InventoryError(
            f"inventory record {key!r}: value version {version!r} is not {VALUE_VERSION}, the only "
            "one this Meeseeks reads; upgrade the worker or republish with this version"
        )
    if set(document) != {"v", "owners"}:
        raise InventoryError(
            f"inventory record {key!r}: expected exactly the fields 'v' and 'owners', "
            f"got {sorted(document)}"
        )
    if not isinstance(document["owners"], list):
        raise InventoryError(f"inventory record {key!r}: 'owners' must be a JSON list")
    return document
