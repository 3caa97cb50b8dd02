"""How the store's rows become ArangoDB documents and back.

Vertex collections hold nodes by kind (services, clusters, unattributed addresses); a cluster's
record (engine, members) lives in its cluster vertex beside the node fields, under ``cluster``,
so each write touches only its own sub-document. ``_key`` is a hash of the name, because node
names and edge keys may hold characters ArangoDB keys may not (``|``, ``/``, spaces), and the
hash keeps keys deterministic, so replays upsert the same documents.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from models.graph_change import EntityKind
from models.overlay_schema import TargetKind
from models.query_input import NodeKind, node_kind
from models.topology import EdgeKey
from sinks.store_fold import Entity

VERTEX_COLLECTIONS = {
    NodeKind.SERVICE: "services",
    NodeKind.CLUSTER: "clusters",
    NodeKind.UNATTRIBUTED: "unattributed",
}
CLUSTER_COLLECTION = VERTEX_COLLECTIONS[NodeKind.CLUSTER]
EDGE_COLLECTION = "service_edges"
OVERLAYS = "overlays"
ANNOTATIONS = "annotations"
GRAPH = "service_graph"
ALL_COLLECTIONS = (*VERTEX_COLLECTIONS.values(), EDGE_COLLECTION, OVERLAYS, ANNOTATIONS)

_FIELDS = ("payload", "change", "at", "first_at", "stale")


def document_key(*parts: str | int) -> str:
    """A deterministic ``_key`` for any name (32 hex digits)."""
    text = "\x00".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def vertex_collection(name: str) -> str:
    return VERTEX_COLLECTIONS[node_kind(name)]


def vertex_id(name: str) -> str:
    """The ``_id`` of a node's vertex, as edges' ``_from`` and ``_to`` name it."""
    return f"{vertex_collection(name)}/{document_key(name)}"


def entity_collection(kind: EntityKind, key: str) -> str:
    return EDGE_COLLECTION if kind is EntityKind.EDGE else vertex_collection(key)


def entity_document(entity: Entity) -> dict[str, Any]:
    """The attributes an upsert writes for one row (it leaves the others of the document)."""
    fields = {"payload": entity.payload, "change": entity.change, "at": entity.at}
    fields.update(first_at=entity.first_at, stale=entity.stale)
    document: dict[str, Any] = {"_key": document_key(entity.key), "name": entity.key}
    if entity.kind is EntityKind.NODE:
        zone = entity.payload.get("zone")
        fields["stamps"] = entity.stamps
        document.update(kind=node_kind(entity.key).value, zone=zone, node=fields)
    elif entity.kind is EntityKind.CLUSTER:
        document.update(kind=NodeKind.CLUSTER.value, cluster=fields)
    else:
        edge = EdgeKey.decode(entity.key)
        document.update(
            _from=vertex_id(edge.client),
            _to=vertex_id(edge.server),
            client=edge.client,
            server=edge.server,
            port=edge.port,
            edge=fields,
        )
    return document


def document_entity(kind: EntityKind, document: Mapping[str, Any]) -> Entity | None:
    """The row a document holds for ``kind``; None when it holds none (a bare cluster vertex)."""
    fields = document.get(kind.value)
    if not isinstance(fields, Mapping):
        return None
    payload, change, at, first_at, stale = (fields[name] for name in _FIELDS)
    stamps = dict(fields.get("stamps") or {})
    name = str(document["name"])
    return Entity(kind, name, dict(payload), change, at, first_at, bool(stale), stamps)


def overlay_document(name: str, version: int, definition: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "_key": document_key(name, version),
        "name": name,
        "version": version,
        "definition": dict(definition),
    }


def annotation_document(
    overlay: str, target_kind: TargetKind, target_key: str, fields: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "_key": document_key(overlay, target_kind.value, target_key),
        "overlay": overlay,
        "target_kind": target_kind.value,
        "target_key": target_key,
        "fields": dict(fields),
    }
