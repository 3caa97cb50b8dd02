"""Conditions on annotation fields: ``criticality=P0``, ``rto<=1h``, ``flows~checkout``.

A condition is checked against the overlay's schema when it is built, so its operand is in the
field's normal form (``1h`` becomes 3600 for a duration) and its operator suits the type:
ordering for numbers, durations, timestamps and enums (in their declared order, so
``criticality<=P1`` means P0 or P1), ``~`` (contains) for lists. A target without the field
matches no condition.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from models.overlay_errors import OverlayQueryError
from models.overlay_fields import ORDERED_TYPES, FieldSpec, FieldType
from models.overlay_schema import OverlayDefinition, TargetKind


class Op(StrEnum):
    """A comparison; the value is its name in JSON, ``SYMBOLS`` its text form."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    CONTAINS = "contains"


SYMBOLS: dict[str, Op] = {
    "<=": Op.LE,
    ">=": Op.GE,
    "!=": Op.NE,
    "=": Op.EQ,
    "<": Op.LT,
    ">": Op.GT,
    "~": Op.CONTAINS,
}
"""Text operators, longest first so that ``<=`` is not read as ``<``."""

_COMPARE: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}


@dataclass(frozen=True, slots=True)
class Condition:
    """``field op value`` with the value normalised for the field's type."""

    spec: FieldSpec
    op: Op
    value: Any

    def matches(self, record: Mapping[str, Any] | None) -> bool:
        if record is None or self.spec.name not in record:
            return False
        stored = record[self.spec.name]
        if self.op is Op.CONTAINS:
            return isinstance(stored, list) and self.value in stored
        if self.op in (Op.EQ, Op.NE):
            return _COMPARE[self.op](stored, self.value)
        return _COMPARE[self.op](self.spec.rank(stored), self.spec.rank(self.value))

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.spec.name, "op": self.op.value, "value": self.value}


def parse_condition(definition: OverlayDefinition, kind: TargetKind, data: Any) -> Condition:
    """A condition from ``{"field", "op", "value"}`` or from text such as ``rto<=1h``."""
    if isinstance(data, str):
        field, op, text = _split(data)
        spec = _spec(definition, kind, field)
        return _condition(spec, op, text, from_text=True)
    if not isinstance(data, Mapping) or set(data) - {"field", "op", "value"}:
        raise OverlayQueryError(
            f"a condition must be text like criticality=P0 or a mapping with field, op, value; "
            f"not {data!r:.80}"
        )
    spec = _spec(definition, kind, data.get("field"))
    try:
        op = Op(data.get("op", "eq"))
    except ValueError as exc:
        ops = ", ".join(o.value for o in Op)
        raise OverlayQueryError(f"condition on {spec.name!r}: op must be one of {ops}") from exc
    if "value" not in data:
        raise OverlayQueryError(f"condition on {spec.name!r} has no value")
    return _condition(spec, op, data["value"], from_text=False)


def parse_conditions(
    definition: OverlayDefinition, kind: TargetKind, data: Sequence[Any] | None
) -> tuple[Condition, ...]:
    if data is None:
        return ()
    if isinstance(data, str | Mapping) or not isinstance(data, Sequence):
        raise OverlayQueryError("conditions must be a list")
    return tuple(parse_condition(definition, kind, item) for item in data)


def matches_all(conditions: Sequence[Condition], record: Mapping[str, Any] | None) -> bool:
    return all(condition.matches(record) for condition in conditions)


def _split(text: str) -> tuple[str, Op, str]:
    for symbol, op in SYMBOLS.items():
        field, sep, value = text.partition(symbol)
        if sep and field.strip() and not any(s in field for s in "<>!=~"):
            return field.strip(), op, value.strip()
    raise OverlayQueryError(
        f"condition {text!r:.80} must be FIELD OP VALUE with OP one of "
        f"{' '.join(SYMBOLS)}, for example criticality=P0 or rto<=1h"
    )


def _spec(definition: OverlayDefinition, kind: TargetKind, field: Any) -> FieldSpec:
    fields = definition.fields(kind)
    spec = fields.get(field) if isinstance(field, str) else None
    if spec is None:
        known = ", ".join(fields) or "none"
        raise OverlayQueryError(
            f"{definition.label()} has no {kind.value} field {field!r:.60} (its fields: {known})"
        )
    return spec


def _condition(spec: FieldSpec, op: Op, value: Any, *, from_text: bool) -> Condition:
    where = f"condition on {spec.name!r} ({spec.type.value})"
    if spec.type is FieldType.LIST:
        if op is not Op.CONTAINS:
            raise OverlayQueryError(f"{where}: a list is matched with ~ (contains), e.g. flows~x")
        assert spec.items is not None
        item = FieldSpec(spec.name, spec.items, values=spec.values)
        return Condition(spec, op, _operand(item, value, where, from_text))
    if op is Op.CONTAINS:
        raise OverlayQueryError(f"{where}: ~ (contains) is only for list fields")
    if op not in (Op.EQ, Op.NE) and spec.type not in ORDERED_TYPES:
        raise OverlayQueryError(f"{where}: only = and != compare {spec.type.value} values")
    return Condition(spec, op, _operand(spec, value, where, from_text))


def _operand(spec: FieldSpec, value: Any, where: str, from_text: bool) -> Any:
    try:
        return spec.from_text(value) if from_text else spec.check(value)
    except ValueError as exc:
        raise OverlayQueryError(f"{where}: the value {exc}") from exc
