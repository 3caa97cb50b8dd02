"""Ready times along the bring-up order, and each flow's RTO, on hand-worked examples."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from models.bcp_order import order
from models.bcp_timing import flow_timings, schedule


def graph(*edges: tuple[str, str]) -> nx.DiGraph[str]:
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_edges_from(edges)
    return g


def test_ready_times_add_up_along_the_longest_chain() -> None:
    # web -> api -> db, web -> cache: db 40 + api 20 + web 10 = 70; cache 5 does not count.
    ordering = order(graph(("web", "api"), ("api", "db"), ("web", "cache")))
    ids = ordering.step_of
    durations = {ids["web"]: 10.0, ids["api"]: 20.0, ids["db"]: 40.0, ids["cache"]: 5.0}

    timed = schedule(ordering, durations)

    assert timed.ready_at[ids["db"]] == 40.0
    assert (timed.start_at[ids["api"]], timed.ready_at[ids["api"]]) == (40.0, 60.0)
    assert (timed.start_at[ids["web"]], timed.ready_at[ids["web"]]) == (60.0, 70.0)
    assert timed.via[ids["web"]] == ids["api"]
    assert timed.via[ids["db"]] is None


def test_a_flow_late_for_its_rto_names_the_path_that_makes_it_late() -> None:
    ordering = order(graph(("web", "api"), ("api", "db"), ("web", "cache"), ("pay", "cache")))
    ids = ordering.step_of
    durations = {ids["web"]: 10.0, ids["api"]: 20.0, ids["db"]: 40.0, ids["cache"]: 5.0}
    timed = schedule(ordering, durations)
    members = {"shop": frozenset({"web"}), "payments": frozenset({"pay"})}

    shop, payments = sorted(
        flow_timings(ordering, timed, durations, members, {"shop": 60.0, "payments": None}),
        key=lambda t: t.flow,
        reverse=True,
    )

    assert (shop.flow, shop.ready_at, shop.meets_rto, shop.late_by) == ("shop", 70.0, False, 10.0)
    assert [(p.label, p.duration, p.ready_at) for p in shop.critical_path] == [
        ("db", 40.0, 40.0),
        ("api", 20.0, 60.0),
        ("web", 10.0, 70.0),
    ]
    assert (payments.ready_at, payments.meets_rto, payments.late_by) == (5.0, None, 0.0)
    assert [p.label for p in payments.critical_path] == ["cache", "pay"]


def test_a_cycle_waits_for_its_slowest_member_and_the_path_goes_through_it() -> None:
    ordering = order(graph(("web", "a"), ("a", "b"), ("b", "a"), ("b", "db")))
    ids = ordering.step_of
    cycle = ids["a"]
    durations = {cycle: 30.0, ids["db"]: 15.0, ids["web"]: 1.0}

    timed = schedule(ordering, durations)
    (timing,) = flow_timings(ordering, timed, durations, {"f": frozenset({"web"})}, {"f": 46.0})

    assert timing.ready_at == 46.0
    assert timing.meets_rto is True
    assert [p.label for p in timing.critical_path] == ["db", "{a, b}", "web"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), max_size=40),
    st.lists(st.integers(0, 100), min_size=16, max_size=16),
)
def test_the_latest_ready_time_is_networkx_longest_path(
    pairs: list[tuple[int, int]], costs: list[int]
) -> None:
    g = graph(*((f"s{a}", f"s{b}") for a, b in pairs if a != b))
    g.add_nodes_from(f"s{n}" for n in range(16))
    ordering = order(g)
    durations = {
        step.id: float(max(costs[int(name[1:])] for name in step.services))
        for step in ordering.steps
    }

    timed = schedule(ordering, durations)

    # The same question asked of networkx: node weights as the weight of the edge into a node,
    # from a start node, on the condensed DAG with dependencies pointing at their dependents.
    weighted: nx.DiGraph[object] = nx.DiGraph()
    for step in ordering.steps:
        weighted.add_edge("start", step.id, weight=durations[step.id])
    for client, server in ordering.dag.edges:
        weighted.add_edge(server, client, weight=durations[client])
    assert max(timed.ready_at.values()) == nx.dag_longest_path_length(weighted)
    for step_id, ready in timed.ready_at.items():
        start = timed.start_at[step_id]
        waits = [timed.ready_at[d] for d in ordering.dag.successors(step_id)]
        assert start == max(waits, default=0.0)
        assert ready == start + durations[step_id]
