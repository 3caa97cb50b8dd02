"""Contract: ``swap_annotations`` writes only when the targets still hold what the writer read."""

from __future__ import annotations

from typing import Any

import pytest

from models.overlay_schema import TargetKind
from sinks.errors import AnnotationConflictError, StoreInputError, UnknownOverlayError
from sinks.store import GraphStore

NODE, EDGE = TargetKind.NODE, TargetKind.EDGE


@pytest.fixture
def bcp(store: GraphStore) -> GraphStore:
    store.put_overlay("bcp", 1, {"nodes": {}, "edges": {}})
    store.put_annotations("bcp", NODE, {"api": {"level": "P0", "rto": 30}, "db": {"rto": 1}})
    return store


def test_a_matching_read_writes_every_kind_at_once(bcp: GraphStore) -> None:
    bcp.swap_annotations(
        "bcp",
        {NODE: {"api": {"level": "P0", "rto": 30}, "web": None}, EDGE: {"a|b|1": None}},
        {NODE: {"api": {"level": "P1"}, "web": {"level": "P2"}}, EDGE: {"a|b|1": {"x": True}}},
    )
    assert bcp.annotations("bcp", NODE) == {
        "api": {"level": "P1"},
        "db": {"rto": 1},
        "web": {"level": "P2"},
    }
    assert bcp.annotations("bcp", EDGE) == {"a|b|1": {"x": True}}


def test_none_removes_an_annotation(bcp: GraphStore) -> None:
    bcp.swap_annotations("bcp", {NODE: {"db": {"rto": 1}}}, {NODE: {"db": None}})
    assert sorted(bcp.annotations("bcp", NODE)) == ["api"]


@pytest.mark.parametrize(
    "expected",
    [
        {"api": {"level": "P0"}},  # a field was added by someone else
        {"api": {"level": "P0", "rto": 30.5}},
        {"api": {"level": "P0", "rto": True}},  # type-strict: 30 is not true
        {"api": None},  # it was created meanwhile
        {"web": {"level": "P2"}},  # it was removed meanwhile
    ],
)
def test_a_stale_read_is_refused_and_nothing_is_written(
    bcp: GraphStore, expected: dict[str, Any]
) -> None:
    before = bcp.annotations("bcp", NODE)
    with pytest.raises(AnnotationConflictError, match="changed while being updated"):
        bcp.swap_annotations(
            "bcp",
            {EDGE: {"a|b|1": None}, NODE: expected},
            {EDGE: {"a|b|1": {"x": 1}}, NODE: {key: {"level": "P9"} for key in expected}},
        )
    assert bcp.annotations("bcp", NODE) == before
    assert bcp.annotations("bcp", EDGE) == {}


def test_an_unknown_overlay_or_bad_fields_are_refused(bcp: GraphStore) -> None:
    with pytest.raises(UnknownOverlayError):
        bcp.swap_annotations("nope", {NODE: {"api": None}}, {NODE: {"api": {"a": 1}}})
    with pytest.raises(StoreInputError, match="field"):
        bcp.swap_annotations("bcp", {NODE: {"x": None}}, {NODE: {"x": {"bad name": 1}}})
    with pytest.raises(StoreInputError, match="target kind"):
        bcp.swap_annotations("bcp", {"vertex": {}}, {})  # type: ignore[dict-item]
    assert sorted(bcp.annotations("bcp", NODE)) == ["api", "db"]
