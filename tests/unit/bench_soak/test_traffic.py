"""The soak's traffic: event counts, time spread, coverage of the warm-up, batching."""

from __future__ import annotations

import ipaddress
from collections import Counter

from bench.soak.traffic import SteadyTraffic, connections_for
from bench.stream.workload import build_estate
from models.connection import Kind

ESTATE = build_estate(40, 200, seed=2)


def service_of(address: str) -> int:
    """The estate service whose /28 holds ``address`` (10.0.0.0/8, 16 addresses each)."""
    return (int(ipaddress.IPv4Address(address)) - int(ipaddress.IPv4Address("10.0.0.0"))) // 16


def test_connections_for_events_counts_a_syn_ack_for_most() -> None:
    assert connections_for(0) == 0
    assert connections_for(1) == 1
    assert connections_for(195) == 100


def test_events_are_spread_over_the_interval_in_time_order() -> None:
    events = SteadyTraffic(ESTATE, seed=3).events(1_000, 500.0, 510.0)
    syns = [event for event in events if event.kind is Kind.SYN]
    assert len(syns) == connections_for(1_000)
    assert 900 < len(events) < 1_100
    assert syns[0].ts == 500.0
    assert all(500.0 <= event.ts < 510.0 for event in events)
    assert [event.ts for event in events] == sorted(event.ts for event in events)


def test_every_syn_ack_answers_its_syn_from_the_server() -> None:
    events = SteadyTraffic(ESTATE, seed=3).events(400, 0.0, 1.0)
    syns = {(e.src, e.sport, e.dst, e.dport): e for e in events if e.kind is Kind.SYN}
    for answer in (e for e in events if e.kind is Kind.SYN_ACK):
        syn = syns[(answer.dst, answer.dport, answer.src, answer.sport)]
        assert answer.ts > syn.ts
        assert answer.mirror == syn.mirror


def test_edges_are_drawn_with_a_long_tail() -> None:
    traffic = SteadyTraffic(ESTATE, seed=4)
    syns = [e for e in traffic.events(40_000, 0.0, 100.0) if e.kind is Kind.SYN]
    by_pair = Counter((service_of(e.src), service_of(e.dst)) for e in syns)
    counts = sorted(by_pair.values(), reverse=True)
    # Zipf (s = 1) over 200 edges: the top edge gets about 17% of connections.
    assert counts[0] > 0.1 * len(syns)
    assert counts[-1] < 0.01 * len(syns)


def test_the_same_seed_gives_the_same_traffic() -> None:
    one = SteadyTraffic(ESTATE, seed=5).events(300, 0.0, 1.0)
    two = SteadyTraffic(ESTATE, seed=5).events(300, 0.0, 1.0)
    assert one == two


def test_the_warm_up_touches_every_edge() -> None:
    events = SteadyTraffic(ESTATE, seed=6).warm_up(1_000, 0.0, 10.0)
    seen = {(service_of(e.src), service_of(e.dst), e.dport) for e in events if e.kind is Kind.SYN}
    assert seen == {(edge.client, edge.server, edge.port) for edge in ESTATE.edges}
    assert 900 < len(events) < 1_100


def test_a_warm_up_smaller_than_the_estate_still_covers_it() -> None:
    events = SteadyTraffic(ESTATE, seed=6).warm_up(10, 0.0, 10.0)
    assert sum(e.kind is Kind.SYN for e in events) == len(ESTATE.edges)
