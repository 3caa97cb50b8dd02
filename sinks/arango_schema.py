"""The ArangoDB database, collections, named graph and indexes the store needs, made if missing.

Idempotent, so every store start runs it: an index that exists already is returned as it is.
"""

from __future__ import annotations

from arango.client import ArangoClient
from arango.database import StandardDatabase

from sinks.arango_documents import (
    ANNOTATIONS,
    EDGE_COLLECTION,
    GRAPH,
    OVERLAYS,
    VERTEX_COLLECTIONS,
)

INDEXES: dict[str, list[tuple[list[str], bool]]] = {
    **{
        collection: [(["name"], True), (["zone"], False)]
        for collection in VERTEX_COLLECTIONS.values()
    },
    EDGE_COLLECTION: [(["name"], True), (["client"], False), (["server"], False)],
    OVERLAYS: [(["name", "version"], True)],
    ANNOTATIONS: [(["overlay", "target_kind", "target_key"], True)],
}
"""Persistent indexes per collection: (fields, unique)."""


def ensure_database(client: ArangoClient, name: str, username: str, password: str) -> None:
    """Create the database through ``_system`` when it does not exist yet."""
    system = client.db("_system", username=username, password=password, verify=True)
    if not system.has_database(name):
        system.create_database(name)


def ensure_schema(db: StandardDatabase) -> None:
    vertices = list(VERTEX_COLLECTIONS.values())
    if not db.has_graph(GRAPH):
        db.create_graph(
            GRAPH,
            edge_definitions=[
                {
                    "edge_collection": EDGE_COLLECTION,
                    "from_vertex_collections": vertices,
                    "to_vertex_collections": vertices,
                }
            ],
        )
    for collection in (OVERLAYS, ANNOTATIONS):
        if not db.has_collection(collection):
            db.create_collection(collection)
    for collection, indexes in INDEXES.items():
        for fields, unique in indexes:
            db.collection(collection).add_index(
                {"type": "persistent", "fields": fields, "unique": unique}
            )
