"""Overlay definitions: parsing with named errors, whole-batch validation, evolution."""

from __future__ import annotations

import re
from typing import Any

import pytest

from models.overlay_errors import AnnotationError, OverlayDefinitionError
from models.overlay_fields import FieldType
from models.overlay_schema import (
    OverlayDefinition,
    TargetKind,
    check_batch,
    check_successor,
    merge,
    misfits,
    parse_definition,
)
from tests.unit.overlays.conftest import shipped, small_definition


def test_the_shipped_overlays_parse_and_round_trip() -> None:
    bcp = shipped("bcp")
    assert (bcp.name, bcp.version) == ("bcp", 1)
    assert list(bcp.nodes) == ["criticality", "rto", "flows", "startup_time"]
    assert bcp.nodes["criticality"].values == ("P0", "P1", "P2", "P3")
    assert bcp.edges["dependency"].values == ("essential", "optional")
    dr = shipped("data-dr")
    assert dr.nodes["rpo"].type is FieldType.DURATION
    assert dr.nodes["last_backup"].type is FieldType.TIMESTAMP
    assert not dr.edges
    for definition in (bcp, dr):
        assert parse_definition(definition.to_dict()) == definition


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "BCP"}, "name 'BCP' must be lower case letters"),
        ({"version": 0}, "overlay 'small': version must be a whole number from 1, not 0"),
        ({"version": "2"}, "version must be a whole number from 1, not '2'"),
        ({"owner": "x"}, "overlay 'small': unknown key(s) owner"),
        ({"nodes": None, "edges": None}, "overlay 'small' defines no fields"),
        ({"nodes": ["level"]}, "overlay 'small' nodes must be a mapping of field name"),
        (
            {"edges": {"kind": {"type": "enum", "values": []}}},
            "overlay 'small' edges.kind.values must be a non-empty list",
        ),
    ],
)
def test_bad_definitions_name_the_key(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(OverlayDefinitionError, match=re.escape(message)):
        parse_definition(small_definition(**changes))


def test_a_good_batch_comes_back_normalised(small: OverlayDefinition) -> None:
    batch = {
        "checkout": {"level": "P0", "rto": "15m", "flows": ["shop"]},
        "search": {"level": "P2", "rto": 3600},
    }
    assert check_batch(small, TargetKind.NODE, batch) == {
        "checkout": {"level": "P0", "rto": 900, "flows": ["shop"]},
        "search": {"level": "P2", "rto": 3600},
    }
    edges = check_batch(small, TargetKind.EDGE, {"web|api|8080": {"kind": "optional"}})
    assert edges == {"web|api|8080": {"kind": "optional"}}


def test_a_bad_batch_is_rejected_whole_naming_target_field_and_rule(
    small: OverlayDefinition,
) -> None:
    batch = {
        "checkout": {"level": "P0", "rto": "15m"},
        "search": {"level": "P7", "rto": "soon", "colour": "red"},
        "cart": {"rto": "1h"},
    }
    with pytest.raises(AnnotationError) as info:
        check_batch(small, TargetKind.NODE, batch)
    problems = info.value.problems
    assert problems == (
        "node 'search': field 'level' (enum) must be one of P0, P1, P2, not str 'P7'",
        "node 'search': field 'rto' (duration) is not a duration: str 'soon'; write for example "
        "90s, 30m, 4h, 1h30m, 7d, or a number of seconds",
        "node 'search': field 'colour' is not in overlay 'small' v1 for nodes "
        "(its fields: level, rto, flows)",
        "node 'cart': field 'level' is required by overlay 'small' v1",
    )
    assert str(info.value).startswith("annotations rejected, nothing stored (4 problems):")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("web|api", "edge key 'web|api' must be client|server|port"),
        ("web|api|http", "must be client|server|port"),
        ("web|api|99999", "must be client|server|port"),
        ("web|api|+80", "must be client|server|port"),
        ("|api|80", "client must be a non-empty name"),
    ],
)
def test_edge_keys_are_checked(small: OverlayDefinition, key: str, message: str) -> None:
    with pytest.raises(AnnotationError, match=re.escape(message)):
        check_batch(small, TargetKind.EDGE, {key: {"kind": "optional"}})


def test_merge_sets_and_clears_fields() -> None:
    assert merge({"a": 1, "b": 2}, {"b": 3, "a": None, "c": 4}) == {"b": 3, "c": 4}
    assert merge(None, {"a": 1}) == {"a": 1}


def test_evolution_reports_the_annotations_that_no_longer_fit(small: OverlayDefinition) -> None:
    stored = {
        "checkout": {"level": "P0", "rto": 900, "flows": ["shop"]},
        "search": {"level": "P2", "rto": 3600},
    }
    # v2 drops P2, makes startup required and turns flows into an enum list.
    v2 = parse_definition(
        small_definition(
            version=2,
            nodes={
                "level": {"type": "enum", "values": ["P0", "P1"], "required": True},
                "rto": {"type": "duration", "required": True},
                "startup": {"type": "duration", "required": True},
                "flows": {"type": "list", "items": "enum", "values": ["checkout"]},
            },
        )
    )
    assert check_successor(small, v2) is True
    assert misfits(v2, TargetKind.NODE, stored) == [
        "node 'checkout': field 'flows' (list) item 0: must be one of checkout, not str 'shop'",
        "node 'checkout': field 'startup' is required by overlay 'small' v2",
        "node 'search': field 'level' (enum) must be one of P0, P1, not str 'P2'",
        "node 'search': field 'startup' is required by overlay 'small' v2",
    ]
    # The stored (normal) form re-validates under an unchanged schema.
    assert misfits(small, TargetKind.NODE, stored) == []


def test_versions_go_up_one_at_a_time(small: OverlayDefinition) -> None:
    assert check_successor(None, parse_definition(small_definition(version=3))) is True
    assert check_successor(small, parse_definition(small_definition())) is False
    with pytest.raises(OverlayDefinitionError, match="already registered with other fields"):
        check_successor(small, parse_definition(small_definition(description="new")))
    with pytest.raises(OverlayDefinitionError, match="cannot follow v1: register version 2"):
        check_successor(small, parse_definition(small_definition(version=3)))
