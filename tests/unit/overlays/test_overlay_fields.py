"""Field types: what each accepts, its normal form, and the rule a bad value breaks."""

from __future__ import annotations

import re
from typing import Any

import pytest

from models.overlay_errors import OverlayDefinitionError
from models.overlay_fields import (
    FieldSpec,
    FieldType,
    format_duration,
    parse_duration,
    parse_field,
    timestamp_seconds,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("4h", 14400),
        ("1h30m", 5400),
        ("90s", 90),
        ("7d", 604800),
        ("1w", 604800),
        ("1.5h", 5400),
        (" 2H ", 7200),
        ("45", 45),
        (3600, 3600),
        (2.5, 2.5),
        (60.0, 60),
    ],
)
def test_durations_are_stored_as_seconds(text: Any, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("value", ["soon", "30 minutes", "m30", "", "-5", -1, True, None, "nan"])
def test_bad_durations_say_how_to_write_one(value: Any) -> None:
    with pytest.raises(ValueError, match=r"duration"):
        parse_duration(value)


def test_duration_normal_form_round_trips_and_formats() -> None:
    assert parse_duration(parse_duration("1h30m")) == 5400
    assert format_duration(5400) == "1h30m"
    assert format_duration(86400 + 60) == "1d1m"
    assert format_duration(0) == "0s"


def test_timestamps_are_stored_in_utc_with_z() -> None:
    spec = FieldSpec("last_backup", FieldType.TIMESTAMP)
    assert spec.check("2024-05-01T12:00:00+02:00") == "2024-05-01T10:00:00Z"
    assert spec.check("2024-05-01T10:00:00Z") == "2024-05-01T10:00:00Z"
    assert spec.check("2024-05-01T10:00:00.25Z") == "2024-05-01T10:00:00.250000Z"
    assert timestamp_seconds("2024-05-01T10:00:00Z") == 1714557600.0
    with pytest.raises(ValueError, match="has no zone; add Z"):
        spec.check("2024-05-01T10:00:00")
    with pytest.raises(ValueError, match="ISO 8601"):
        spec.check("yesterday")


def test_enum_list_and_scalars() -> None:
    level = FieldSpec("criticality", FieldType.ENUM, values=("P0", "P1"))
    assert level.check("P1") == "P1"
    with pytest.raises(ValueError, match="must be one of P0, P1, not str 'P9'"):
        level.check("P9")
    flows = FieldSpec("flows", FieldType.LIST, items=FieldType.STRING)
    assert flows.check(["a", "b"]) == ["a", "b"]
    with pytest.raises(ValueError, match="item 1: must be text, not int 3"):
        flows.check(["a", 3])
    with pytest.raises(ValueError, match="must be a list of string"):
        flows.check("a")
    number = FieldSpec("n", FieldType.NUMBER)
    with pytest.raises(ValueError, match="must be a number, not bool"):
        number.check(True)
    with pytest.raises(ValueError, match="finite"):
        number.check(float("inf"))
    with pytest.raises(ValueError, match="true or false"):
        FieldSpec("b", FieldType.BOOLEAN).check("yes")


def test_values_from_text_follow_the_type() -> None:
    assert FieldSpec("n", FieldType.NUMBER).from_text("3") == 3
    assert FieldSpec("n", FieldType.NUMBER).from_text("2.5") == 2.5
    assert FieldSpec("b", FieldType.BOOLEAN).from_text("yes") is True
    assert FieldSpec("d", FieldType.DURATION).from_text("1h") == 3600
    durations = FieldSpec("l", FieldType.LIST, items=FieldType.DURATION)
    assert durations.from_text("1m; 2m") == [60, 120]
    assert durations.from_text("") == []
    with pytest.raises(ValueError, match="must be a number, not 'three'"):
        FieldSpec("n", FieldType.NUMBER).from_text("three")


def test_enum_and_timestamp_rank_in_their_order() -> None:
    level = FieldSpec("criticality", FieldType.ENUM, values=("P0", "P1", "P2"))
    assert level.rank("P0") < level.rank("P2")
    moment = FieldSpec("t", FieldType.TIMESTAMP)
    # Lexically "...00.5Z" sorts before "...00Z"; the rank compares the moments.
    assert moment.rank("2024-05-01T10:00:00.500000Z") > moment.rank("2024-05-01T10:00:00Z")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("Rto", {"type": "duration"}, "field name 'Rto' must be lower case"),
        ("rto", {"type": "interval"}, "nodes.rto.type must be one of string, number"),
        ("rto", {"type": "duration", "required": "yes"}, "nodes.rto.required must be true or"),
        ("level", {"type": "enum"}, "nodes.level.values must be a non-empty list"),
        ("level", {"type": "enum", "values": ["a", "a"]}, "nodes.level.values lists a value"),
        ("rto", {"type": "duration", "values": ["a"]}, "nodes.rto.values is only for type enum"),
        ("flows", {"type": "list"}, "nodes.flows.items must be one of"),
        ("flows", {"type": "list", "items": "list"}, "a list of lists is not supported"),
        ("rto", {"type": "duration", "min": 1}, "nodes.rto: unknown key(s) min"),
        ("rto", ["duration"], "nodes.rto: must be a mapping with a 'type'"),
    ],
)
def test_bad_field_definitions_name_the_field(name: str, data: Any, message: str) -> None:
    with pytest.raises(OverlayDefinitionError, match=re.escape(message)):
        parse_field(f"nodes.{name}", name, data)


def test_a_field_definition_reads_short_and_long_forms() -> None:
    assert parse_field("n.x", "x", "string") == FieldSpec("x", FieldType.STRING)
    spec = parse_field(
        "n.x", "x", {"type": "list", "items": "enum", "values": ["a", "b"], "required": True}
    )
    assert (spec.items, spec.values, spec.required) == (FieldType.ENUM, ("a", "b"), True)
    assert spec.check(["b", "a"]) == ["b", "a"]
    with pytest.raises(ValueError, match="item 0: must be one of a, b"):
        spec.check(["c"])
