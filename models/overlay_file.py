"""Annotation files, so teams can keep their annotations in version control.

YAML (or JSON)::

    overlay: bcp
    select:                       # applied first, in order: defaults by selector
      - nodes: {kind: service}
        set: {criticality: P3, rto: 24h}
      - edges: {client: monitoring}
        set: {dependency: optional}
    nodes:                        # then explicit targets, over what the selectors set
      checkout: {criticality: P0, rto: 15m, flows: [web-shop]}
    edges:
      "checkout|payments|443": {dependency: essential}

CSV: a header ``target,key,FIELD...`` and one row per target (``node`` or ``edge``); an empty
cell leaves the field unset, list cells separate items with ``;``. Cells are text, so reading a
CSV needs the overlay's definition to turn them into values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.overlay_errors import AnnotationError, OverlayQueryError
from models.overlay_schema import OverlayDefinition, TargetKind, check_key
from models.overlay_selector import Selector, parse_selector

_SECTIONS = {"nodes": TargetKind.NODE, "edges": TargetKind.EDGE}


@dataclass(frozen=True, slots=True)
class AnnotationEntry:
    """Fields to set on the targets a selector picks."""

    selector: Selector
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AnnotationDocument:
    """The entries of one file, in the order they apply (later ones win per field)."""

    overlay: str | None
    entries: tuple[AnnotationEntry, ...]


def parse_document(data: Any) -> AnnotationDocument:
    """The entries of a parsed YAML or JSON annotation file; errors name the entry."""
    if not isinstance(data, Mapping):
        raise AnnotationError(["an annotation file must be a mapping with nodes, edges, select"])
    unknown = sorted(set(map(str, data)) - {"overlay", "select", "nodes", "edges"})
    if unknown:
        raise AnnotationError(
            [f"unknown key(s) {', '.join(unknown)}; allowed: overlay, select, nodes, edges"]
        )
    overlay = data.get("overlay")
    if overlay is not None and not isinstance(overlay, str):
        raise AnnotationError([f"overlay must be an overlay name, not {overlay!r:.60}"])
    problems: list[str] = []
    entries: list[AnnotationEntry] = []
    select = data.get("select") or []
    if not isinstance(select, list):
        problems.append("select must be a list of {nodes: SELECTOR, set: FIELDS} entries")
        select = []
    for index, item in enumerate(select):
        try:
            entries.append(_select_entry(item))
        except (OverlayQueryError, ValueError) as exc:
            problems.append(f"select[{index}]: {exc}")
    for section, kind in _SECTIONS.items():
        records = data.get(section) or {}
        if not isinstance(records, Mapping):
            problems.append(f"{section} must be a mapping of key to fields")
            continue
        for key, values in records.items():
            try:
                entries.append(_explicit(kind, key, values))
            except ValueError as exc:
                problems.append(f"{section}: {exc}")
    if problems:
        raise AnnotationError(problems)
    return AnnotationDocument(overlay, tuple(entries))


def parse_csv(text: str, definition: OverlayDefinition) -> AnnotationDocument:
    """The rows of a CSV annotation file, cells read as ``definition``'s field types."""
    try:
        return _parse_csv(text, definition)
    except csv.Error as exc:  # raised while reading rows: stray quotes, bare carriage returns
        raise AnnotationError([f"the CSV annotation file cannot be read: {exc}"]) from exc


def _parse_csv(text: str, definition: OverlayDefinition) -> AnnotationDocument:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if header[:2] != ["target", "key"]:
        raise AnnotationError(
            [f"a CSV annotation file starts with the columns target,key; got {header[:2]}"]
        )
    problems: list[str] = []
    entries: list[AnnotationEntry] = []
    for line, row in enumerate(reader, start=2):
        where = f"line {line}"
        try:
            kind = TargetKind(row["target"])
        except ValueError:
            problems.append(f"{where}: target must be node or edge, not {row['target']!r:.40}")
            continue
        key = row["key"]
        fields = definition.fields(kind)
        values: dict[str, Any] = {}
        for column in header[2:]:
            cell = row.get(column) or ""
            if not cell.strip():
                continue
            spec = fields.get(column)
            if spec is None:
                problems.append(
                    f"{where} ({kind.value} {key!r}): column {column!r} is not a "
                    f"{kind.value} field of {definition.label()}"
                )
                continue
            try:
                values[column] = spec.from_text(cell)
            except ValueError as exc:
                problems.append(f"{where} ({kind.value} {key!r}): field {column!r} {exc}")
        try:
            entries.append(_explicit(kind, key, values))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise AnnotationError(problems)
    return AnnotationDocument(definition.name, tuple(entries))


def _select_entry(item: Any) -> AnnotationEntry:
    if not isinstance(item, Mapping) or "set" not in item or len(item) != 2:
        raise ValueError("an entry is {nodes: SELECTOR, set: FIELDS} or {edges: ..., set: ...}")
    (section,) = set(item) - {"set"}
    kind = _SECTIONS.get(str(section))
    if kind is None:
        raise ValueError(f"{section!r} must be nodes or edges")
    values = item["set"]
    if not isinstance(values, Mapping) or not values:
        raise ValueError("set must be a non-empty mapping of field to value")
    return AnnotationEntry(parse_selector(kind, item[section]), dict(values))


def _explicit(kind: TargetKind, key: Any, values: Any) -> AnnotationEntry:
    checked = check_key(kind, key)
    if not isinstance(values, Mapping):
        raise ValueError(f"{kind.value} {checked!r}: fields must be a mapping of field to value")
    return AnnotationEntry(Selector(kind, keys=(checked,)), dict(values))
