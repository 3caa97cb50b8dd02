"""Every AQL query the ArangoDB store runs, as (text, bind variables) built by pure functions.

Query texts are constants or joins of constant fragments; every value, collection name and
annotation field travels as a bind variable (``@name``, ``@@collection``), never in the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.overlay_schema import TargetKind
from sinks.arango_documents import ANNOTATIONS, EDGE_COLLECTION, OVERLAYS
from sinks.store import AnnotationOp
from sinks.store_args import value_type

_ORDERED = {
    AnnotationOp.LT: "<",
    AnnotationOp.LE: "<=",
    AnnotationOp.GT: ">",
    AnnotationOp.GE: ">=",
}
_CONDITIONS = {
    AnnotationOp.EQ: "v == @value",
    AnnotationOp.NE: "v != @value",
    AnnotationOp.IN: "v IN @value",
    AnnotationOp.CONTAINS: (
        "((IS_ARRAY(v) AND @value IN v) OR (IS_STRING(v) AND IS_STRING(@value) "
        "AND CONTAINS(v, @value)))"
    ),
    **{op: f"(TYPENAME(v) == @type AND v {sign} @value)" for op, sign in _ORDERED.items()},
}
"""AQL's ``==`` and ``IN`` are type-strict already; ordering needs the type test."""


@dataclass(frozen=True, slots=True)
class Aql:
    """One query and its bind variables, ready for ``db.aql.execute``."""

    query: str
    bind_vars: dict[str, Any] = field(default_factory=dict)


def upsert_documents(collection: str, documents: list[dict[str, Any]]) -> Aql:
    """Insert or partly update documents by ``_key``; sub-objects are replaced, not merged."""
    return Aql(
        "FOR doc IN @docs UPSERT { _key: doc._key } INSERT doc UPDATE doc IN @@collection "
        "OPTIONS { mergeObjects: false }",
        {"docs": documents, "@collection": collection},
    )


def documents_by_key(collection: str, keys: list[str]) -> Aql:
    return Aql(
        "FOR d IN @@collection FILTER d._key IN @keys RETURN d",
        {"keys": keys, "@collection": collection},
    )


def rows(
    collection: str, part: str, filters: dict[str, Any] | None = None, names: Any = None
) -> Aql:
    """Documents holding a ``part`` (node, edge or cluster), by name.

    ``filters``: attribute to the value it must equal (attribute names are the store's own).
    ``names``: only documents with these names.
    """
    text = ["FOR d IN @@collection FILTER d[@part] != null"]
    binds: dict[str, Any] = {"@collection": collection, "part": part}
    for index, (attribute, value) in enumerate(sorted((filters or {}).items())):
        text.append(f"FILTER d[@attr{index}] == @value{index}")
        binds[f"attr{index}"], binds[f"value{index}"] = attribute, value
    if names is not None:
        text.append("FILTER d.name IN @names")
        binds["names"] = names
    text.append("SORT d.name RETURN d")
    return Aql(" ".join(text), binds)


def edge_step(frontier: list[str], downstream: bool) -> Aql:
    """(next node, edge key) of every edge leaving ``frontier`` (persistent index on the end)."""
    query = (
        "FOR e IN @@collection FILTER e.client IN @frontier RETURN [e.server, e.name]"
        if downstream
        else "FOR e IN @@collection FILTER e.server IN @frontier RETURN [e.client, e.name]"
    )
    return Aql(query, {"frontier": frontier, "@collection": EDGE_COLLECTION})


def count(collection: str, part: str, stale_only: bool = False) -> Aql:
    stale = " FILTER d[@part].stale == true" if stale_only else ""
    return Aql(
        f"FOR d IN @@collection FILTER d[@part] != null{stale} COLLECT WITH COUNT INTO n RETURN n",
        {"@collection": collection, "part": part},
    )


def count_all(collection: str) -> Aql:
    return Aql("RETURN LENGTH(@@collection)", {"@collection": collection})


def overlay_versions(name: str) -> Aql:
    """Every stored version of one overlay, newest first."""
    return Aql(
        "FOR o IN @@overlays FILTER o.name == @name SORT o.version DESC RETURN o",
        {"name": name, "@overlays": OVERLAYS},
    )


def insert_document(collection: str, document: dict[str, Any]) -> Aql:
    return Aql("INSERT @doc INTO @@collection", {"doc": document, "@collection": collection})


def latest_overlays() -> Aql:
    return Aql(
        "FOR o IN @@overlays COLLECT name = o.name AGGREGATE version = MAX(o.version) "
        "SORT name RETURN [name, version]",
        {"@overlays": OVERLAYS},
    )


def delete_overlay(name: str) -> list[Aql]:
    """Its annotations, then its versions (the last query returns the removed versions)."""
    return [
        Aql(
            "FOR a IN @@annotations FILTER a.overlay == @name REMOVE a IN @@annotations",
            {"name": name, "@annotations": ANNOTATIONS},
        ),
        Aql(
            "FOR o IN @@overlays FILTER o.name == @name REMOVE o IN @@overlays RETURN OLD.version",
            {"name": name, "@overlays": OVERLAYS},
        ),
    ]


def replace_annotations(documents: list[dict[str, Any]]) -> Aql:
    return Aql(
        "FOR doc IN @docs UPSERT { _key: doc._key } INSERT doc REPLACE doc IN @@annotations",
        {"docs": documents, "@annotations": ANNOTATIONS},
    )


def remove_annotations(overlay: str, kind: TargetKind, keys: list[str]) -> Aql:
    return Aql(
        "FOR a IN @@annotations FILTER a.overlay == @overlay AND a.target_kind == @kind "
        "AND a.target_key IN @keys REMOVE a IN @@annotations RETURN OLD.target_key",
        {"overlay": overlay, "kind": kind.value, "keys": keys, "@annotations": ANNOTATIONS},
    )


def annotations_of(overlay: str, kind: TargetKind, keys: list[str] | None) -> Aql:
    binds: dict[str, Any] = {"overlay": overlay, "kind": kind.value, "@annotations": ANNOTATIONS}
    keyed = ""
    if keys is not None:
        keyed, binds["keys"] = " AND a.target_key IN @keys", keys
    return Aql(
        "FOR a IN @@annotations FILTER a.overlay == @overlay AND a.target_kind == @kind"
        f"{keyed} SORT a.target_key RETURN [a.target_key, a.fields]",
        binds,
    )


def find_annotated(
    overlay: str, kind: TargetKind, field_name: str, op: AnnotationOp, value: Any
) -> Aql:
    """Target keys whose field satisfies the (checked) comparison; a missing field never does."""
    binds: dict[str, Any] = {
        "overlay": overlay,
        "kind": kind.value,
        "field": field_name,
        "value": value,
        "@annotations": ANNOTATIONS,
    }
    if op in _ORDERED:
        binds["type"] = value_type(value)
    return Aql(
        "FOR a IN @@annotations FILTER a.overlay == @overlay AND a.target_kind == @kind "
        "FILTER HAS(a.fields, @field) LET v = a.fields[@field] "
        f"FILTER {_CONDITIONS[op]} SORT a.target_key RETURN a.target_key",
        binds,
    )
