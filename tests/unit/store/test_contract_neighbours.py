"""Contract: k-hop neighbourhoods downstream, upstream and both, optionally through chosen edges."""

from __future__ import annotations

import pytest

from sinks.errors import StoreInputError
from sinks.store import GraphStore

from .builders import edge

# web -> api -> db -> disk, api -> cache, batch -> db, db -> api (a cycle), api -> api (self)
GRAPH = [
    edge("web", "api", 443),
    edge("api", "db", 5432),
    edge("db", "disk", 3260),
    edge("api", "cache", 6379),
    edge("batch", "db", 5432),
    edge("db", "api", 8080),
    edge("api", "api", 9090),
]


@pytest.fixture
def graph(store: GraphStore) -> GraphStore:
    store.apply_changes(GRAPH)
    return store


def test_downstream_by_hops(graph: GraphStore) -> None:
    assert graph.neighbours("web", "down", 1) == {"api": 1}
    assert graph.neighbours("web", "down", 2) == {"api": 1, "db": 2, "cache": 2}
    assert graph.neighbours("web", "down", 3) == {"api": 1, "db": 2, "cache": 2, "disk": 3}
    assert graph.neighbours("web", "down", 10) == {"api": 1, "db": 2, "cache": 2, "disk": 3}


def test_upstream_by_hops(graph: GraphStore) -> None:
    assert graph.neighbours("disk", "up", 1) == {"db": 1}
    assert graph.neighbours("disk", "up", 2) == {"db": 1, "api": 2, "batch": 2}
    assert graph.neighbours("disk", "up", 3) == {"db": 1, "api": 2, "batch": 2, "web": 3}


def test_both_directions_keep_the_shorter_distance(graph: GraphStore) -> None:
    assert graph.neighbours("db", "both", 1) == {"disk": 1, "api": 1, "batch": 1}
    assert graph.neighbours("db", "both", 2) == {
        "disk": 1,
        "api": 1,
        "batch": 1,
        "cache": 2,
        "web": 2,
    }


def test_the_start_node_is_never_its_own_neighbour(graph: GraphStore) -> None:
    assert "api" not in graph.neighbours("api", "both", 5)
    assert "db" not in graph.neighbours("db", "down", 3)


def test_via_walks_only_the_chosen_edges(graph: GraphStore) -> None:
    essential = {"web|api|443", "api|db|5432"}
    assert graph.neighbours("web", "down", 5, via=essential) == {"api": 1, "db": 2}
    assert graph.neighbours("disk", "up", 5, via=essential) == {}
    assert graph.neighbours("web", "down", 5, via=[]) == {}


def test_via_does_not_reach_a_node_through_an_excluded_edge(store: GraphStore) -> None:
    # a -> b directly (excluded) and a -> c -> b (kept): b is reached at 2, through c
    store.apply_changes([edge("a", "b", 1), edge("a", "c", 1), edge("c", "b", 1)])
    assert store.neighbours("a", "down", 3, via={"a|c|1", "c|b|1"}) == {"c": 1, "b": 2}
    assert store.neighbours("a", "down", 1, via={"a|c|1", "c|b|1"}) == {"c": 1}


def test_unknown_and_isolated_nodes_have_no_neighbours(graph: GraphStore) -> None:
    assert graph.neighbours("nobody", "both", 3) == {}


def test_stale_edges_still_count_as_dependencies(store: GraphStore) -> None:
    store.apply_changes([edge("a", "b", 1, status="stale")])
    assert store.neighbours("a", "down", 1) == {"b": 1}


@pytest.mark.parametrize(
    ("direction", "hops", "message"),
    [
        ("sideways", 1, "direction must be down, up or both"),
        ("down", 0, "hops must be a whole number from 1 to 10"),
        ("down", 11, "hops must be a whole number from 1 to 10"),
        ("down", True, "hops must be a whole number from 1 to 10"),
    ],
)
def test_bad_walks_are_refused(graph: GraphStore, direction: str, hops: int, message: str) -> None:
    with pytest.raises(StoreInputError, match=message):
        graph.neighbours("web", direction, hops)
