"""Selectors, conditions and queries that mix annotations with the topology."""

from __future__ import annotations

import re
from typing import Any

import pytest

from models.overlay_conditions import Op, parse_condition
from models.overlay_errors import OverlayQueryError
from models.overlay_query import GraphRows, parse_query, run_query
from models.overlay_schema import OverlayDefinition, TargetKind
from models.overlay_selector import parse_selector, parse_selector_text, select_edges, select_nodes
from models.topology import EdgeKey

# web -> api -> db, api -> cache, web -> search -> index; zones: a for web/api/search, b else.
ZONES: dict[str, str | None] = {
    "web": "a",
    "api": "a",
    "search": "a",
    "db": "b",
    "cache": "b",
    "index": "b",
    "unattributed:10.0.0.9": None,
}
EDGES = [
    EdgeKey("web", "api", 8080),
    EdgeKey("api", "db", 5432),
    EdgeKey("api", "cache", 6379),
    EdgeKey("web", "search", 9200),
    EdgeKey("search", "index", 9300),
    EdgeKey("api", "unattributed:10.0.0.9", 443),
]
NODE_ANNOTATIONS = {
    "web": {"level": "P0", "rto": 900, "flows": ["shop"]},
    "api": {"level": "P0", "rto": 900, "flows": ["shop", "admin"]},
    "db": {"level": "P1", "rto": 3600},
    "search": {"level": "P2", "rto": 14400},
    "payments": {"level": "P0", "rto": 600},  # declared, not observed
}
EDGE_ANNOTATIONS = {
    "web|api|8080": {"kind": "essential"},
    "api|db|5432": {"kind": "essential"},
    "api|cache|6379": {"kind": "optional"},
    "web|search|9200": {"kind": "optional"},
    "search|index|9300": {"kind": "essential"},
    "api|payments|443": {"kind": "essential"},  # declared, not observed
}
ROWS = GraphRows(ZONES, EDGES, NODE_ANNOTATIONS, EDGE_ANNOTATIONS)


def names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["name"] for row in rows]


def test_node_selectors_by_zone_kind_and_pattern() -> None:
    by_zone = parse_selector(TargetKind.NODE, {"zone": "b"})
    assert select_nodes(by_zone, ZONES) == ["cache", "db", "index"]
    services = parse_selector_text(TargetKind.NODE, "kind=service,zone=a")
    assert select_nodes(services, ZONES) == ["api", "search", "web"]
    unknown = parse_selector(TargetKind.NODE, {"kind": "unattributed"})
    assert select_nodes(unknown, ZONES) == ["unattributed:10.0.0.9"]
    pattern = parse_selector(TargetKind.NODE, {"name": "*a*"})
    assert select_nodes(pattern, ZONES) == ["api", "cache", "search", "unattributed:10.0.0.9"]
    keys = parse_selector(TargetKind.NODE, {"keys": ["later"]})
    assert select_nodes(keys, ZONES) == ["later"]


def test_edge_selectors_by_ends_port_and_zones() -> None:
    def pick(data: dict[str, Any]) -> list[str]:
        return select_edges(parse_selector(TargetKind.EDGE, data), EDGES, ZONES)

    assert pick({"client": "api"}) == [
        "api|cache|6379",
        "api|db|5432",
        "api|unattributed:10.0.0.9|443",
    ]
    assert pick({"port": "5432"}) == ["api|db|5432"]
    # Crossing zones needs both zones known: the unattributed server has none.
    assert pick({"cross_zone": "1"}) == ["api|cache|6379", "api|db|5432", "search|index|9300"]
    assert pick({"client_zone": "a", "server_zone": "a"}) == ["web|api|8080", "web|search|9200"]


@pytest.mark.parametrize(
    ("target", "data", "message"),
    [
        (TargetKind.NODE, {}, "an empty node selector would select everything"),
        (TargetKind.NODE, {"colour": "red"}, "node selector: unknown filter(s) colour"),
        (TargetKind.NODE, {"kind": "router"}, "kind must be service, cluster or unattributed"),
        (TargetKind.EDGE, {"port": "http"}, "port must be a whole number"),
        (TargetKind.EDGE, {"keys": ["a|b"]}, "selector keys: edge key 'a|b' must be"),
        (TargetKind.NODE, {"keys": ["a"], "zone": "b"}, "either keys or filters, not both"),
        (TargetKind.NODE, "zone=a", "a node selector must be a mapping"),
    ],
)
def test_bad_selectors_say_what_is_allowed(target: TargetKind, data: Any, message: str) -> None:
    with pytest.raises(OverlayQueryError, match=re.escape(message)):
        parse_selector(target, data)


def test_conditions_normalise_their_operand_and_suit_the_type(small: OverlayDefinition) -> None:
    rto = parse_condition(small, TargetKind.NODE, "rto<=1h")
    assert (rto.op, rto.value) == (Op.LE, 3600)
    assert rto.matches({"rto": 900})
    assert not rto.matches({"rto": 7200})
    assert not rto.matches({})
    assert not rto.matches(None)
    level = parse_condition(small, TargetKind.NODE, {"field": "level", "op": "le", "value": "P1"})
    assert [level.matches({"level": v}) for v in ("P0", "P1", "P2")] == [True, True, False]
    flows = parse_condition(small, TargetKind.NODE, "flows~shop")
    assert flows.matches({"flows": ["admin", "shop"]})
    assert not flows.matches({"flows": []})
    assert parse_condition(small, TargetKind.NODE, "level!=P0").matches({"level": "P2"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour=red", "overlay 'small' v1 has no node field 'colour' (its fields: level"),
        ("level=P9", "condition on 'level' (enum): the value must be one of P0, P1, P2"),
        ("rto<soon", "the value is not a duration"),
        ("flows=shop", "a list is matched with ~ (contains)"),
        ("level~P0", "~ (contains) is only for list fields"),
        ("level", "must be FIELD OP VALUE"),
    ],
)
def test_bad_conditions_name_the_field(small: OverlayDefinition, text: str, message: str) -> None:
    with pytest.raises(OverlayQueryError, match=re.escape(message)):
        parse_condition(small, TargetKind.NODE, text)


def test_p0_services_and_their_essential_dependencies_to_k_hops(
    small: OverlayDefinition,
) -> None:
    query = parse_query(
        small,
        {"where": ["level=P0"], "hops": 2, "via": ["kind=essential"]},
    )
    answer = run_query(query, ROWS)

    assert names(answer["matched"]) == ["api", "payments", "web"]
    payments = answer["matched"][1]
    assert (payments["in_graph"], payments["zone"]) == (False, None)
    # db through api (essential); not cache (optional), not search (optional) or index.
    assert [(r["name"], r["distance"]) for r in answer["reached"]] == [("db", 1)]
    walked = [(e["key"], e["observed"]) for e in answer["edges"]]
    assert walked == [
        ("api|db|5432", True),
        ("api|payments|443", False),
        ("web|api|8080", True),
    ]
    assert answer["truncated"] is False


def test_growth_follows_hops_and_direction(small: OverlayDefinition) -> None:
    one_hop = run_query(parse_query(small, {"where": ["level=P2"], "hops": 1}), ROWS)
    assert names(one_hop["matched"]) == ["search"]
    assert [(r["name"], r["distance"]) for r in one_hop["reached"]] == [("index", 1)]
    up = parse_query(small, {"where": ["level=P1"], "hops": 2, "direction": "up"})
    assert [(r["name"], r["distance"]) for r in run_query(up, ROWS)["reached"]] == [
        ("api", 1),
        ("web", 2),
    ]


def test_optional_edges_between_zones(small: OverlayDefinition) -> None:
    query = parse_query(
        small,
        {"target": "edge", "where": ["kind=optional"], "filters": {"cross_zone": True}},
    )
    answer = run_query(query, ROWS)
    assert [(e["key"], e["client_zone"], e["server_zone"]) for e in answer["matched"]] == [
        ("api|cache|6379", "a", "b"),
    ]


def test_node_queries_filter_by_graph_fields_and_limit(small: OverlayDefinition) -> None:
    query = parse_query(small, {"where": ["rto<=1h"], "filters": {"zone": "a"}, "limit": 1})
    answer = run_query(query, ROWS)
    assert names(answer["matched"]) == ["api"]
    assert answer["truncated"] is True


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"target": "cluster"}, "query target must be node or edge"),
        ({"hops": 11}, "hops must be a whole number from 0 to 10"),
        ({"target": "edge", "hops": 1}, "an edge query has neither"),
        ({"where": "level=P0"}, "conditions must be a list"),
        ({"where": ["level=P0"], "sort": "name"}, "unknown query key(s) sort"),
        ({"filters": {"keys": ["web"]}}, "keys are for annotate"),
        ({"direction": "sideways"}, "direction must be down, up or both"),
        ({"via": ["level=P0"]}, "has no edge field 'level'"),
    ],
)
def test_bad_queries_are_refused_with_a_reason(
    small: OverlayDefinition, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(OverlayQueryError, match=re.escape(message)):
        parse_query(small, data)
