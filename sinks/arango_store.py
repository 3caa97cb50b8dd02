"""The ArangoDB graph store (python-arango, synchronous: callers keep it off the event loop).

A database with vertex collections per node kind, one edge collection, the named graph over
them, overlay and annotation collections and the persistent indexes the queries use
(sinks/arango_schema.py). Writes of one call run in one stream transaction; every query is a
constant text with bind variables (sinks/arango_queries.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self, TypeVar

import requests
from arango.client import ArangoClient
from arango.cursor import Cursor
from arango.database import Database, StandardDatabase
from arango.exceptions import ArangoError

from models.graph_change import EntityKind, GraphChange
from models.query_input import Direction
from sinks import arango_queries as aql
from sinks.arango_documents import (
    ALL_COLLECTIONS,
    ANNOTATIONS,
    CLUSTER_COLLECTION,
    EDGE_COLLECTION,
    OVERLAYS,
    VERTEX_COLLECTIONS,
    annotation_document,
    document_entity,
    document_key,
    entity_collection,
    entity_document,
    overlay_document,
)
from sinks.arango_schema import ensure_database, ensure_schema
from sinks.errors import OverlayConflictError, StoreUnavailableError, UnknownOverlayError
from sinks.store import AnnotationOp, OverlayVersion, StoreCounts, TargetKind
from sinks.store_args import (
    check_annotations,
    check_condition,
    check_definition,
    check_direction,
    check_field,
    check_hops,
    check_name,
    check_names,
    check_node_kind,
    check_target_kind,
    check_version,
)
from sinks.store_fold import Entity, Ref, check_changes, entity_row, fold, touched_refs
from sinks.store_walk import walk

_T = TypeVar("_T")
Runner = Callable[[aql.Aql], list[Any]]


class ArangoGraphStore:
    """The ``GraphStore`` on ArangoDB (see sinks/store.py for the contract)."""

    def __init__(
        self, client: ArangoClient, db: StandardDatabase, username: str, password: str
    ) -> None:
        self._client = client
        self._db = db
        self._credentials = (username, password)
        self._lock = threading.Lock()  # one stream transaction at a time per store

    @classmethod
    def connect(
        cls,
        host: str,
        database: str,
        *,
        username: str,
        password: str,
        verify_tls: bool = True,
        timeout_s: float = 60.0,
    ) -> ArangoGraphStore:
        """Connect, creating the database, collections, graph and indexes when missing."""
        client = ArangoClient(hosts=host, verify_override=verify_tls, request_timeout=timeout_s)
        try:
            ensure_database(client, database, username, password)
            db = client.db(database, username=username, password=password, verify=True)
            ensure_schema(db)
        except (ArangoError, requests.RequestException) as exc:
            client.close()
            raise StoreUnavailableError(
                f"cannot use ArangoDB database {database!r} at {host}: {exc}; check the server, "
                "MEESEEKS_ARANGO_USERNAME and MEESEEKS_ARANGO_PASSWORD"
            ) from exc
        return cls(client, db, username, password)

    # -- stream-owned rows -------------------------------------------------------------------
    def apply_changes(self, changes: Sequence[GraphChange]) -> None:
        check_changes(changes)
        if not changes:
            return
        with self._transaction(VERTEX_COLLECTIONS.values(), EDGE_COLLECTION) as run:
            current = _entities(run, touched_refs(changes))
            written = fold(current, changes)
            grouped: dict[tuple[str, EntityKind], list[dict[str, Any]]] = {}
            for entity in written.values():
                where = (entity_collection(entity.kind, entity.key), entity.kind)
                grouped.setdefault(where, []).append(entity_document(entity))
            for (collection, _), documents in sorted(grouped.items()):
                run(aql.upsert_documents(collection, documents))

    def apply_change(self, change: GraphChange) -> None:
        self.apply_changes([change])

    def node(self, name: str) -> dict[str, Any] | None:
        found = self.nodes(names=[check_name("node", name)])
        return found[0] if found else None

    def edge(self, key: str) -> dict[str, Any] | None:
        found = self.edges(keys=[check_name("edge", key)])
        return found[0] if found else None

    def cluster(self, cluster_id: str) -> dict[str, Any] | None:
        name = check_name("cluster", cluster_id)
        found = self._rows(aql.rows(CLUSTER_COLLECTION, "cluster", names=[name]))
        return found[0] if found else None

    def nodes(
        self,
        kind: str | None = None,
        zone: str | None = None,
        names: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        wanted_kind, wanted = check_node_kind(kind), check_names("node name", names)
        filters = {} if zone is None else {"zone": check_name("zone", zone)}
        found: list[dict[str, Any]] = []
        for node_kind, collection in VERTEX_COLLECTIONS.items():
            if wanted_kind in (None, node_kind):
                found.extend(self._rows(aql.rows(collection, "node", filters, wanted)))
        return sorted(found, key=lambda row: str(row["name"]))

    def edges(
        self,
        client: str | None = None,
        server: str | None = None,
        keys: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        filters: dict[str, Any] = {}
        if client is not None:
            filters["client"] = check_name("client", client)
        if server is not None:
            filters["server"] = check_name("server", server)
        wanted = check_names("edge key", keys)
        return self._rows(aql.rows(EDGE_COLLECTION, "edge", filters, wanted))

    def clusters(self) -> list[dict[str, Any]]:
        return self._rows(aql.rows(CLUSTER_COLLECTION, "cluster"))

    def neighbours(
        self,
        name: str,
        direction: Direction | str = Direction.DOWN,
        hops: int = 1,
        via: Collection[str] | None = None,
    ) -> dict[str, int]:
        start, way, depth = check_name("node", name), check_direction(direction), check_hops(hops)
        allowed = None if via is None else set(check_names("edge key", via) or ())

        def step(frontier: Collection[str], downstream: bool) -> list[tuple[str, str]]:
            found = self._run(aql.edge_step(list(frontier), downstream))
            return [(node, key) for node, key in found]

        return walk(start, way, depth, step, allowed)

    def counts(self) -> StoreCounts:
        vertices = VERTEX_COLLECTIONS.values()
        nodes = sum(self._count(aql.count(collection, "node")) for collection in vertices)
        overlay_names = len(self._run(aql.latest_overlays()))
        return StoreCounts(
            nodes=nodes,
            edges=self._count(aql.count_all(EDGE_COLLECTION)),
            stale_edges=self._count(aql.count(EDGE_COLLECTION, "edge", stale_only=True)),
            clusters=self._count(aql.count(CLUSTER_COLLECTION, "cluster")),
            overlays=overlay_names,
            annotations=self._count(aql.count_all(ANNOTATIONS)),
        )

    # -- overlays ----------------------------------------------------------------------------
    def put_overlay(self, name: str, version: int, definition: Mapping[str, Any]) -> None:
        name, version = check_name("overlay name", name), check_version(version)
        check_definition(name, definition)
        with self._transaction([OVERLAYS]) as run:
            stored = run(aql.overlay_versions(name))
            same = [doc for doc in stored if doc["version"] == version]
            if same:
                if same[0]["definition"] != dict(definition):
                    raise OverlayConflictError(
                        f"overlay {name!r} version {version} exists with another definition; "
                        "register the change as a new version"
                    )
                return
            if stored and version < stored[0]["version"]:
                raise OverlayConflictError(
                    f"overlay {name!r} is at version {stored[0]['version']}; "
                    "new versions must be above it"
                )
            run(aql.insert_document(OVERLAYS, overlay_document(name, version, definition)))

    def overlay(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        name = check_name("overlay name", name)
        wanted = None if version is None else check_version(version)
        for doc in self._run(aql.overlay_versions(name)):
            if wanted is None or doc["version"] == wanted:
                return dict(doc["definition"])
        return None

    def overlays(self) -> list[OverlayVersion]:
        return [OverlayVersion(name, version) for name, version in self._run(aql.latest_overlays())]

    def delete_overlay(self, name: str) -> bool:
        name = check_name("overlay name", name)
        with self._transaction([ANNOTATIONS, OVERLAYS]) as run:
            removed: list[Any] = []
            for query in aql.delete_overlay(name):
                removed = run(query)
        return bool(removed)

    # -- annotations -------------------------------------------------------------------------
    def put_annotations(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        values: Mapping[str, Mapping[str, Any]],
    ) -> None:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        check_annotations(values)
        documents = [
            annotation_document(overlay, kind, key, fields) for key, fields in values.items()
        ]
        with self._transaction([ANNOTATIONS], read=[OVERLAYS]) as run:
            if not run(aql.overlay_versions(overlay)):
                raise UnknownOverlayError(
                    f"overlay {overlay!r} is not registered; register it before annotating"
                )
            if documents:
                run(aql.replace_annotations(documents))

    def remove_annotations(
        self, overlay: str, target_kind: TargetKind | str, keys: Iterable[str]
    ) -> int:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        wanted = check_names("annotation target key", keys) or []
        with self._transaction([ANNOTATIONS]) as run:
            return len(run(aql.remove_annotations(overlay, kind, wanted)))

    def annotations(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        keys: Iterable[str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        wanted = check_names("annotation target key", keys)
        return {
            key: dict(fields)
            for key, fields in self._run(aql.annotations_of(overlay, kind, wanted))
        }

    def find_annotated(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        field: str,
        op: AnnotationOp | str,
        value: Any,
    ) -> list[str]:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        checked_op, checked_value = check_condition(op, value)
        query = aql.find_annotated(overlay, kind, check_field(field), checked_op, checked_value)
        return [str(key) for key in self._run(query)]

    # -- lifetime ----------------------------------------------------------------------------
    def drop_database(self) -> None:
        """Delete this store's whole database (the contract tests clean up with it)."""
        name, (username, password) = self._db.name, self._credentials
        system = self._client.db("_system", username=username, password=password)
        with self._lock:
            _call(lambda: system.delete_database(name, ignore_missing=True))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- helpers -----------------------------------------------------------------------------
    @contextmanager
    def _transaction(
        self, write: Iterable[str], *more: str, read: Iterable[str] = ()
    ) -> Iterator[Runner]:
        """A stream transaction: committed when the block ends, aborted when it raises."""
        with self._lock:
            txn = _call(lambda: self._db.begin_transaction(read=list(read), write=[*write, *more]))

            def run(query: aql.Aql) -> list[Any]:
                return _call(lambda: _execute(txn, query))

            try:
                yield run
            except BaseException:
                _call(txn.abort_transaction)
                raise
            _call(txn.commit_transaction)

    def _run(self, query: aql.Aql) -> list[Any]:
        return _call(lambda: _execute(self._db, query))

    def _count(self, query: aql.Aql) -> int:
        found = self._run(query)
        return int(found[0]) if found else 0

    def _rows(self, query: aql.Aql) -> list[dict[str, Any]]:
        part = EntityKind(query.bind_vars["part"])
        rows = []
        for document in self._run(query):
            entity = document_entity(part, document)
            if entity is not None:
                rows.append(entity_row(entity))
        return rows


def _entities(run: Runner, refs: Iterable[Ref]) -> dict[Ref, Entity]:
    """The stored rows of ``refs``, read with one query per collection."""
    wanted: dict[str, dict[str, list[EntityKind]]] = {}
    for kind, key in refs:
        by_key = wanted.setdefault(entity_collection(kind, key), {})
        by_key.setdefault(document_key(key), []).append(kind)
    found: dict[Ref, Entity] = {}
    for collection, by_key in sorted(wanted.items()):
        for document in run(aql.documents_by_key(collection, sorted(by_key))):
            for kind in by_key[document["_key"]]:
                entity = document_entity(kind, document)
                if entity is not None:
                    found[entity.ref] = entity
    return found


def _execute(db: Database, query: aql.Aql) -> list[Any]:
    cursor = db.aql.execute(query.query, bind_vars=query.bind_vars)
    assert isinstance(cursor, Cursor)  # a standard or transaction database answers at once
    return list(cursor)


def _call(action: Callable[[], _T]) -> _T:
    """Run one python-arango call; a server or network failure becomes ``StoreUnavailableError``."""
    try:
        return action()
    except (ArangoError, requests.RequestException) as exc:
        raise StoreUnavailableError(f"ArangoDB request failed: {exc}") from exc


__all__ = ["ALL_COLLECTIONS", "ArangoGraphStore"]
