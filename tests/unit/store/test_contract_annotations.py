"""Contract: annotations live apart from stream fields, survive upserts and staleness, and query."""

from __future__ import annotations

from typing import Any

import pytest

from models.graph_change import ChangeType
from sinks.errors import UnknownOverlayError
from sinks.store import GraphStore

from .builders import edge, node

ANNOTATED: dict[str, dict[str, Any]] = {
    "api": {"level": "P0", "rto": 30, "flows": ["checkout", "login"], "on_call": True},
    "db": {"level": "P1", "rto": 240.5, "flows": ["checkout"], "on_call": False},
    "web": {"level": "P2", "rto": 15, "flows": [], "owner": "team-web", "note": None},
    "cron": {"level": "P0", "rto": "1h", "flows": ["batch", 3]},
}


@pytest.fixture
def annotated(store: GraphStore) -> GraphStore:
    store.put_overlay("bcp", 1, {"nodes": {}, "edges": {}})
    store.put_annotations("bcp", "node", ANNOTATED)
    return store


def test_put_and_read_back(annotated: GraphStore) -> None:
    assert annotated.annotations("bcp", "node") == ANNOTATED
    assert annotated.annotations("bcp", "node", ["db", "nobody"]) == {"db": ANNOTATED["db"]}
    assert annotated.annotations("bcp", "edge") == {}
    assert annotated.counts().annotations == 4


def test_put_replaces_a_targets_fields(annotated: GraphStore) -> None:
    annotated.put_annotations("bcp", "node", {"api": {"level": "P1"}})
    assert annotated.annotations("bcp", "node", ["api"]) == {"api": {"level": "P1"}}
    assert annotated.annotations("bcp", "node", ["db"]) == {"db": ANNOTATED["db"]}


def test_remove(annotated: GraphStore) -> None:
    assert annotated.remove_annotations("bcp", "node", ["api", "web", "nobody"]) == 2
    assert sorted(annotated.annotations("bcp", "node")) == ["cron", "db"]
    assert annotated.remove_annotations("bcp", "node", []) == 0


def test_annotations_are_kept_apart_per_overlay_and_target_kind(annotated: GraphStore) -> None:
    annotated.put_overlay("dr", 1, {})
    annotated.put_annotations("dr", "node", {"api": {"rpo": 60}})
    annotated.put_annotations("bcp", "edge", {"api|db|5432": {"essential": True}})
    assert annotated.annotations("dr", "node") == {"api": {"rpo": 60}}
    assert annotated.annotations("bcp", "edge") == {"api|db|5432": {"essential": True}}
    assert annotated.annotations("bcp", "node", ["api"]) == {"api": ANNOTATED["api"]}


def test_stream_upserts_and_staleness_never_touch_annotations(store: GraphStore) -> None:
    store.put_overlay("bcp", 1, {})
    store.put_annotations("bcp", "edge", {"api|db|5432": {"essential": True}})
    store.put_annotations("bcp", "node", {"api": {"level": "P0"}})
    store.apply_changes([node("api", at=1.0, zone="z"), edge("api", "db", 5432, at=2.0)])
    store.apply_changes([edge("api", "db", 5432, at=3.0, change=ChangeType.STALE, status="stale")])
    assert store.annotations("bcp", "edge") == {"api|db|5432": {"essential": True}}
    store.apply_changes([edge("api", "db", 5432, at=4.0, change=ChangeType.REACTIVATED)])
    store.apply_changes([node("api", at=5.0, instances=7)])
    assert store.annotations("bcp", "edge") == {"api|db|5432": {"essential": True}}
    assert store.annotations("bcp", "node") == {"api": {"level": "P0"}}
    row = store.node("api")
    assert row is not None
    assert "level" not in row


def test_annotations_may_precede_their_target(store: GraphStore) -> None:
    store.put_overlay("bcp", 1, {})
    store.put_annotations("bcp", "node", {"planned-service": {"level": "P0"}})
    assert store.node("planned-service") is None
    assert store.find_annotated("bcp", "node", "level", "eq", "P0") == ["planned-service"]


def test_an_unknown_overlay_is_refused_and_nothing_is_written(store: GraphStore) -> None:
    with pytest.raises(UnknownOverlayError, match="register it before annotating"):
        store.put_annotations("ghost", "node", {"api": {"level": "P0"}})
    assert store.counts().annotations == 0


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("level", "eq", "P0", ["api", "cron"]),
        ("level", "ne", "P0", ["db", "web"]),
        ("level", "in", ["P1", "P2"], ["db", "web"]),
        ("level", "in", [], []),
        ("rto", "eq", 30, ["api"]),
        ("rto", "eq", 30.0, ["api"]),
        ("rto", "eq", "30", []),
        ("rto", "lt", 30, ["web"]),
        ("rto", "le", 30, ["api", "web"]),
        ("rto", "gt", 30, ["db"]),
        ("rto", "ge", 15, ["api", "db", "web"]),
        ("rto", "ge", "1h", ["cron"]),
        ("rto", "in", [15, "1h"], ["cron", "web"]),
        ("flows", "contains", "checkout", ["api", "db"]),
        ("flows", "contains", 3, ["cron"]),
        ("owner", "contains", "web", ["web"]),
        ("owner", "contains", "mobile", []),
        ("on_call", "eq", True, ["api"]),
        ("on_call", "eq", False, ["db"]),
        ("on_call", "eq", 1, []),
        ("on_call", "ne", True, ["db"]),
        ("note", "eq", None, ["web"]),
        ("note", "ne", None, []),
        ("owner", "ne", "team-web", []),
        ("missing", "ne", "x", []),
        ("level", "lt", "P1", ["api", "cron"]),
    ],
)
def test_find_annotated(
    annotated: GraphStore, field: str, op: str, value: Any, expected: list[str]
) -> None:
    assert annotated.find_annotated("bcp", "node", field, op, value) == expected


def test_find_annotated_looks_only_at_its_overlay_and_kind(annotated: GraphStore) -> None:
    annotated.put_overlay("dr", 1, {})
    annotated.put_annotations("dr", "node", {"db": {"level": "P0"}})
    annotated.put_annotations("bcp", "edge", {"x|y|1": {"level": "P0"}})
    assert annotated.find_annotated("bcp", "node", "level", "eq", "P0") == ["api", "cron"]
    assert annotated.find_annotated("dr", "node", "level", "eq", "P0") == ["db"]
    assert annotated.find_annotated("bcp", "edge", "level", "eq", "P0") == ["x|y|1"]
