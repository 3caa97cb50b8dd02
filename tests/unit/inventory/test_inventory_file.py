"""Inventory files: the shipped examples, both formats, and errors that name file, line, field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.inventory_file import load_inventory_file
from config.inventory_rows import parse_time
from models.errors import InventoryError
from models.inventory import Inventory
from models.topology import Owner

from .conftest import NOON

CONFIG = Path(__file__).resolve().parents[3] / "config"
EXAMPLE_YAML = CONFIG / "inventory.example.yaml"
EXAMPLE_CSV = CONFIG / "inventory.example.csv"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_examples_declare_the_same_inventory() -> None:
    from_yaml, from_csv = load_inventory_file(EXAMPLE_YAML), load_inventory_file(EXAMPLE_CSV)
    assert from_yaml == from_csv
    inventory = Inventory(from_yaml)
    assert inventory.owner_at("10.0.1.20", NOON - 1) == Owner(
        "payments", "payments-1", "eu-west-1a"
    )
    assert inventory.owner_at("10.0.1.20", NOON) == Owner("checkout", "checkout-1", "eu-west-1a")
    assert inventory.owner_at("10.0.3.77", NOON).service == "payments"  # type: ignore[union-attr]
    assert inventory.owner_at("2001:db8:1::10", NOON).instance == "orders-1"  # type: ignore[union-attr]
    assert inventory.server_at("10.0.100.1", 443, NOON) == Owner(
        "orders", "vip:10.0.100.1:443", "eu-west-1a"
    )
    assert inventory.server_at("10.0.100.1", 80, NOON) is None
    assert inventory.server_at("10.0.100.2", 80, NOON) == Owner("payments", "vip:10.0.100.2", None)
    zones = {i.owner.zone for r in from_yaml for i in r.intervals or ()}
    assert zones == {"eu-west-1a", "eu-west-1b", None}


def test_yaml_addresses_lists_and_times(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "inv.yml",
        "owners:\n"
        "  - addresses: [10.0.0.1, '2001:db8::1']\n"
        "    service: a\n"
        "    instance: a-1\n"
        "    valid_from: 2024-05-01T12:00:00Z\n"
        "    valid_until: 1714568400\n"
        "vips:\n"
        "  - {address: 10.0.0.9, port: 443, service: a, instance: lb-1, zone: z}\n",
    )
    records = load_inventory_file(path)
    assert [r.key.encode() for r in records] == ["10.0.0.1", "2001:db8::1", "vip:10.0.0.9:443"]
    interval = records[0].intervals[0]  # type: ignore[index]
    assert (interval.valid_from, interval.valid_until) == (NOON, NOON + 3600)
    assert records[2].intervals[0].owner == Owner("a", "lb-1", "z")  # type: ignore[index]


def test_csv_without_optional_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "inv.csv", "address,service,instance\n10.0.0.1,a,a-1\n")
    assert load_inventory_file(path)[0].intervals[0].owner == Owner("a", "a-1", None)  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (1714564800, NOON),
        (1714564800.5, NOON + 0.5),
        ("1714564800", NOON),
        ("2024-05-01T12:00:00Z", NOON),
        ("2024-05-01T14:00:00+02:00", NOON),
        (datetime(2024, 5, 1, 12, tzinfo=UTC), NOON),
    ],
)
def test_times(value: object, expected: float | None) -> None:
    assert parse_time(value) == expected


YAML_CASES = [
    ("owners: [", "not valid YAML"),
    ("- 1\n", "expected a mapping with the lists owners and vips"),
    ("owner: []\n", "unknown section owner; allowed: owners, vips"),
    ("owners: {a: 1}\n", "section owners: expected a list of mappings"),
    ("owners:\n  - 10.0.0.1\n", "section owners: expected a mapping per entry"),
    (
        "owners:\n  - address: 10.0.0.1\n    service: a\n    service: b\n    instance: i\n",
        "inv.yaml line 4: 'service' is given twice",
    ),
    (
        "owners:\n  - {address: 10.0.0.1, service: a, instance: i}\n"
        "  - {address: 10.0.0.300, service: b, instance: i}\n",
        "inv.yaml line 3, field address: address '10.0.0.300' is neither",
    ),
    (
        "owners:\n  - {address: 10.0.0.1, service: a, instance: i, port: 80}\n",
        r"inv.yaml line 2: unknown field port \(only VIPs have a port\)",
    ),
    (
        "owners:\n  - {address: 10.0.0.1, service: a, instance: i, team: x}\n",
        "inv.yaml line 2: unknown field team; allowed: address, service",
    ),
    (
        "owners:\n  - {service: a, instance: i}\n",
        "inv.yaml line 2: give exactly one of address",
    ),
    (
        "owners:\n  - {address: 10.0.0.1, addresses: [10.0.0.2], service: a, instance: i}\n",
        "inv.yaml line 2: give exactly one of address",
    ),
    (
        "owners:\n  - {addresses: [], service: a, instance: i}\n",
        "inv.yaml line 2, field addresses: expected a non-empty list",
    ),
    (
        "vips:\n  - {addresses: [10.0.0.1], service: a}\n",
        r"field addresses: expected a non-empty list of addresses or blocks \(a VIP takes one",
    ),
    ("owners:\n  - {address: 10.0.0.1, service: a}\n", "line 2, field instance: instance must"),
    (
        "owners:\n  - {address: 10.0.0.1, service: 'a|b', instance: i}\n",
        "line 2, field service: service 'a|b' contains '|'",
    ),
    (
        "owners:\n  - {address: 10.0.0.1, service: a, instance: i, valid_from: 2024-05-01}\n",
        "line 2, field valid_from: 2024-05-01 is a date; give a time with a UTC offset",
    ),
    (
        "owners:\n  - {address: 10.0.0.1, service: a, instance: i,"
        " valid_from: '2024-05-01T12:00:00'}\n",
        "line 2, field valid_from: 2024-05-01T12:00:00 has no UTC offset",
    ),
    (
        "owners:\n  - {address: 10.0.0.1, service: a, instance: i, valid_until: yes}\n",
        "line 2, field valid_until: expected epoch seconds or an ISO-8601 time, got True",
    ),
    (
        "owners:\n  - {address: 10.0.0.1, service: a, instance: i, valid_from: 5,"
        " valid_until: 1}\n",
        "line 2: valid_until 1970-01-01T00:00:01Z is not after valid_from",
    ),
    (
        "vips:\n  - {address: 10.0.0.1, port: 99999, service: a}\n",
        "line 2, field port: expected a TCP port 1..65535, got 99999",
    ),
    (
        "vips:\n  - {address: 10.0.0.0/24, service: a}\n",
        "line 2, field address: VIP address '10.0.0.0/24' is not an IP address",
    ),
    (
        "owners:\n  - {address: 10.0.0.0/24, service: a, instance: i}\n"
        "  - {address: 10.0.0.0/24, service: b, instance: j, valid_from: 100}\n",
        r"10.0.0.0/24 has two owners at the same time: a/i \[always, open\) \(.*inv.yaml line 2\) "
        r"and b/j \[1970-01-01T00:01:40Z, open\) \(.*inv.yaml line 3\)",
    ),
]


@pytest.mark.parametrize(("text", "message"), YAML_CASES)
def test_bad_yaml_files(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "inv.yaml", text)
    with pytest.raises(InventoryError, match=message) as caught:
        load_inventory_file(path)
    assert str(path) in str(caught.value)


HEADER = "kind,address,port,service,instance,zone,valid_from,valid_until\n"
CSV_CASES = [
    ("", "empty; the first line must be a header"),
    ("# only a comment\n", "empty; the first line must be a header"),
    ("address,service,team\n", "inv.csv line 1: unknown column 'team' in the header"),
    ("address,service,address\n", "inv.csv line 1: column address appears twice"),
    ("address,instance\n", "inv.csv line 1: the header lacks the column service"),
    (HEADER + "owner,10.0.0.1,,a\n", "inv.csv line 2: 4 cells but the header has 8 columns"),
    (HEADER + "host,10.0.0.1,,a,i,,,\n", "inv.csv line 2, field kind: 'host' is neither"),
    (HEADER + "\n# note\nowner,10.0.0.1,80,a,i,,,\n", "inv.csv line 4: unknown field port"),
    (HEADER + "owner,10.0.0.1,,a,i,z\x07,,\n", "inv.csv line 2, field zone: zone 'z\\\\x07'"),
    (HEADER + "vip,10.0.0.1,https,a,,,,\n", "line 2, field port: expected a TCP port"),
    (HEADER + "owner,10.0.0.1,,a,i,,soon,\n", "line 2, field valid_from: 'soon' is neither"),
    (
        HEADER + "owner,10.0.0.1,,a,i,,,200\nowner,10.0.0.1,,b,j,,100,\n",
        "10.0.0.1 has two owners at the same time: .*line 2.* and .*line 3",
    ),
]


@pytest.mark.parametrize(("text", "message"), CSV_CASES)
def test_bad_csv_files(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "inv.csv", text)
    with pytest.raises(InventoryError, match=message) as caught:
        load_inventory_file(path)
    assert str(path) in str(caught.value)


def test_other_extensions_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=re.escape("unknown inventory format '.json'")):
        load_inventory_file(write(tmp_path, "inv.json", "{}"))
    with pytest.raises(InventoryError, match="cannot read the inventory file"):
        load_inventory_file(tmp_path / "missing.yaml")
