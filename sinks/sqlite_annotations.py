"""The SQL condition of one ``find_annotated`` comparison over the ``annotations.fields`` JSON.

Pure and parameterised: the field travels as a bound JSON path (``$."field"``, safe because
field names are identifiers) and the value as a bound parameter. SQLite compares across types
(every integer sorts before every string), so each comparison first tests the JSON type, to
be as type-strict as AQL's ``==``.
"""

from __future__ import annotations

from typing import Any

from sinks.store import AnnotationOp
from sinks.store_args import value_type

_SQL_OPERATORS = {
    AnnotationOp.LT: "<",
    AnnotationOp.LE: "<=",
    AnnotationOp.GT: ">",
    AnnotationOp.GE: ">=",
}
_TYPE = "json_type(fields, ?)"
_VALUE = "json_extract(fields, ?)"
_SQL_TYPES = {"number": "('integer', 'real')", "string": "('text')"}


def annotation_condition(field: str, op: AnnotationOp, value: Any) -> tuple[str, list[Any]]:
    """A WHERE fragment and its parameters; ``field``, ``op`` and ``value`` already checked."""
    path = f'$."{field}"'
    if op is AnnotationOp.EQ:
        return _equals(path, value)
    if op is AnnotationOp.NE:
        sql, params = _equals(path, value)
        return f"({_TYPE} IS NOT NULL AND NOT {sql})", [path, *params]
    if op is AnnotationOp.IN:
        if not value:
            return "0", []
        parts = [_equals(path, item) for item in value]
        return "(" + " OR ".join(sql for sql, _ in parts) + ")", [p for _, ps in parts for p in ps]
    if op is AnnotationOp.CONTAINS:
        return _contains(path, value)
    types = _SQL_TYPES[value_type(value)]
    sql = f"({_TYPE} IN {types} AND {_VALUE} {_SQL_OPERATORS[op]} ?)"
    return sql, [path, path, value]


def _equals(path: str, value: Any) -> tuple[str, list[Any]]:
    kind = value_type(value)
    if kind == "null":
        return f"({_TYPE} = 'null')", [path]
    if kind == "boolean":
        return f"({_TYPE} = ?)", [path, "true" if value else "false"]
    return f"({_TYPE} IN {_SQL_TYPES[kind]} AND {_VALUE} = ?)", [path, path, value]


def _contains(path: str, value: Any) -> tuple[str, list[Any]]:
    kind = value_type(value)
    if kind == "boolean":
        element, element_params = "e.type = ?", ["true" if value else "false"]
    else:
        element, element_params = f"e.type IN {_SQL_TYPES[kind]} AND e.value = ?", [value]
    each = "SELECT 1 FROM json_each(fields, ?) AS e WHERE"  # ``element`` is a constant
    in_list = f"({_TYPE} = 'array' AND EXISTS ({each} {element}))"
    params: list[Any] = [path, path, *element_params]
    if kind != "string":
        return in_list, params
    in_text = f"({_TYPE} = 'text' AND instr({_VALUE}, ?) > 0)"
    return f"({in_list} OR {in_text})", [*params, path, path, value]
