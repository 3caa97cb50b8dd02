"""An overlay definition: a named, versioned schema of the annotations allowed on nodes and edges.

Teams keep definitions in YAML (``config/overlays/``); ``parse_definition`` reads the parsed
mapping and names the offending key in every error. ``check_batch`` validates a batch of
annotations whole: either every record fits and all come back normalised, or ``AnnotationError``
lists every problem and nothing may be stored. ``misfits`` is the same check run over stored
annotations when a new version is registered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from models.overlay_errors import AnnotationError, OverlayDefinitionError
from models.overlay_fields import FieldSpec, parse_field
from models.query_input import BadQueryError, check_name
from models.topology import KEY_SEPARATOR, EdgeKey

OVERLAY_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
MAX_FIELDS = 64

Record = dict[str, Any]
"""The annotations of one target under one overlay: field name to normalised value."""


class TargetKind(StrEnum):
    """What an annotation is attached to."""

    NODE = "node"
    """A node, keyed by its name (service, ``cluster:...`` or ``unattributed:...``)."""
    EDGE = "edge"
    """An edge, keyed by ``client|server|port`` (``EdgeKey.encode()``)."""


@dataclass(frozen=True, slots=True)
class OverlayDefinition:
    """One version of an overlay's schema."""

    name: str
    version: int
    description: str
    nodes: Mapping[str, FieldSpec]
    edges: Mapping[str, FieldSpec]

    def fields(self, kind: TargetKind) -> Mapping[str, FieldSpec]:
        return self.nodes if kind is TargetKind.NODE else self.edges

    def label(self) -> str:
        return f"overlay {self.name!r} v{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able definition, which ``parse_definition`` reads back to an equal one."""
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "nodes": {name: spec.to_dict() for name, spec in self.nodes.items()},
            "edges": {name: spec.to_dict() for name, spec in self.edges.items()},
        }


def parse_definition(data: Any) -> OverlayDefinition:
    """The definition in ``data`` (a parsed YAML or JSON mapping), or ``OverlayDefinitionError``."""
    if not isinstance(data, Mapping):
        raise OverlayDefinitionError(
            "an overlay definition must be a mapping with name, version, nodes and/or edges"
        )
    name = data.get("name")
    if not isinstance(name, str) or not OVERLAY_NAME.match(name):
        raise OverlayDefinitionError(
            f"name {name!r} must be lower case letters, digits and -, starting with a letter, "
            "at most 63 characters (for example bcp or data-dr)"
        )
    unknown = set(data) - {"name", "version", "description", "nodes", "edges"}
    if unknown:
        raise OverlayDefinitionError(
            f"overlay {name!r}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            "allowed: name, version, description, nodes, edges"
        )
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise OverlayDefinitionError(
            f"overlay {name!r}: version must be a whole number from 1, not {version!r}"
        )
    description = data.get("description", "")
    if not isinstance(description, str):
        raise OverlayDefinitionError(f"overlay {name!r}: description must be text")
    nodes = _parse_fields(f"overlay {name!r} nodes", data.get("nodes"))
    edges = _parse_fields(f"overlay {name!r} edges", data.get("edges"))
    if not nodes and not edges:
        raise OverlayDefinitionError(f"overlay {name!r} defines no fields for nodes or edges")
    return OverlayDefinition(name, version, description.strip(), nodes, edges)


def check_key(kind: TargetKind, key: Any) -> str:
    """A node name or an encoded edge key, or ``ValueError`` saying what a key looks like."""
    if not isinstance(key, str):
        raise ValueError(f"a {kind.value} key must be text, not {key!r:.60}")
    try:
        if kind is TargetKind.NODE:
            return check_name("node", key)
        parts = key.split(KEY_SEPARATOR)
        if len(parts) != 3:
            raise ValueError
        edge = EdgeKey.decode(key)
        check_name("client", edge.client)
        check_name("server", edge.server)
        if not 0 <= edge.port <= 65535 or not parts[2].isdigit():
            raise ValueError
    except BadQueryError as exc:
        raise ValueError(str(exc)) from exc
    except ValueError as exc:
        raise ValueError(
            f"edge key {key!r:.80} must be client|server|port, for example web|api|8080"
        ) from exc
    return key


def check_record(
    definition: OverlayDefinition, kind: TargetKind, key: str, record: Any
) -> tuple[Record, list[str]]:
    """The normalised record and the problems found in it (each naming target, field, rule)."""
    fields = definition.fields(kind)
    target = f"{kind.value} {key!r}"
    if not isinstance(record, Mapping):
        return {}, [f"{target}: annotations must be a mapping of field to value"]
    problems: list[str] = []
    out: Record = {}
    for field, value in record.items():
        spec = fields.get(field)
        if spec is None:
            known = ", ".join(fields) or "none"
            problems.append(
                f"{target}: field {field!r} is not in {definition.label()} for "
                f"{kind.value}s (its fields: {known})"
            )
            continue
        try:
            out[field] = spec.check(value)
        except ValueError as exc:
            problems.append(f"{target}: field {field!r} ({spec.type.value}) {exc}")
    for field, spec in fields.items():
        if spec.required and field not in record:
            problems.append(f"{target}: field {field!r} is required by {definition.label()}")
    return out, problems


def check_batch(
    definition: OverlayDefinition, kind: TargetKind, records: Mapping[str, Any]
) -> dict[str, Record]:
    """Every record normalised, or ``AnnotationError`` with every problem of the batch."""
    problems: list[str] = []
    out: dict[str, Record] = {}
    for key, record in records.items():
        try:
            checked_key = check_key(kind, key)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        out[checked_key], found = check_record(definition, kind, checked_key, record)
        problems.extend(found)
    if problems:
        raise AnnotationError(problems)
    return out


def merge(current: Mapping[str, Any] | None, update: Mapping[str, Any]) -> Record:
    """``update`` over ``current``; a field set to None is removed (how a field is cleared)."""
    merged = dict(current or {})
    for field, value in update.items():
        if value is None:
            merged.pop(field, None)
        else:
            merged[field] = value
    return merged


def misfits(
    definition: OverlayDefinition, kind: TargetKind, stored: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """The problems stored annotations would have under ``definition`` (evolution check)."""
    problems: list[str] = []
    for key in sorted(stored):
        problems.extend(check_record(definition, kind, key, stored[key])[1])
    return problems


def _parse_fields(where: str, data: Any) -> dict[str, FieldSpec]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise OverlayDefinitionError(f"{where} must be a mapping of field name to its definition")
    if len(data) > MAX_FIELDS:
        raise OverlayDefinitionError(f"{where} has {len(data)} fields; at most {MAX_FIELDS}")
    return {name: parse_field(f"{where}.{name}", name, spec) for name, spec in data.items()}


def check_successor(current: OverlayDefinition | None, new: OverlayDefinition) -> bool:
    """Whether ``new`` may be registered after ``current``; False when it is ``current`` again.

    A new overlay may start at any version (its file may have evolved before this store saw
    it); then versions go up one at a time, so every stored annotation has been checked
    against every version in between. Registering the current version again with the same
    fields is a no-op (a deployment may register its overlays at every start).
    """
    if current is None:
        return True
    expected = current.version + 1
    if new.version == current.version:
        if new.to_dict() == current.to_dict():
            return False
        raise OverlayDefinitionError(
            f"{new.label()} is already registered with other fields; "
            f"register the change as version {expected}"
        )
    if new.version != expected:
        raise OverlayDefinitionError(
            f"{new.label()} cannot follow v{current.version}: register version {expected}"
        )
    return True
