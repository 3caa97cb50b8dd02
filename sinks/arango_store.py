"""The ArangoDB graph store (python-arango, synchronous: callers keep it off the event loop).

A database with vertex collections per node kind, one edge collection, the named graph over
them, overlay and annotation collections and the persistent indexes the queries use
(sinks/arango_schema.py). Writes of one call run in one stream transaction; every query is a
constant text with bind variables (sinks/arango_queries.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import requests
from arango.client import ArangoClient
from arango.cursor import Cursor
from arango.database import Database, StandardDatabase
from arango.exceptions import ArangoError
from arango.http import DefaultHTTPClient

from models.graph_change import EntityKind, GraphChange
from models.overlay_schema import TargetKind
from models.query_input import NodeKind
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
from sinks.errors import StoreUnavailableError
from sinks.store import AnnotationOp, OverlayVersion, StoreCounts
from sinks.store_args import (
    Swap,
    changed_targets,
    conflict,
    overlay_is_stored,
    present_and_gone,
    unknown_overlay,
)
from sinks.store_base import CheckedStore, Rows
from sinks.store_fold import Entity, Ref, entity_row, fold, touched_refs

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
Runner = Callable[[aql.Aql], list[Any]]


class ArangoGraphStore(CheckedStore):
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
        # fail fast: the sink retries a refused batch with its own back-off
        http = DefaultHTTPClient(request_timeout=timeout_s, retry_attempts=1, backoff_factor=0.5)
        client = ArangoClient(
            hosts=host, resolver_max_tries=1, http_client=http, verify_override=verify_tls
        )
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

    def _apply(self, changes: Sequence[GraphChange]) -> None:
        with self._transaction(VERTEX_COLLECTIONS.values(), EDGE_COLLECTION) as run:
            written = fold(_entities(run, touched_refs(changes)), changes)
            grouped: dict[tuple[str, EntityKind], list[dict[str, Any]]] = {}
            for entity in written.values():
                where = (entity_collection(entity.kind, entity.key), entity.kind)
                grouped.setdefault(where, []).append(entity_document(entity))
            for (collection, _), documents in sorted(grouped.items()):
                run(aql.upsert_documents(collection, documents))

    def _nodes(self, kind: NodeKind | None, zone: str | None, names: list[str] | None) -> Rows:
        filters = {} if zone is None else {"zone": zone}
        found: Rows = []
        for node_kind, collection in VERTEX_COLLECTIONS.items():
            if kind in (None, node_kind):
                found.extend(self._rows(aql.rows(collection, "node", filters, names)))
        return sorted(found, key=lambda row: str(row["name"]))

    def _edges(self, client: str | None, server: str | None, keys: list[str] | None) -> Rows:
        ends = {"client": client, "server": server}
        filters = {end: name for end, name in ends.items() if name is not None}
        return self._rows(aql.rows(EDGE_COLLECTION, "edge", filters, keys))

    def _clusters(self, ids: list[str] | None) -> Rows:
        return self._rows(aql.rows(CLUSTER_COLLECTION, "cluster", names=ids))

    def _step(self, frontier: Collection[str], downstream: bool) -> list[tuple[str, str]]:
        return [(node, key) for node, key in self._run(aql.edge_step(list(frontier), downstream))]

    def counts(self) -> StoreCounts:
        vertices = VERTEX_COLLECTIONS.values()
        return StoreCounts(
            nodes=sum(self._count(aql.count(collection, "node")) for collection in vertices),
            edges=self._count(aql.count_all(EDGE_COLLECTION)),
            stale_edges=self._count(aql.count(EDGE_COLLECTION, "edge", stale_only=True)),
            clusters=self._count(aql.count(CLUSTER_COLLECTION, "cluster")),
            overlays=len(self._run(aql.latest_overlays())),
            annotations=self._count(aql.count_all(ANNOTATIONS)),
        )

    def _put_overlay(self, name: str, version: int, definition: dict[str, Any]) -> None:
        with self._transaction([OVERLAYS]) as run:
            stored = {doc["version"]: doc["definition"] for doc in run(aql.overlay_versions(name))}
            if not overlay_is_stored(name, version, definition, stored):
                run(aql.insert_document(OVERLAYS, overlay_document(name, version, definition)))

    def _overlay(self, name: str, version: int | None) -> dict[str, Any] | None:
        for doc in self._run(aql.overlay_versions(name)):
            if version is None or doc["version"] == version:
                return dict(doc["definition"])
        return None

    def overlays(self) -> list[OverlayVersion]:
        return [OverlayVersion(name, version) for name, version in self._run(aql.latest_overlays())]

    def _delete_overlay(self, name: str) -> bool:
        with self._transaction([ANNOTATIONS, OVERLAYS]) as run:
            removed: list[Any] = []
            for query in aql.delete_overlay(name):
                removed = run(query)
        return bool(removed)

    def _put_annotations(
        self, overlay: str, kind: TargetKind, values: dict[str, dict[str, Any]]
    ) -> None:
        documents = [
            annotation_document(overlay, kind, key, fields) for key, fields in values.items()
        ]
        with self._transaction([ANNOTATIONS], read=[OVERLAYS]) as run:
            _require_overlay(run, overlay)
            if documents:
                run(aql.replace_annotations(documents))

    def _remove_annotations(self, overlay: str, kind: TargetKind, keys: list[str]) -> int:
        with self._transaction([ANNOTATIONS]) as run:
            return len(run(aql.remove_annotations(overlay, kind, keys)))

    def _swap_annotations(self, overlay: str, expected: Swap, new: Swap) -> None:
        # A stream transaction reads a snapshot; a concurrent writer of the same documents
        # makes one of the two fail with a write-write conflict, so neither update is lost.
        with self._transaction([ANNOTATIONS], read=[OVERLAYS]) as run:
            _require_overlay(run, overlay)
            for kind, targets in expected.items():
                found = run(aql.annotations_of(overlay, kind, list(targets)))
                changed = changed_targets(targets, {key: fields for key, fields in found})
                if changed:
                    raise conflict(overlay, kind, changed)
            for kind, targets in new.items():
                present, gone = present_and_gone(targets)
                documents = [
                    annotation_document(overlay, kind, key, fields)
                    for key, fields in present.items()
                ]
                if documents:
                    run(aql.replace_annotations(documents))
                if gone:
                    run(aql.remove_annotations(overlay, kind, gone))

    def _annotations(
        self, overlay: str, kind: TargetKind, keys: list[str] | None
    ) -> dict[str, dict[str, Any]]:
        found = self._run(aql.annotations_of(overlay, kind, keys))
        return {key: dict(fields) for key, fields in found}

    def _find_annotated(
        self, overlay: str, kind: TargetKind, field: str, op: AnnotationOp, value: Any
    ) -> list[str]:
        return [str(key) for key in self._run(aql.find_annotated(overlay, kind, field, op, value))]

    def drop_database(self) -> None:
        """Delete this store's whole database (the contract tests clean up with it)."""
        name, (username, password) = self._db.name, self._credentials
        system = self._client.db("_system", username=username, password=password)
        with self._lock:
            _call(lambda: system.delete_database(name, ignore_missing=True))

    def close(self) -> None:
        self._client.close()

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
                try:
                    _call(txn.abort_transaction)
                except StoreUnavailableError as exc:  # the server aborts it on its timeout
                    logger.warning("could not abort an ArangoDB transaction: %s", exc)
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


def _require_overlay(run: Runner, overlay: str) -> None:
    if not run(aql.overlay_versions(overlay)):
        raise unknown_overlay(overlay)


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
