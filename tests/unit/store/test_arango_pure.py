"""The ArangoDB backend's pure parts: documents and AQL builders, checked without a server.

The contract suite runs the real thing when MEESEEKS_TEST_ARANGO_URL names a server; here we
check what can be checked offline: every query's bind variables match the ``@names`` in its
text, values never appear in the text, and documents round-trip.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from models.graph_change import EntityKind
from models.overlay_schema import TargetKind
from sinks import arango_queries as aql
from sinks.arango_documents import (
    annotation_document,
    document_entity,
    document_key,
    entity_document,
    vertex_id,
)
from sinks.store import AnnotationOp
from sinks.store_fold import fold

from .builders import cluster, edge, node

HOSTILE = "x' RETURN 1 //"
_BIND = re.compile(r"@@?[A-Za-z_][A-Za-z0-9_]*")


def _all_queries() -> list[aql.Aql]:
    queries = [
        aql.upsert_documents("services", [{"_key": "k", "name": HOSTILE}]),
        aql.documents_by_key("services", [HOSTILE]),
        aql.rows("services", "node"),
        aql.rows("services", "node", {"zone": HOSTILE}, [HOSTILE]),
        aql.rows("service_edges", "edge", {"client": HOSTILE, "server": HOSTILE}),
        aql.edge_step([HOSTILE], True),
        aql.edge_step([HOSTILE], False),
        aql.count("service_edges", "edge"),
        aql.count("service_edges", "edge", stale_only=True),
        aql.count_all("annotations"),
        aql.overlay_versions(HOSTILE),
        aql.insert_document("overlays", {"name": HOSTILE}),
        aql.latest_overlays(),
        *aql.delete_overlay(HOSTILE),
        aql.replace_annotations([{"_key": "k", "overlay": HOSTILE}]),
        aql.remove_annotations(HOSTILE, TargetKind.NODE, [HOSTILE]),
        aql.annotations_of(HOSTILE, TargetKind.EDGE, None),
        aql.annotations_of(HOSTILE, TargetKind.EDGE, [HOSTILE]),
    ]
    for op in AnnotationOp:
        value: Any = [HOSTILE] if op is AnnotationOp.IN else HOSTILE
        queries.append(aql.find_annotated(HOSTILE, TargetKind.NODE, "field", op, value))
    return queries


@pytest.mark.parametrize("query", _all_queries(), ids=lambda q: q.query[:50])
def test_bind_variables_match_the_text_and_carry_every_value(query: aql.Aql) -> None:
    named = set(_BIND.findall(query.query))
    assert named == {f"@{name}" for name in query.bind_vars}
    assert HOSTILE not in query.query
    assert "'" not in query.query
    assert '"' not in query.query


def test_ordered_comparisons_bind_the_json_type() -> None:
    numbers = aql.find_annotated("bcp", TargetKind.NODE, "rto", AnnotationOp.LT, 30)
    assert numbers.bind_vars["type"] == "number"
    assert "TYPENAME(v) == @type AND v < @value" in numbers.query
    words = aql.find_annotated("bcp", TargetKind.NODE, "level", AnnotationOp.GE, "P1")
    assert words.bind_vars["type"] == "string"
    assert "HAS(a.fields, @field)" in words.query


def test_document_keys_are_deterministic_and_safe() -> None:
    key = document_key("api|db|5432")
    assert key == document_key("api|db|5432")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert document_key("a", 1) != document_key("a1")
    assert vertex_id("cluster:redis:c") == f"clusters/{document_key('cluster:redis:c')}"
    assert vertex_id("unattributed:10.0.0.1").startswith("unattributed/")
    assert vertex_id("api").startswith("services/")


def test_documents_round_trip_every_kind() -> None:
    changes = [
        node("api", zone="z", instances=2),
        edge("api", "unattributed:10.0.0.9", 80),
        cluster("cluster:redis:c", ["10.0.0.1"]),
    ]
    for entity in fold({}, changes).values():
        document = entity_document(entity)
        assert document_entity(entity.kind, document) == entity
    row = fold({}, changes)[(EntityKind.EDGE, "api|unattributed:10.0.0.9|80")]
    document = entity_document(row)
    assert document["_from"] == vertex_id("api")
    assert document["_to"] == vertex_id("unattributed:10.0.0.9")
    assert (document["client"], document["server"], document["port"]) == (
        "api",
        "unattributed:10.0.0.9",
        80,
    )


def test_a_cluster_vertex_holds_node_and_cluster_parts_apart() -> None:
    written = fold({}, [cluster("cluster:redis:c", ["10.0.0.1"])])
    as_node = entity_document(written[(EntityKind.NODE, "cluster:redis:c")])
    as_cluster = entity_document(written[(EntityKind.CLUSTER, "cluster:redis:c")])
    assert as_node["_key"] == as_cluster["_key"]
    assert "cluster" not in as_node
    assert "node" not in as_cluster
    assert document_entity(EntityKind.CLUSTER, as_node) is None


def test_annotation_documents_are_keyed_by_overlay_kind_and_target() -> None:
    one = annotation_document("bcp", TargetKind.NODE, "api", {"level": "P0"})
    other = annotation_document("bcp", TargetKind.EDGE, "api", {"level": "P0"})
    assert one["_key"] != other["_key"]
    assert one == {
        "_key": one["_key"],
        "overlay": "bcp",
        "target_kind": "node",
        "target_key": "api",
        "fields": {"level": "P0"},
    }
