"""Inventory lookups: exact, longest prefix, IPv6, ownership over time, VIPs, live updates."""

from __future__ import annotations

import pytest

from models.inventory import Inventory
from models.inventory_owner import OwnerInterval
from models.inventory_record import EntryKey, InventoryRecord

from .conftest import NOON, entry, held, owner, vip


def service_of(inventory: Inventory, address: str, ts: float = NOON) -> str | None:
    found = inventory.owner_at(address, ts)
    return None if found is None else found.service


def test_exact_address_wins_over_blocks() -> None:
    inventory = Inventory(
        [entry("10.0.0.0/8", "dc"), entry("10.1.0.0/16", "pool"), entry("10.1.2.3", "orders")]
    )
    assert inventory.owner_at("10.1.2.3", NOON) == owner("orders")
    assert service_of(inventory, "10.1.2.4") == "pool"
    assert service_of(inventory, "10.2.0.1") == "dc"
    assert service_of(inventory, "11.0.0.1") is None


def test_longest_prefix_wins_whatever_the_insertion_order() -> None:
    records = [entry("10.1.2.0/24", "narrow"), entry("10.1.0.0/16", "wide")]
    for ordered in (records, records[::-1]):
        inventory = Inventory(ordered)
        assert service_of(inventory, "10.1.2.200") == "narrow"
        assert service_of(inventory, "10.1.3.1") == "wide"


def test_full_length_block_is_an_exact_address() -> None:
    record = entry("10.1.2.3/32", "orders")
    assert record.key == EntryKey.owner_of("10.1.2.3")
    assert service_of(Inventory([record]), "10.1.2.3") == "orders"


def test_ipv6_exact_and_blocks_and_spellings() -> None:
    inventory = Inventory(
        [
            entry("2001:db8::/32", "dc6"),
            entry("2001:db8:1::/48", "pool6"),
            entry("2001:db8::1", "a"),
        ]
    )
    assert service_of(inventory, "2001:db8::1") == "a"
    assert service_of(inventory, "2001:DB8:0::1") == "a"  # not canonical, same address
    assert service_of(inventory, "2001:db8:1::99") == "pool6"
    assert service_of(inventory, "2001:db8:2::1") == "dc6"
    assert service_of(inventory, "2001:db9::1") is None


def test_ipv4_and_ipv6_blocks_do_not_mix() -> None:
    inventory = Inventory([entry("::/0", "all6"), entry("0.0.0.0/0", "all4")])
    assert service_of(inventory, "192.0.2.1") == "all4"
    assert service_of(inventory, "::ffff:192.0.2.1") == "all6"


def test_an_address_moving_between_services() -> None:
    inventory = Inventory(
        [entry("10.0.1.20", held("payments", valid_until=NOON), held("checkout", valid_from=NOON))]
    )
    assert service_of(inventory, "10.0.1.20", NOON - 0.001) == "payments"
    assert service_of(inventory, "10.0.1.20", NOON) == "checkout"  # the boundary: new owner
    assert service_of(inventory, "10.0.1.20", NOON + 3600) == "checkout"


def test_gaps_between_owners_and_bounded_owners() -> None:
    inventory = Inventory([entry("10.0.0.5", held("a", 100, 200), held("b", 300, 400))])
    assert [
        service_of(inventory, "10.0.0.5", ts) for ts in (99, 100, 199.9, 200, 299, 300, 400)
    ] == [
        None,
        "a",
        "a",
        None,
        None,
        "b",
        None,
    ]


def test_a_less_specific_entry_answers_when_the_specific_one_has_no_owner_then() -> None:
    inventory = Inventory(
        [entry("10.1.0.0/16", "wide"), entry("10.1.2.0/24", held("narrow", valid_from=NOON))]
    )
    assert service_of(inventory, "10.1.2.9", NOON - 1) == "wide"
    assert service_of(inventory, "10.1.2.9", NOON) == "narrow"


def test_vip_per_port_then_any_port_then_the_address_owner() -> None:
    inventory = Inventory(
        [
            entry("10.0.100.1", "lb-hosts"),
            vip("10.0.100.1", 443, "orders"),
            vip("10.0.100.1", None, "payments"),
            vip("10.0.100.2", 443, "search"),
        ]
    )
    assert inventory.server_at("10.0.100.1", 443, NOON) == owner("orders")
    assert inventory.server_at("10.0.100.1", 8080, NOON) == owner("payments")
    assert inventory.server_at("10.0.100.2", 443, NOON) == owner("search")
    assert inventory.server_at("10.0.100.2", 80, NOON) is None
    assert service_of(inventory, "10.0.100.1") == "lb-hosts"  # owner_at ignores VIPs


def test_vip_over_time_falls_back_when_not_declared_then() -> None:
    inventory = Inventory(
        [entry("10.0.0.0/8", "dc"), vip("10.0.100.1", 443, held("orders", valid_from=NOON))]
    )
    assert inventory.server_at("10.0.100.1", 443, NOON - 1) == owner("dc")
    assert inventory.server_at("10.0.100.1", 443, NOON) == owner("orders")


@pytest.mark.parametrize(
    "record",
    [entry("10.0.0.5", "x"), entry("10.0.0.0/24", "x"), vip("10.0.0.5", 443, "x")],
    ids=["address", "block", "vip"],
)
def test_tombstones_delete_and_lookups_see_it(record: InventoryRecord) -> None:
    inventory = Inventory([record])
    assert inventory.server_at("10.0.0.5", 443, NOON) == owner("x")  # fills the cache
    inventory.apply(InventoryRecord(record.key, None))
    assert inventory.server_at("10.0.0.5", 443, NOON) is None
    assert inventory.entries() == []
    inventory.apply(InventoryRecord(record.key, None))  # deleting twice is harmless
    assert len(inventory) == 0


def test_updates_replace_an_entry_and_invalidate_cached_lookups() -> None:
    inventory = Inventory([entry("10.1.0.0/16", "wide")])
    assert service_of(inventory, "10.1.2.3") == "wide"
    inventory.apply(entry("10.1.2.0/24", "narrow"))
    assert service_of(inventory, "10.1.2.3") == "narrow"
    inventory.apply(entry("10.1.2.0/24", "renamed"))
    assert service_of(inventory, "10.1.2.3") == "renamed"
    assert [r.key.encode() for r in inventory.entries()] == ["10.1.0.0/16", "10.1.2.0/24"]


def test_the_cache_is_bounded_and_answers_stay_right() -> None:
    inventory = Inventory([entry("10.0.0.0/24", "pool")], cache_size=4)
    for round_ in range(3):
        for host in range(1, 20):
            assert service_of(inventory, f"10.0.0.{host}") == "pool", round_
    assert len(inventory._resolved) <= 4


def test_something_that_is_no_address_stays_unowned() -> None:
    inventory = Inventory([entry("0.0.0.0/0", "everything")])
    assert inventory.owner_at("not-an-ip", NOON) is None


def test_equal_inventories_compare_equal() -> None:
    records = [entry("10.0.0.1", "a"), vip("10.0.0.2", None, "b")]
    assert Inventory(records) == Inventory(records[::-1])
    assert Inventory(records) != Inventory(records[:1])


def test_instance_count_follows_updates() -> None:
    inventory = Inventory(
        [
            entry("10.0.0.1", held("orders", valid_until=NOON), held("checkout", valid_from=NOON)),
            entry("10.0.0.2", "orders"),
            entry("2001:db8::2", "orders"),  # the same instance orders-1 on IPv6
            entry("10.0.1.0/24", OwnerInterval(owner("orders", "orders-pool"))),
            vip("10.0.100.1", 443, "orders"),
        ]
    )
    assert inventory.instance_count("orders") == 2
    assert inventory.instance_count("checkout") == 1
    inventory.apply(InventoryRecord(EntryKey.owner_of("10.0.1.0/24"), None))
    assert inventory.instance_count("orders") == 1
    inventory.apply(entry("10.0.0.1", "payments"))
    assert inventory.instance_count("checkout") == 0
    assert inventory.instance_count("nobody") == 0
