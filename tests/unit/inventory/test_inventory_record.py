"""The inventory topic's record: canonical keys, versioned JSON values, tombstones, bad input."""

from __future__ import annotations

import json
import re

import pytest

from models.errors import InventoryError
from models.inventory_owner import OwnerInterval
from models.inventory_record import (
    EntryKey,
    EntryKind,
    InventoryRecord,
    decode_record,
    encode_record,
)
from models.topology import Owner

from .conftest import NOON, entry, held, owner, vip


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (EntryKey.owner_of("10.0.1.10"), "10.0.1.10"),
        (EntryKey.owner_of(" 10.0.2.0/24 "), "10.0.2.0/24"),
        (EntryKey.owner_of("2001:DB8:0:0::10"), "2001:db8::10"),
        (EntryKey.owner_of("2001:db8:2::/48"), "2001:db8:2::/48"),
        (EntryKey.owner_of("2001:db8::1/128"), "2001:db8::1"),
        (EntryKey.vip("10.0.100.1"), "vip:10.0.100.1"),
        (EntryKey.vip("10.0.100.1", 443), "vip:10.0.100.1:443"),
        (EntryKey.vip("2001:db8::100"), "vip:2001:db8::100"),
        (EntryKey.vip("2001:db8::100", 443), "vip:[2001:db8::100]:443"),
    ],
)
def test_keys_encode_canonically_and_decode_back(key: EntryKey, text: str) -> None:
    assert key.encode() == text
    assert EntryKey.decode(text) == key


def test_key_kinds() -> None:
    assert EntryKey.owner_of("10.0.0.1").kind is EntryKind.ADDRESS
    assert EntryKey.owner_of("10.0.0.0/31").kind is EntryKind.NETWORK
    assert EntryKey.vip("10.0.0.1", 80) == EntryKey(EntryKind.VIP, "10.0.0.1", 80)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("010.0.0.1", "is neither an IP address nor a CIDR block"),
        ("10.0.0.1/24", "is neither an IP address nor a CIDR block without host bits"),
        ("2001:DB8::1", "is not canonical; it should read '2001:db8::1'"),
        ("10.0.0.1/32", "is not canonical; it should read '10.0.0.1'"),
        ("vip:10.0.0.0/24", "VIP address '10.0.0.0/24' is not an IP address"),
        ("vip:10.0.0.1:http", "port 'http' is not a number"),
        ("vip:10.0.0.1:0", "VIP port 0 is outside 1..65535"),
        ("vip:10.0.0.1:70000", "VIP port 70000 is outside 1..65535"),
        ("vip:[2001:db8::1]", "expected vip:[IPv6]:PORT"),
        ("vip:10.0.0.1:0443", "is not canonical; it should read 'vip:10.0.0.1:443'"),
        ("orders", "is neither an IP address nor a CIDR block"),
    ],
)
def test_bad_keys_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(InventoryError, match=message.replace("[", r"\[").replace("]", r"\]")):
        EntryKey.decode(text)


@pytest.mark.parametrize(
    "record",
    [
        entry("10.0.1.10", "orders"),
        entry("10.0.3.0/24", held("payments", valid_until=NOON), held("checkout", NOON, NOON + 60)),
        entry("2001:db8::/32", OwnerInterval(Owner("dc", "dc-6", None))),
        vip("2001:db8::100", 443, "search"),
        InventoryRecord(EntryKey.vip("10.0.100.1"), None),
    ],
)
def test_records_round_trip(record: InventoryRecord) -> None:
    key, value = encode_record(record)
    assert decode_record(key, value) == record
    assert decode_record(key.decode(), None if value is None else value.decode()) == record


def test_the_value_is_versioned_json() -> None:
    key, value = encode_record(entry("10.0.1.20", held("payments", valid_until=NOON)))
    assert key == b"10.0.1.20"
    assert value is not None
    assert json.loads(value) == {
        "v": 1,
        "owners": [
            {
                "service": "payments",
                "instance": "payments-1",
                "zone": "zone-a",
                "valid_from": None,
                "valid_until": NOON,
            }
        ],
    }


def test_a_tombstone_has_no_value() -> None:
    record = InventoryRecord(EntryKey.owner_of("10.0.0.1"), None)
    assert record.is_tombstone
    assert encode_record(record) == (b"10.0.0.1", None)


def test_owners_are_kept_in_time_order() -> None:
    later, earlier = held("b", valid_from=NOON), held("a", valid_until=NOON)
    assert entry("10.0.0.1", later, earlier).intervals == (earlier, later)


def value(owners: object, **extra: object) -> bytes:
    return json.dumps({"v": 1, "owners": owners, **extra}).encode()


GOOD_OWNER = {"service": "orders", "instance": "orders-1"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"owners": []}', "value version None is not 1"),
        (json.dumps({"v": 2, "owners": [GOOD_OWNER]}).encode(), "value version 2 is not 1"),
        (json.dumps({"v": "1", "owners": [GOOD_OWNER]}).encode(), "value version '1' is not 1"),
        (json.dumps({"v": True, "owners": [GOOD_OWNER]}).encode(), "value version True is not 1"),
        (b"\xff\xfe", "value is not UTF-8 JSON"),
        (b"{not json", "value is not UTF-8 JSON"),
        (b"[1]", "value must be a JSON object"),
        (value([GOOD_OWNER], extra=1), "expected exactly the fields 'v' and 'owners'"),
        (value({"a": 1}), "'owners' must be a JSON list"),
        (value([]), "an entry needs at least one owner; send a tombstone"),
        (value(["orders"]), "owner 0: an owner must be a JSON object"),
        (value([{**GOOD_OWNER, "team": "x"}]), r"owner 0: unknown owner fields \['team'\]"),
        (value([{"service": "orders"}]), "owner 0: instance must be a non-empty text"),
        (value([{**GOOD_OWNER, "service": "a|b"}]), "service 'a|b' contains '|'"),
        (value([{**GOOD_OWNER, "zone": "a\nb"}]), "zone 'a\\\\nb' contains the control"),
        (value([{**GOOD_OWNER, "valid_from": "noon"}]), "valid_from must be epoch seconds"),
        (value([{**GOOD_OWNER, "valid_from": 5, "valid_until": 5}]), "is not after valid_from"),
        (
            value([GOOD_OWNER, {**GOOD_OWNER, "valid_from": 10}]),
            r"owners overlap in time \(orders/orders-1 \[always, open\) and",
        ),
    ],
)
def test_bad_values_are_refused_with_the_reason(raw: bytes, message: str) -> None:
    with pytest.raises(InventoryError, match=message) as caught:
        decode_record(b"10.0.0.1", raw)
    assert "10.0.0.1" in str(caught.value)


def test_a_key_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(InventoryError, match="is not UTF-8"):
        decode_record(b"\xff", None)


@pytest.mark.parametrize(
    ("service", "message"),
    [
        ("", "service must be a non-empty text"),
        ("orders|v2", "contains '|'"),
        ("orders\t", "control or invisible character U\\+0009"),
        ("or\u200bders", "U\\+200B"),
        (" orders", "starts or ends with spaces"),
        ("unattributed:10.0.0.1", "reserves for its own nodes"),
        ("cluster:redis", "reserves for its own nodes"),
    ],
)
def test_names_that_would_break_edge_keys_are_refused(service: str, message: str) -> None:
    with pytest.raises(InventoryError, match=message):
        OwnerInterval(Owner(service, "i-1", None))


def test_instances_and_zones_are_checked_too() -> None:
    with pytest.raises(InventoryError, match=re.escape("instance 'a|b'")):
        OwnerInterval(Owner("orders", "a|b", None))
    with pytest.raises(InventoryError, match="zone '\\\\x00'"):
        OwnerInterval(owner("orders", zone="\x00"))
    with pytest.raises(InventoryError, match="valid_until must be epoch seconds"):
        OwnerInterval(owner("orders"), None, float("inf"))
