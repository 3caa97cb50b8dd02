"""The BCP scope: flow members and what they reach through essential edges, nothing else."""

from __future__ import annotations

from models.bcp_model import BcpService
from models.bcp_scope import bcp_scope
from tests.unit.bcp.builders import dep, estate, svc


def shop() -> list[BcpService]:
    return [
        svc("web", flows=["shop"]),
        svc("api"),
        svc("db", datastore=True),
        svc("reports"),
        svc("mailer"),
        svc("batch"),
        svc("ledger"),
    ]


def test_essential_edges_are_followed_to_the_end_and_nothing_else() -> None:
    graph = estate(
        shop(),
        [
            dep("web", "api"),
            dep("api", "db"),
            dep("web", "reports", essential=False),  # optional: not in scope
            dep("reports", "ledger"),  # essential, but only reachable over an optional edge
            dep("batch", "api"),  # a client of the scope is not in it
        ],
    )

    scope = bcp_scope(graph)

    assert scope.flow_members == {"web"}
    assert scope.nodes == {"web", "api", "db"}
    assert sorted(scope.graph.edges) == [("api", "db"), ("web", "api")]
    assert scope.undeclared == ()


def test_undeclared_edges_are_listed_and_followed_only_when_asked() -> None:
    graph = estate(shop(), [dep("web", "api"), dep("api", "mailer", essential=None)])

    cautious = bcp_scope(graph, follow_undeclared=True)
    plain = bcp_scope(graph)

    assert plain.nodes == {"web", "api"}
    assert [(e.client, e.server) for e in plain.undeclared] == [("api", "mailer")]
    assert cautious.nodes == {"web", "api", "mailer"}
    assert cautious.undeclared == ()


def test_an_essential_port_wins_over_an_optional_one_between_the_same_pair() -> None:
    graph = estate(shop(), [dep("web", "api", False, port=80), dep("web", "api", True, port=81)])

    assert bcp_scope(graph).nodes == {"web", "api"}


def test_self_loops_and_several_flows() -> None:
    graph = estate(
        [svc("a", flows=["f1"]), svc("b", flows=["f2"]), svc("c"), svc("d")],
        [dep("a", "a"), dep("a", "c"), dep("b", "d"), dep("d", "c")],
    )

    scope = bcp_scope(graph)

    assert scope.nodes == {"a", "b", "c", "d"}
    assert ("a", "a") not in scope.graph.edges


def test_without_flows_the_scope_is_empty() -> None:
    assert bcp_scope(estate([svc("a"), svc("b")], [dep("a", "b")])).nodes == frozenset()
