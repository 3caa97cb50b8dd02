"""The types an overlay field may have, and how a value is checked and normalised for each.

Values are stored in one normal form so that stored annotations compare and re-validate
without surprises: durations as seconds, timestamps as UTC ISO 8601 text ending in ``Z``,
numbers as int or float. The normal form of a value is accepted again as input, so checking
stored annotations against a new version of the schema needs nothing special.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from models.overlay_errors import OverlayDefinitionError

MAX_TEXT = 1024
"""Longest string value or list element."""
MAX_ITEMS = 256
"""Longest list value."""
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(w|d|h|m|s)")
_DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
DURATION_HINT = "write for example 90s, 30m, 4h, 1h30m, 7d, or a number of seconds"
TIMESTAMP_HINT = "write ISO 8601 with a zone, for example 2024-05-01T10:00:00Z"


class FieldType(StrEnum):
    """What an annotation field holds."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ENUM = "enum"
    """One of the field's ``values``; ordered as listed (so P0 < P1 for criticality)."""
    DURATION = "duration"
    """A length of time, stored as seconds."""
    TIMESTAMP = "timestamp"
    """A moment, stored as UTC ISO 8601 text."""
    LIST = "list"
    """A list of the field's ``items`` type (not of lists)."""


ORDERED_TYPES = frozenset(
    {FieldType.NUMBER, FieldType.ENUM, FieldType.DURATION, FieldType.TIMESTAMP}
)
"""Types whose values compare with <, <=, > and >=."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One annotation field of an overlay."""

    name: str
    type: FieldType
    required: bool = False
    description: str = ""
    values: tuple[str, ...] = ()
    """The allowed values of an enum (or of an enum list's items), in their order."""
    items: FieldType | None = None
    """The element type of a list."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type.value, "required": self.required}
        if self.description:
            out["description"] = self.description
        if self.items is not None:
            out["items"] = self.items.value
        if self.values:
            out["values"] = list(self.values)
        return out

    def check(self, value: Any) -> Any:
        """The normal form of ``value``, or ``ValueError`` with the rule it broke."""
        if self.type is FieldType.LIST:
            assert self.items is not None
            if not isinstance(value, list | tuple):
                raise ValueError(f"must be a list of {self.items.value}, not {_show(value)}")
            if len(value) > MAX_ITEMS:
                raise ValueError(f"has {len(value)} items; a list holds at most {MAX_ITEMS}")
            out = []
            for index, item in enumerate(value):
                try:
                    out.append(_check_scalar(self.items, self.values, item))
                except ValueError as exc:
                    raise ValueError(f"item {index}: {exc}") from exc
            return out
        return _check_scalar(self.type, self.values, value)

    def from_text(self, text: str) -> Any:
        """The normal form of a value written as text (a CSV cell, a command-line ``k=v``)."""
        if self.type is FieldType.LIST:
            parts = [part.strip() for part in text.split(";")] if text.strip() else []
            assert self.items is not None
            items = [_scalar_from_text(self.items, part) for part in parts]
            return self.check(items)
        return self.check(_scalar_from_text(self.type, text))

    def rank(self, value: Any) -> Any:
        """A sortable stand-in for a normalised value of an ordered type (enum: its position)."""
        if self.type is FieldType.ENUM:
            return self.values.index(value)
        if self.type is FieldType.TIMESTAMP:
            return timestamp_seconds(value)
        return value


def parse_field(where: str, name: str, data: Any) -> FieldSpec:
    """A field spec from its definition entry; ``where`` prefixes every error (``nodes.rto``)."""
    if not isinstance(name, str) or not FIELD_NAME.match(name):
        raise OverlayDefinitionError(
            f"{where}: field name {name!r} must be lower case letters, digits and _, "
            "starting with a letter, at most 64 characters"
        )
    if isinstance(data, str):
        data = {"type": data}
    if not isinstance(data, Mapping):
        raise OverlayDefinitionError(f"{where}: must be a mapping with a 'type', not {_show(data)}")
    unknown = set(data) - {"type", "required", "description", "values", "items"}
    if unknown:
        raise OverlayDefinitionError(
            f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            "allowed: type, required, description, values, items"
        )
    kind = _field_type(f"{where}.type", data.get("type"))
    required = data.get("required", False)
    if not isinstance(required, bool):
        raise OverlayDefinitionError(f"{where}.required must be true or false, not {required!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise OverlayDefinitionError(f"{where}.description must be text")
    items: FieldType | None = None
    if kind is FieldType.LIST:
        items = _field_type(f"{where}.items", data.get("items"))
        if items is FieldType.LIST:
            raise OverlayDefinitionError(f"{where}.items: a list of lists is not supported")
    elif "items" in data:
        raise OverlayDefinitionError(f"{where}.items is only for type list")
    enum_like = kind is FieldType.ENUM or items is FieldType.ENUM
    values = _enum_values(f"{where}.values", data.get("values")) if enum_like else ()
    if not enum_like and "values" in data:
        raise OverlayDefinitionError(f"{where}.values is only for type enum (or a list of enum)")
    return FieldSpec(name, kind, required, description.strip(), values, items)


def parse_duration(value: Any) -> float | int:
    """Seconds from ``"1h30m"``-style text or a number; ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"is not a duration: {value!r}; {DURATION_HINT}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"must be a non-negative duration, not {value!r}")
        return int(value) if float(value).is_integer() else value
    if not isinstance(value, str):
        raise ValueError(f"is not a duration: {_show(value)}; {DURATION_HINT}")
    text = value.strip().lower().replace(" ", "")
    if text and _DURATION_PART.sub("", text) == "":
        parts = _DURATION_PART.findall(text)
        return parse_duration(sum(float(n) * _DURATION_UNITS[unit] for n, unit in parts))
    try:
        seconds = float(text)
    except ValueError as exc:
        raise ValueError(f"is not a duration: {_show(value)}; {DURATION_HINT}") from exc
    return parse_duration(seconds)


def format_duration(seconds: float) -> str:
    """``5400`` -> ``"1h30m"``: the short form people write in annotation files."""
    if seconds < 0 or not math.isfinite(seconds):
        return str(seconds)
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds}s"
    parts = []
    for unit in ("d", "h", "m", "s"):
        size = _DURATION_UNITS[unit]
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts) or "0s"


def parse_timestamp(value: Any) -> datetime:
    """An aware datetime from ISO 8601 text with a zone; ``ValueError`` otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"is not a timestamp: {_show(value)}; {TIMESTAMP_HINT}")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError as exc:
        raise ValueError(f"is not a timestamp: {_show(value)}; {TIMESTAMP_HINT}") from exc
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no zone; add Z or an offset like +02:00")
    return moment


def timestamp_seconds(value: str) -> float:
    """Epoch seconds of a stored (normalised) timestamp."""
    return parse_timestamp(value).timestamp()


def _check_scalar(kind: FieldType, values: Sequence[str], value: Any) -> Any:
    if kind is FieldType.STRING:
        if not isinstance(value, str):
            raise ValueError(f"must be text, not {_show(value)}")
        if len(value) > MAX_TEXT:
            raise ValueError(f"is {len(value)} characters long; at most {MAX_TEXT}")
        return value
    if kind is FieldType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, not {_show(value)}")
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, not {value!r}")
        return value
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {_show(value)}")
        return value
    if kind is FieldType.ENUM:
        if not isinstance(value, str) or value not in values:
            raise ValueError(f"must be one of {', '.join(values)}, not {_show(value)}")
        return value
    if kind is FieldType.DURATION:
        return parse_duration(value)
    if kind is FieldType.TIMESTAMP:
        moment = parse_timestamp(value).astimezone(UTC)
        spec = "seconds" if moment.microsecond == 0 else "microseconds"
        return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
    raise ValueError(f"has type {kind.value}, which cannot be nested here")


def _scalar_from_text(kind: FieldType, text: str) -> Any:
    text = text.strip()
    if kind is FieldType.NUMBER:
        try:
            number = float(text)
        except ValueError as exc:
            raise ValueError(f"must be a number, not {text[:60]!r}") from exc
        return int(number) if number.is_integer() and "." not in text else number
    if kind is FieldType.BOOLEAN:
        lowered = text.lower()
        if lowered in {"true", "yes", "1"}:
            return True
        if lowered in {"false", "no", "0"}:
            return False
        raise ValueError(f"must be true or false, not {text[:60]!r}")
    return text


def _field_type(where: str, value: Any) -> FieldType:
    try:
        return FieldType(value)
    except ValueError as exc:
        allowed = ", ".join(kind.value for kind in FieldType)
        raise OverlayDefinitionError(f"{where} must be one of {allowed}, not {value!r}") from exc


def _enum_values(where: str, value: Any) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise OverlayDefinitionError(f"{where} must be a non-empty list of names")
    if len(set(value)) != len(value):
        raise OverlayDefinitionError(f"{where} lists a value twice")
    return tuple(value)


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r:.60}"
