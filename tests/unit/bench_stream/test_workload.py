"""The stream benchmark's synthetic estate and traffic: sizes, coverage, batching, ticks."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.stream.workload import (
    BATCH_EVENTS,
    SHARDS,
    T0,
    build_estate,
    events,
    inventory_csv,
    messages,
    tick_events,
)
from capture.shard_batcher import server_address, shard_of
from models.connection import Kind


def test_estate_has_distinct_edges_without_self_edges_and_is_seeded() -> None:
    estate = build_estate(50, 400, seed=3)
    pairs = {(edge.client, edge.server) for edge in estate.edges}
    assert len(pairs) == 400
    assert all(edge.client != edge.server for edge in estate.edges)
    assert all(edge.port == estate.port_of(edge.server) for edge in estate.edges)
    assert build_estate(50, 400, seed=3) == estate
    assert build_estate(50, 400, seed=4) != estate


def test_estate_refuses_impossible_sizes() -> None:
    with pytest.raises(ValueError, match="distinct edges"):
        build_estate(3, 7)
    with pytest.raises(ValueError, match="two services"):
        build_estate(1, 0)


def test_hosts_stay_inside_their_service_block() -> None:
    estate = build_estate(70_000, 10)
    assert estate.block(65_537) == "10.16.0.16/28"
    assert {estate.host(65_537, index) for index in range(14)} == {
        f"10.16.0.{n}" for n in range(17, 31)
    }


def test_inventory_declares_one_block_per_service() -> None:
    text = inventory_csv(build_estate(4, 3))
    lines = text.splitlines()
    assert lines[0] == "kind,address,port,service,instance,zone,valid_from,valid_until"
    assert lines[1:] == [
        "owner,10.0.0.0/28,,svc-000000,svc-000000-pods,a,,",
        "owner,10.0.0.16/28,,svc-000001,svc-000001-pods,b,,",
        "owner,10.0.0.32/28,,svc-000002,svc-000002-pods,c,,",
        "owner,10.0.0.48/28,,svc-000003,svc-000003-pods,a,,",
    ]


def test_traffic_covers_every_edge_in_time_order_with_answers() -> None:
    estate = build_estate(40, 100)
    traffic = events(estate, 2_000, seconds=60.0)
    assert 1_900 <= len(traffic) <= 2_100
    assert [e.ts for e in traffic] == sorted(e.ts for e in traffic)
    assert traffic[0].ts >= T0
    assert traffic[-1].ts < T0 + 61
    syns = [e for e in traffic if e.kind is Kind.SYN]
    assert 0.9 < (len(traffic) - len(syns)) / len(syns) < 1.0
    by_address = {estate.host(s, i): s for s in range(40) for i in range(14)}
    seen = Counter((by_address[e.src], by_address[e.dst], e.dport) for e in syns)
    assert set(seen) == {(edge.client, edge.server, edge.port) for edge in estate.edges}
    assert max(seen.values()) > 5 * min(seen.values())  # skewed, as real traffic is


def test_messages_batch_like_capture_and_end_with_one_tick_per_shard() -> None:
    estate = build_estate(200, 1_000)
    traffic = events(estate, 20_000, seconds=30.0)
    ticks = tick_events(estate, T0 + 400)
    assert len(ticks) == SHARDS
    assert {shard_of(server_address(t), SHARDS) for t in ticks} == set(range(SHARDS))
    batches = list(messages(traffic, ticks))
    assert sum(len(m.events) for m in batches) == len(traffic) + len(ticks)
    assert all(len(m.events) <= BATCH_EVENTS for m in batches)
    for message in batches:
        shards = {shard_of(server_address(e), SHARDS) for e in message.events}
        assert shards == {int(message.key)}
    assert [m.events[0] for m in batches[-SHARDS:]] == ticks
