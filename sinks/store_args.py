"""Checks of the arguments every store method takes, shared by the backends.

Each check returns the normalised value or raises ``StoreInputError`` with what is accepted,
before a backend builds a query, so every backend refuses the same inputs with the same words.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from models import query_input
from models.overlay_schema import TargetKind
from models.query_input import BadQueryError, Direction, NodeKind
from sinks.errors import (
    AnnotationConflictError,
    OverlayConflictError,
    StoreInputError,
    UnknownOverlayError,
)
from sinks.store import AnnotationOp
from sinks.store_fold import encode_json

MAX_KEY_LENGTH = 1024
"""Longest node, edge, overlay or target key the store takes."""
FIELD_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
"""Annotation field names: identifiers, so they are safe inside a JSON path."""

_T = TypeVar("_T")
_ORDERED = (AnnotationOp.LT, AnnotationOp.LE, AnnotationOp.GT, AnnotationOp.GE)


def check_name(what: str, value: object) -> str:
    """A node, overlay or key name: a non-empty string of bounded length."""
    if not isinstance(value, str) or not value:
        raise StoreInputError(f"{what} must be a non-empty string, not {value!r:.80}")
    if len(value) > MAX_KEY_LENGTH:
        raise StoreInputError(
            f"{what} is {len(value)} characters long; the limit is {MAX_KEY_LENGTH}"
        )
    return value


def check_names(what: str, values: Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise StoreInputError(f"{what} must be a list of names, not one string {values!r:.80}")
    return sorted({check_name(what, value) for value in values})


def check_target_kind(value: object) -> TargetKind:
    try:
        return TargetKind(str(value))
    except ValueError:
        raise StoreInputError(
            f"target kind {value!r:.40} is not one of {', '.join(TargetKind)}"
        ) from None


def check_field(value: object) -> str:
    if not isinstance(value, str) or FIELD_PATTERN.fullmatch(value) is None:
        raise StoreInputError(
            f"annotation field {value!r:.80} is not a name of letters, digits, '_' and '-' "
            "starting with a letter or '_' (at most 64 characters)"
        )
    return value


def check_version(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StoreInputError(f"overlay version must be a whole number >= 1, not {value!r:.40}")
    return value


def check_definition(name: str, definition: object) -> str:
    """The definition as stored JSON text."""
    if not isinstance(definition, Mapping):
        raise StoreInputError(f"overlay {name!r} definition must be a JSON object")
    return _json(f"overlay {name!r} definition", dict(definition))


def check_annotations(values: object) -> dict[str, str]:
    """Target key to its fields as stored JSON text."""
    if not isinstance(values, Mapping):
        raise StoreInputError("annotations must map target keys to objects of field values")
    out: dict[str, str] = {}
    for key, fields in values.items():
        check_name("annotation target key", key)
        if not isinstance(fields, Mapping):
            raise StoreInputError(f"annotations of {key!r:.200} must be an object of fields")
        for field in fields:
            check_field(field)
        out[key] = _json(f"annotations of {key!r:.200}", dict(fields))
    return out


Swap = dict[TargetKind, dict[str, dict[str, Any] | None]]
"""Per target kind, target key to its fields (None: no annotation), checked and copied."""


def check_swap(values: object) -> Swap:
    """A side of ``swap_annotations``: each target's fields as ``check_annotations`` wants them."""
    if not isinstance(values, Mapping):
        raise StoreInputError("annotations to swap must map target kinds to targets")
    out: Swap = {}
    for kind, targets in values.items():
        checked = check_target_kind(kind)
        if not isinstance(targets, Mapping):
            raise StoreInputError(f"the {checked.value} annotations to swap must be an object")
        present, gone = present_and_gone(targets)
        check_annotations(present)  # names the keys of these too
        for key in gone:
            check_name("annotation target key", key)
        out[checked] = {
            key: None if fields is None else dict(fields) for key, fields in targets.items()
        }
    return out


def present_and_gone(
    targets: Mapping[str, Mapping[str, Any] | None],
) -> tuple[dict[str, Mapping[str, Any]], list[str]]:
    """The targets that get fields, and the keys of those whose annotation goes (None)."""
    present = {key: fields for key, fields in targets.items() if fields is not None}
    return present, [key for key, fields in targets.items() if fields is None]


def changed_targets(
    expected: Mapping[str, Mapping[str, Any] | None], current: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Keys whose stored fields are not what the writer read (compared as canonical JSON, so
    that ``1`` and ``true`` or ``1`` and ``1.5`` differ as they do in the store)."""
    return [
        key
        for key, fields in expected.items()
        if _canonical(fields) != _canonical(current.get(key))
    ]


def _canonical(fields: Mapping[str, Any] | None) -> str | None:
    return None if fields is None else json.dumps(fields, sort_keys=True, allow_nan=False)


def conflict(overlay: str, kind: TargetKind, keys: list[str]) -> AnnotationConflictError:
    shown = ", ".join(repr(key) for key in keys[:5]) + (" ..." if len(keys) > 5 else "")
    return AnnotationConflictError(
        f"{len(keys)} {kind.value} annotation(s) of overlay {overlay!r} changed while being "
        f"updated ({shown}); read them again and retry"
    )


def check_direction(value: object) -> Direction:
    return _query(query_input.check_direction, value)


def check_hops(value: object) -> int:
    return _query(query_input.check_hops, value)


def check_node_kind(value: object) -> NodeKind | None:
    return _query(query_input.check_kind, value)


def _query(check: Callable[[object], _T], value: object) -> _T:
    """The graph API's own parameter check, with the store's error."""
    try:
        return check(value)
    except BadQueryError as exc:
        raise StoreInputError(str(exc)) from exc


def check_condition(op: object, value: object) -> tuple[AnnotationOp, Any]:
    """A ``find_annotated`` comparison that makes sense for its value."""
    try:
        checked = AnnotationOp(str(op))
    except ValueError:
        raise StoreInputError(
            f"operator {op!r:.40} is not one of {', '.join(AnnotationOp)}"
        ) from None
    if checked is AnnotationOp.IN:
        if not isinstance(value, list | tuple) or not all(_is_scalar(item) for item in value):
            raise StoreInputError("'in' needs a list of strings, numbers, booleans or nulls")
        return checked, list(value)
    if checked in _ORDERED:
        if not (_is_number(value) or isinstance(value, str)):
            raise StoreInputError(f"'{checked}' compares numbers or strings, not {value!r:.40}")
        return checked, value
    if checked is AnnotationOp.CONTAINS and value is None:
        raise StoreInputError("'contains' needs a string, number or boolean to look for")
    if not _is_scalar(value):
        raise StoreInputError(f"'{checked}' needs a string, number, boolean or null")
    return checked, value


def value_type(value: object) -> str:
    """The JSON type of a scalar: null, boolean, number or string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | bool) or _is_number(value)


def _json(what: str, value: object) -> str:
    try:
        return encode_json(value)
    except ValueError as exc:
        raise StoreInputError(f"{what} cannot be stored as JSON: {exc}") from exc


def overlay_is_stored(
    name: str, version: int, definition: Mapping[str, Any], stored: Mapping[int, Any]
) -> bool:
    """True when this version is stored with this definition already (a no-op); False when
    it may be added; ``OverlayConflictError`` when it clashes. ``stored``: version to definition.
    """
    if version in stored:
        if stored[version] != definition:
            raise OverlayConflictError(
                f"overlay {name!r} version {version} exists with another definition; "
                "register the change as a new version"
            )
        return True
    latest = max(stored, default=None)
    if latest is not None and version < latest:
        raise OverlayConflictError(
            f"overlay {name!r} is at version {latest}; new versions must be above it"
        )
    return False


def unknown_overlay(name: str) -> UnknownOverlayError:
    return UnknownOverlayError(f"overlay {name!r} is not registered; register it before annotating")
