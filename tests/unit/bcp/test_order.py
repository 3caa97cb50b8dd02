"""Bring-up and shutdown order on hand-built graphs, and its invariants on random ones."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from models.bcp_order import Ordering, keep, order


def graph(*edges: tuple[str, str]) -> nx.DiGraph[str]:
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_edges_from(edges)
    return g


def named(ordering: Ordering, waves: tuple[tuple[int, ...], ...]) -> list[list[str]]:
    return [[ordering.steps[s].label for s in wave] for wave in waves]


def test_a_chain_comes_up_from_its_deepest_dependency_and_goes_down_from_its_client() -> None:
    ordering = order(graph(("web", "api"), ("api", "db")))

    assert named(ordering, ordering.bring_up) == [["db"], ["api"], ["web"]]
    assert named(ordering, ordering.shutdown) == [["web"], ["api"], ["db"]]
    assert ordering.cycles == ()


def test_independent_dependencies_share_a_wave() -> None:
    ordering = order(graph(("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("e", "d")))

    assert named(ordering, ordering.bring_up) == [["d"], ["b", "c", "e"], ["a"]]
    assert named(ordering, ordering.shutdown) == [["a", "e"], ["b", "c"], ["d"]]


def test_a_cycle_is_one_step_with_its_members_reported() -> None:
    ordering = order(
        graph(("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "a"), ("x", "y"), ("y", "x"))
    )

    assert [step.services for step in ordering.cycles] == [("a", "b", "c"), ("x", "y")]
    assert named(ordering, ordering.bring_up) == [["d", "{x, y}"], ["{a, b, c}"], ["e"]]
    assert named(ordering, ordering.shutdown) == [["e", "{x, y}"], ["{a, b, c}"], ["d"]]
    assert ordering.step_of["a"] == ordering.step_of["c"] != ordering.step_of["d"]


def test_step_ids_do_not_depend_on_insertion_order() -> None:
    edges = [("a", "b"), ("b", "a"), ("c", "a"), ("b", "d")]

    first, second = order(graph(*edges)), order(graph(*reversed(edges)))

    assert first.steps == second.steps
    assert first.bring_up == second.bring_up


def test_keep_drops_steps_and_empty_waves_but_not_the_order() -> None:
    waves = ((0, 1), (2,), (3, 4))

    assert keep(waves, {1, 3}) == ((1,), (3,))
    assert keep(waves, set()) == ()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 25), st.integers(0, 25)).filter(lambda e: e[0] != e[1]),
        max_size=80,
    )
)
def test_every_dependency_comes_first_and_every_cycle_is_reported(
    pairs: list[tuple[int, int]],
) -> None:
    g = graph(*((f"s{a}", f"s{b}") for a, b in pairs))
    ordering = order(g)

    wave_of = {s: n for n, wave in enumerate(ordering.bring_up) for s in wave}
    down_of = {s: n for n, wave in enumerate(ordering.shutdown) for s in wave}
    assert sorted(wave_of) == sorted(down_of) == [step.id for step in ordering.steps]
    for client, server in g.edges:
        a, b = ordering.step_of[client], ordering.step_of[server]
        if a != b:
            assert wave_of[b] < wave_of[a], (server, "must come up before", client)
            assert down_of[a] < down_of[b], (client, "must go down before", server)
    components = {tuple(sorted(c)) for c in nx.strongly_connected_components(g) if len(c) > 1}
    assert {step.services for step in ordering.cycles} == components
