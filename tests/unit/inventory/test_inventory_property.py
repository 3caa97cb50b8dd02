"""Property: the indexed lookup agrees with a plain scan over every entry, through live updates."""

from __future__ import annotations

import ipaddress
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from models.inventory import Inventory
from models.inventory_owner import OwnerInterval
from models.inventory_record import (
    EntryKey,
    EntryKind,
    InventoryRecord,
    decode_record,
    encode_record,
)
from models.topology import Owner

V4_BASE = int(ipaddress.IPv4Address("10.0.0.0"))
V6_BASE = int(ipaddress.IPv6Address("2001:db8::"))
TIMES = st.integers(0, 40).map(float)

# A small address space (256 addresses per family, the first 8 drawn most) so that blocks nest,
# and VIPs, entries and queries land on the same addresses often.
offsets = st.integers(0, 7) | st.integers(0, 255)
v4_addresses = offsets.map(lambda n: str(ipaddress.IPv4Address(V4_BASE + n)))
v6_addresses = offsets.map(lambda n: str(ipaddress.IPv6Address(V6_BASE + n)))
addresses = st.one_of(v4_addresses, v6_addresses)
owners = st.builds(
    Owner,
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(["1", "2"]),
    st.sampled_from([None, "z1", "z2"]),
)


@st.composite
def owner_keys(draw: st.DrawFn) -> EntryKey:
    address = ipaddress.ip_address(draw(addresses))
    spare_bits = draw(st.integers(0, 8))
    prefix = address.max_prefixlen - spare_bits
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return EntryKey.owner_of(str(network))


# VIPs on four addresses only, so that one address often has a VIP per port and one for all.
vip_addresses = st.integers(0, 1).flatmap(
    lambda n: st.sampled_from(
        [str(ipaddress.IPv4Address(V4_BASE + n)), str(ipaddress.IPv6Address(V6_BASE + n))]
    )
)
vip_keys = st.builds(EntryKey.vip, vip_addresses, st.sampled_from([None, 80, 443]))


@st.composite
def timelines(draw: st.DrawFn) -> tuple[OwnerInterval, ...]:
    cuts = sorted(set(draw(st.lists(TIMES, max_size=4))))
    bounds: list[float | None] = [None, *cuts, None]
    kept = [
        OwnerInterval(draw(owners), start, end)
        for start, end in itertools.pairwise(bounds)
        if draw(st.booleans())
    ]
    return tuple(kept) or (OwnerInterval(draw(owners)),)


records = st.builds(InventoryRecord, st.one_of(owner_keys(), vip_keys), timelines())
updates = st.lists(
    st.one_of(records, st.builds(InventoryRecord, st.one_of(owner_keys(), vip_keys), st.none())),
    max_size=30,
)


def scan(entries: list[InventoryRecord], address: str, ts: float, port: int | None) -> Owner | None:
    """The answer by definition: a VIP of the port, a VIP of every port, the longest prefix."""
    parsed = ipaddress.ip_address(address)
    if port is not None:
        for wanted in (port, None):
            for record in entries:
                if record.key == EntryKey(EntryKind.VIP, str(parsed), wanted):
                    for interval in record.intervals or ():
                        if interval.covers(ts):
                            return interval.owner
    best: tuple[int, Owner] | None = None
    for record in entries:
        if record.key.kind is EntryKind.VIP:
            continue
        network = ipaddress.ip_network(record.key.target)
        if network.version != parsed.version or parsed not in network:
            continue
        for interval in record.intervals or ():
            if interval.covers(ts) and (best is None or network.prefixlen > best[0]):
                best = (network.prefixlen, interval.owner)
    return None if best is None else best[1]


def query_address(data: st.DataObject, entries: list[InventoryRecord]) -> str:
    """An address of an entry (a VIP, an address, or one inside a block), or any address."""
    if not entries or data.draw(st.booleans()):
        return data.draw(addresses)
    key = data.draw(st.sampled_from(entries)).key
    network = ipaddress.ip_network(key.target)
    return str(network.network_address + data.draw(st.integers(0, network.num_addresses - 1)))


@settings(max_examples=300, deadline=None)
@given(updates, st.data())
def test_lookup_equals_a_scan_of_all_entries(
    applied: list[InventoryRecord], data: st.DataObject
) -> None:
    inventory = Inventory(cache_size=8)
    live: dict[EntryKey, InventoryRecord] = {}
    for record in applied:
        inventory.apply(record)
        if record.intervals is None:
            live.pop(record.key, None)
        else:
            live[record.key] = record
        if data.draw(st.booleans()):  # lookups between updates exercise cache invalidation
            address, ts = query_address(data, list(live.values())), data.draw(TIMES)
            assert inventory.owner_at(address, ts) == scan(list(live.values()), address, ts, None)
    entries = list(live.values())
    assert inventory.entries() == sorted(entries, key=lambda r: r.key.encode())
    for service in ("a", "b", "c", "d"):
        named = {
            interval.owner.instance
            for record in entries
            if record.key.kind is not EntryKind.VIP
            for interval in record.intervals or ()
            if interval.owner.service == service
        }
        assert inventory.instance_count(service) == len(named)
    for _ in range(data.draw(st.integers(1, 20))):
        address = query_address(data, entries)
        ts = data.draw(TIMES | st.floats(-1, 41))
        port = data.draw(st.sampled_from([80, 443, 8080]))
        assert inventory.owner_at(address, ts) == scan(entries, address, ts, None)
        assert inventory.server_at(address, port, ts) == scan(entries, address, ts, port)


@given(st.one_of(records, st.builds(InventoryRecord, vip_keys, st.none())))
def test_every_record_survives_the_codec(record: InventoryRecord) -> None:
    assert decode_record(*encode_record(record)) == record
