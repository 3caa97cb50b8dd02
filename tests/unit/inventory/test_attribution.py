"""attribute(): SYN and SYN-ACK meet on one edge, VIPs resolve, strangers get their own node."""

from __future__ import annotations

from models.attribution import Attributed, attribute
from models.connection import ConnectionEvent, Kind
from models.inventory import Inventory
from models.topology import EdgeKey

from .conftest import NOON, entry, held, owner, vip

INVENTORY = Inventory(
    [
        entry("10.0.1.10", "orders"),
        entry("10.0.3.0/24", "payments"),
        entry("2001:db8:1::10", "orders"),
        entry("10.0.1.20", held("payments", valid_until=NOON), held("checkout", valid_from=NOON)),
        vip("10.0.100.1", 443, "search"),
        vip("10.0.1.10", 9000, "admin"),
    ]
)


def syn(client: str, server: str, port: int, ts: float = NOON) -> ConnectionEvent:
    return ConnectionEvent(ts, client, 40000, server, port, Kind.SYN, None, 2, 0, 1, "192.0.2.1")


def syn_ack(client: str, server: str, port: int, ts: float = NOON) -> ConnectionEvent:
    return ConnectionEvent(
        ts, server, port, client, 40000, Kind.SYN_ACK, None, 2, 0, 1, "192.0.2.1"
    )


def test_syn_goes_from_src_to_dst_port() -> None:
    result = attribute(syn("10.0.1.10", "10.0.3.7", 5432), INVENTORY)
    assert result == Attributed(
        EdgeKey("orders", "payments", 5432), owner("orders"), owner("payments"), Kind.SYN, NOON
    )


def test_syn_ack_is_the_same_edge_seen_from_the_server() -> None:
    result = attribute(syn_ack("10.0.1.10", "10.0.3.7", 5432), INVENTORY)
    assert result.edge == EdgeKey("orders", "payments", 5432)
    assert (result.client, result.server, result.kind) == (
        owner("orders"),
        owner("payments"),
        Kind.SYN_ACK,
    )


def test_ipv6_ends() -> None:
    result = attribute(syn("2001:db8:1::10", "10.0.3.7", 443), INVENTORY)
    assert result.edge == EdgeKey("orders", "payments", 443)


def test_unknown_addresses_become_their_own_nodes() -> None:
    result = attribute(syn("192.0.2.50", "198.51.100.7", 443), INVENTORY)
    assert result.edge == EdgeKey("unattributed:192.0.2.50", "unattributed:198.51.100.7", 443)
    assert (result.client, result.server) == (None, None)
    answer = attribute(syn_ack("10.0.1.10", "2001:db8:ffff::1", 22), INVENTORY)
    assert answer.edge == EdgeKey("orders", "unattributed:2001:db8:ffff::1", 22)


def test_vip_on_the_server_side_for_syn_and_syn_ack() -> None:
    for event in (syn("10.0.1.10", "10.0.100.1", 443), syn_ack("10.0.1.10", "10.0.100.1", 443)):
        result = attribute(event, INVENTORY)
        assert result.edge == EdgeKey("orders", "search", 443)
        assert result.server == owner("search")
    other_port = attribute(syn("10.0.1.10", "10.0.100.1", 80), INVENTORY)
    assert other_port.edge == EdgeKey("orders", "unattributed:10.0.100.1", 80)


def test_a_vip_address_as_a_client_is_its_own_owner() -> None:
    # 10.0.1.10 is a VIP on port 9000 only as a server; as a client it is orders.
    result = attribute(syn("10.0.1.10", "10.0.3.1", 9000), INVENTORY)
    assert result.edge == EdgeKey("orders", "payments", 9000)
    to_vip = attribute(syn("10.0.3.1", "10.0.1.10", 9000), INVENTORY)
    assert to_vip.edge == EdgeKey("payments", "admin", 9000)


def test_an_address_that_moved_is_attributed_by_event_time() -> None:
    before = attribute(syn("10.0.1.20", "10.0.1.10", 443, ts=NOON - 1), INVENTORY)
    at = attribute(syn("10.0.1.20", "10.0.1.10", 443, ts=NOON), INVENTORY)
    answer_after = attribute(syn_ack("10.0.1.10", "10.0.1.20", 8443, ts=NOON + 5), INVENTORY)
    assert before.edge.client == "payments"
    assert at.edge.client == "checkout"
    assert answer_after.edge == EdgeKey("orders", "checkout", 8443)
