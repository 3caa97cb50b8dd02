"""Contract: what the store refuses, with a message that says why, and nothing half-written."""

from __future__ import annotations

import math
from typing import Any

import pytest

from models.graph_change import ChangeType, EntityKind, GraphChange
from sinks.errors import StoreInputError
from sinks.store import GraphStore

from .builders import cluster, edge, node


def _bad_edge_payload() -> GraphChange:
    good = edge("a", "b")
    return GraphChange(good.kind, good.change, good.key, good.at, {**good.payload, "attempts": "x"})


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            GraphChange(EntityKind.EDGE, ChangeType.UPDATED, "a|b", 1.0, {}),
            "not client|server|port",
        ),
        (GraphChange(EntityKind.EDGE, ChangeType.UPDATED, "a|b|x", 1.0, {}), "client|server|port"),
        (GraphChange(EntityKind.EDGE, ChangeType.UPDATED, "|b|1", 1.0, {}), "name a client"),
        (GraphChange(EntityKind.EDGE, ChangeType.UPDATED, "a|b|70000", 1.0, {}), "TCP port"),
        (_bad_edge_payload(), "attempts 'x' is not a number"),
        (GraphChange(EntityKind.CLUSTER, ChangeType.APPEARED, "cluster:c", 1.0, {}), "engine"),
        (GraphChange(EntityKind.NODE, ChangeType.APPEARED, "", 1.0, {}), "the key is empty"),
        (GraphChange(EntityKind.NODE, ChangeType.APPEARED, "a", math.nan, {}), "finite"),
        (GraphChange(EntityKind.NODE, ChangeType.APPEARED, "a", 1.0, {"zone": 3}), "zone"),
        (GraphChange(EntityKind.NODE, ChangeType.APPEARED, "a", 1.0, {"x": {1, 2}}), "JSON"),
        (GraphChange(EntityKind.NODE, ChangeType.APPEARED, "a", 1.0, {"x": math.inf}), "JSON"),
    ],
)
def test_a_bad_change_refuses_the_whole_batch(
    store: GraphStore, bad: GraphChange, message: str
) -> None:
    batch = [node("ok", zone="z"), edge("ok", "fine"), bad, cluster("cluster:c", ["10.0.0.1"])]
    with pytest.raises(StoreInputError, match=message) as refused:
        store.apply_changes(batch)
    assert "change #2" in str(refused.value)
    assert "nothing of this batch was written" in str(refused.value)
    assert store.nodes() == []
    assert store.edges() == []
    assert store.clusters() == []


def test_a_change_that_is_no_graph_change_is_refused(store: GraphStore) -> None:
    not_a_change: Any = {"kind": "node"}
    with pytest.raises(StoreInputError, match="change #0 is a dict, not a GraphChange"):
        store.apply_changes([not_a_change])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.node(""), "node must be a non-empty string"),
        (lambda s: s.edge(None), "edge key must be a non-empty string"),
        (lambda s: s.nodes(kind="planet"), "kind must be service, cluster or unattributed"),
        (lambda s: s.nodes(zone=""), "zone must be a non-empty string"),
        (lambda s: s.nodes(names="api"), "must be a list of names"),
        (lambda s: s.edges(client="x" * 2000), "the limit is 1024"),
        (lambda s: s.put_overlay("", 1, {}), "overlay name must be a non-empty string"),
        (lambda s: s.put_overlay("bcp", 0, {}), "whole number >= 1"),
        (lambda s: s.put_overlay("bcp", 1.5, {}), "whole number >= 1"),
        (lambda s: s.put_overlay("bcp", 1, ["a"]), "definition must be a JSON object"),
        (lambda s: s.put_overlay("bcp", 1, {"x": object()}), "cannot be stored as JSON"),
        (lambda s: s.overlay("bcp", -1), "whole number >= 1"),
        (lambda s: s.put_annotations("bcp", "vertex", {}), "target kind 'vertex' is not one of"),
        (lambda s: s.put_annotations("bcp", "node", ["api"]), "must map target keys"),
        (lambda s: s.put_annotations("bcp", "node", {"api": 1}), "must be an object of fields"),
        (lambda s: s.put_annotations("bcp", "node", {"": {}}), "target key must be a non-empty"),
        (lambda s: s.put_annotations("bcp", "node", {"a": {"x y": 1}}), "field 'x y' is not"),
        (lambda s: s.find_annotated("bcp", "node", "a.b", "eq", 1), "field 'a.b' is not"),
        (lambda s: s.find_annotated("bcp", "node", "a", "like", 1), "operator 'like' is not"),
        (lambda s: s.find_annotated("bcp", "node", "a", "lt", True), "compares numbers or str"),
        (lambda s: s.find_annotated("bcp", "node", "a", "lt", None), "compares numbers or str"),
        (lambda s: s.find_annotated("bcp", "node", "a", "in", "P0"), "'in' needs a list"),
        (lambda s: s.find_annotated("bcp", "node", "a", "in", [[1]]), "'in' needs a list"),
        (lambda s: s.find_annotated("bcp", "node", "a", "eq", [1]), "'eq' needs a string"),
        (lambda s: s.find_annotated("bcp", "node", "a", "contains", None), "to look for"),
        (lambda s: s.find_annotated("bcp", "node", "a", "eq", math.nan), "'eq' needs a string"),
    ],
)
def test_bad_arguments_are_refused(store: GraphStore, call: Any, message: str) -> None:
    store.put_overlay("bcp", 1, {})
    with pytest.raises(StoreInputError, match=message):
        call(store)
    assert store.annotations("bcp", "node") == {}
