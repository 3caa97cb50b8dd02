"""The embedded graph store: one SQLite file (or memory), the default backend.

One connection shared under a lock, because the sink and the API call in from worker threads
(``asyncio.to_thread``); each write is one ``BEGIN IMMEDIATE`` transaction. Keys travel as
one bound JSON array (``IN (SELECT value FROM json_each(?))``), so no query text is built from
data.
"""

from __future__ import annotations

import itertools
import json
import math
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from models.graph_change import EntityKind, GraphChange
from models.overlay_schema import TargetKind
from models.query_input import NodeKind, node_kind
from models.topology import KEY_SEPARATOR
from sinks.errors import StoreConfigError, StoreUnavailableError
from sinks.sqlite_annotations import annotation_condition
from sinks.sqlite_schema import (
    CLUSTER_UPSERT,
    EDGE_UPSERT,
    IMPLIED_NODE,
    KEY_COLUMNS,
    NODE_UPSERT,
    PRAGMAS,
    SCHEMA_VERSION,
    SELECTS,
    TABLES,
)
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
from sinks.store_fold import Entity, Ref, encode_json, entity_row, fold, is_stale, refused

MEMORY = ":memory:"
MAX_KNOWN_NODES = 2_000_000
"""Bound of the known-nodes cache (about 200 MB at most); past it the cache starts again."""
_IN_KEYS = "IN (SELECT value FROM json_each(?))"
_DOWNSTREAM = "SELECT server, key FROM edges WHERE client IN (SELECT value FROM json_each(?))"
_UPSTREAM = "SELECT client, key FROM edges WHERE server IN (SELECT value FROM json_each(?))"
_UPSERT_ANNOTATION = """INSERT INTO annotations (overlay, target_kind, target_key, fields)
    VALUES (?, ?, ?, ?) ON CONFLICT (overlay, target_kind, target_key)
    DO UPDATE SET fields = excluded.fields"""
_SELECT_ANNOTATIONS = (
    "SELECT target_key, fields FROM annotations WHERE overlay = ? AND target_kind = ?"
)
_FIND_ANNOTATED = "SELECT target_key FROM annotations WHERE overlay = ? AND target_kind = ?"
_DELETE_ANNOTATIONS = """DELETE FROM annotations WHERE overlay = ? AND target_kind = ?
    AND target_key IN (SELECT value FROM json_each(?))"""


class SqliteGraphStore(CheckedStore):
    """The ``GraphStore`` on SQLite (see sinks/store.py for the contract)."""

    checks_json_first = False  # every payload is encoded once, in ``_upsert_rows``

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for statement in (*PRAGMAS, *TABLES):
                self._db.execute(statement)
            self._db.execute(
                "INSERT OR IGNORE INTO store_meta (name, value) VALUES ('schema', ?)",
                (SCHEMA_VERSION,),
            )
            found = self._db.execute("SELECT value FROM store_meta WHERE name = 'schema'")
            version = found.fetchone()[0]
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot open the SQLite store {self.path}: {exc}") from exc
        if version != SCHEMA_VERSION:
            self._db.close()
            raise StoreConfigError(
                f"{self.path} holds store schema {version}, this Meeseeks writes "
                f"{SCHEMA_VERSION}; point MEESEEKS_STORE_URL at a new file"
            )
        self._lock = threading.Lock()
        self._first_at: dict[str, float] = {}
        """Committed nodes to an upper bound of their first_at (it only ever goes down, so
        the bound stays true): an implied node already stored that early is not upserted."""

    def _apply(self, changes: Sequence[GraphChange]) -> None:
        implied, edges, clusters, nodes = _upsert_rows(changes)
        known = self._first_at
        missing = [
            (name, node_kind(name).value, at)
            for name, at in implied.items()
            if known.get(name, math.inf) > at
        ]
        written: Iterable[Entity] = ()
        with self._transaction() as db:
            db.executemany(IMPLIED_NODE, missing)
            db.executemany(EDGE_UPSERT, edges)
            db.executemany(CLUSTER_UPSERT, clusters)
            if nodes:
                current = self._entities(db, {(EntityKind.NODE, change.key) for change in nodes})
                written = fold(current, nodes).values()
                db.executemany(NODE_UPSERT, [_node_row(entity) for entity in written])
        if len(known) > MAX_KNOWN_NODES:
            known.clear()
        for name, at in itertools.chain(implied.items(), ((e.key, e.first_at) for e in written)):
            known[name] = min(at, known.get(name, at))

    def _nodes(self, kind: NodeKind | None, zone: str | None, names: list[str] | None) -> Rows:
        return self._rows(EntityKind.NODE, {"kind": kind and kind.value, "zone": zone}, names)

    def _edges(self, client: str | None, server: str | None, keys: list[str] | None) -> Rows:
        return self._rows(EntityKind.EDGE, {"client": client, "server": server}, keys)

    def _clusters(self, ids: list[str] | None) -> Rows:
        return self._rows(EntityKind.CLUSTER, {}, ids)

    def _step(self, frontier: Collection[str], downstream: bool) -> list[tuple[str, str]]:
        query = _DOWNSTREAM if downstream else _UPSTREAM
        return self._query(query, (json.dumps(list(frontier)),))

    def counts(self) -> StoreCounts:
        with self._lock:
            one = self._db.execute(
                """SELECT (SELECT COUNT(*) FROM nodes), (SELECT COUNT(*) FROM edges),
                    (SELECT COUNT(*) FROM edges WHERE stale), (SELECT COUNT(*) FROM clusters),
                    (SELECT COUNT(DISTINCT name) FROM overlays),
                    (SELECT COUNT(*) FROM annotations)"""
            ).fetchone()
        return StoreCounts(*one)

    def _put_overlay(self, name: str, version: int, definition: dict[str, Any]) -> None:
        with self._transaction() as db:
            found = db.execute(
                "SELECT version, definition FROM overlays WHERE name = ?", (name,)
            ).fetchall()
            stored = {number: json.loads(text) for number, text in found}
            if not overlay_is_stored(name, version, definition, stored):
                db.execute(
                    "INSERT INTO overlays (name, version, definition) VALUES (?, ?, ?)",
                    (name, version, encode_json(definition)),
                )

    def _overlay(self, name: str, version: int | None) -> dict[str, Any] | None:
        if version is None:
            query = "SELECT definition FROM overlays WHERE name = ? ORDER BY version DESC LIMIT 1"
            found = self._query(query, (name,))
        else:
            query = "SELECT definition FROM overlays WHERE name = ? AND version = ?"
            found = self._query(query, (name, version))
        return dict(json.loads(found[0][0])) if found else None

    def overlays(self) -> list[OverlayVersion]:
        query = "SELECT name, MAX(version) FROM overlays GROUP BY name ORDER BY name"
        return [OverlayVersion(name, version) for name, version in self._query(query, ())]

    def _delete_overlay(self, name: str) -> bool:
        with self._transaction() as db:
            db.execute("DELETE FROM annotations WHERE overlay = ?", (name,))
            return db.execute("DELETE FROM overlays WHERE name = ?", (name,)).rowcount > 0

    def _put_annotations(
        self, overlay: str, kind: TargetKind, values: dict[str, dict[str, Any]]
    ) -> None:
        rows = [(overlay, kind.value, key, encode_json(fields)) for key, fields in values.items()]
        with self._transaction() as db:
            _require_overlay(db, overlay)
            db.executemany(_UPSERT_ANNOTATION, rows)

    def _remove_annotations(self, overlay: str, kind: TargetKind, keys: list[str]) -> int:
        with self._transaction() as db:
            params = (overlay, kind.value, json.dumps(keys))
            return db.execute(_DELETE_ANNOTATIONS, params).rowcount

    def _swap_annotations(self, overlay: str, expected: Swap, new: Swap) -> None:
        # BEGIN IMMEDIATE takes the write lock before the reads: no other connection or
        # process can change these rows between the comparison and the writes.
        with self._transaction() as db:
            _require_overlay(db, overlay)
            for kind, targets in expected.items():
                rows = db.execute(
                    f"{_SELECT_ANNOTATIONS} AND target_key {_IN_KEYS}",
                    (overlay, kind.value, json.dumps(list(targets))),
                ).fetchall()
                changed = changed_targets(targets, {key: json.loads(f) for key, f in rows})
                if changed:
                    raise conflict(overlay, kind, changed)
            for kind, targets in new.items():
                present, gone = present_and_gone(targets)
                put = [
                    (overlay, kind.value, key, encode_json(fields))
                    for key, fields in present.items()
                ]
                db.executemany(_UPSERT_ANNOTATION, put)
                if gone:
                    db.execute(_DELETE_ANNOTATIONS, (overlay, kind.value, json.dumps(gone)))

    def _annotations(
        self, overlay: str, kind: TargetKind, keys: list[str] | None
    ) -> dict[str, dict[str, Any]]:
        query = _SELECT_ANNOTATIONS
        params: list[Any] = [overlay, kind.value]
        if keys is not None:
            query += f" AND target_key {_IN_KEYS}"
            params.append(json.dumps(keys))
        rows = self._query(query + " ORDER BY target_key", params)
        return {key: json.loads(fields) for key, fields in rows}

    def _find_annotated(
        self, overlay: str, kind: TargetKind, field: str, op: AnnotationOp, value: Any
    ) -> list[str]:
        condition, params = annotation_condition(field, op, value)
        # the condition is built from constant fragments; its values are bound parameters
        query = f"{_FIND_ANNOTATED} AND {condition} ORDER BY target_key"
        return [key for (key,) in self._query(query, [overlay, kind.value, *params])]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- helpers -----------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                message = f"SQLite store {self.path} refused a write: {exc}"
                raise StoreUnavailableError(message) from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                message = f"SQLite store {self.path} failed a commit: {exc}"
                raise StoreUnavailableError(message) from exc

    def _query(self, query: str, params: Sequence[Any]) -> list[Any]:
        with self._lock:
            return self._db.execute(query, params).fetchall()

    def _entities(self, db: sqlite3.Connection, refs: Iterable[Ref]) -> dict[Ref, Entity]:
        keys: dict[EntityKind, list[str]] = {kind: [] for kind in EntityKind}
        for kind, key in refs:
            keys[kind].append(key)
        found: dict[Ref, Entity] = {}
        for kind, wanted in keys.items():
            if wanted:
                query = f"{SELECTS[kind.value]} WHERE {KEY_COLUMNS[kind.value]} {_IN_KEYS}"
                for row in db.execute(query, (json.dumps(wanted),)):
                    entity = _entity(kind, row)
                    found[entity.ref] = entity
        return found

    def _rows(self, kind: EntityKind, equal: dict[str, str | None], keys: list[str] | None) -> Rows:
        """Rows whose columns equal the non-None values of ``equal`` (the store's own names)."""
        where = [f"{column} = ?" for column, value in equal.items() if value is not None]
        params: list[Any] = [value for value in equal.values() if value is not None]
        if keys is not None:
            where.append(f"{KEY_COLUMNS[kind.value]} {_IN_KEYS}")
            params.append(json.dumps(keys))
        query = SELECTS[kind.value]
        if where:
            query += " WHERE " + " AND ".join(where)
        query += f" ORDER BY {KEY_COLUMNS[kind.value]}"
        return [entity_row(_entity(kind, row)) for row in self._query(query, params)]


def _require_overlay(db: sqlite3.Connection, overlay: str) -> None:
    if db.execute("SELECT 1 FROM overlays WHERE name = ?", (overlay,)).fetchone() is None:
        raise unknown_overlay(overlay)


def _entity(kind: EntityKind, row: Sequence[Any]) -> Entity:
    key, payload, change, at, first_at, stale, *stamps = row
    entity = Entity(kind, key, json.loads(payload), change, at, first_at, bool(stale))
    return replace(entity, stamps=json.loads(stamps[0])) if stamps else entity


def _upsert_rows(
    changes: Sequence[GraphChange],
) -> tuple[dict[str, float], list[tuple[Any, ...]], list[tuple[Any, ...]], list[GraphChange]]:
    """Implied nodes to their earliest time, the edge and cluster upserts' parameters in order,
    and the node changes.

    Implied nodes are merged per name first (earliest time): recording a node if missing and
    keeping its least first_at gives the same row in any order.
    """
    implied: dict[str, float] = {}
    edges: list[tuple[Any, ...]] = []
    clusters: list[tuple[Any, ...]] = []
    nodes: list[GraphChange] = []
    for index, change in enumerate(changes):
        kind, key, at = change.kind, change.key, change.at
        try:
            payload = encode_json(change.payload)
        except ValueError as exc:
            raise refused(index, change, f"the payload is not JSON: {exc}") from exc
        if kind is EntityKind.NODE:
            nodes.append(change)  # folded in Python, each field keeping its newest value
            continue
        stale = int(is_stale(change))
        if kind is EntityKind.EDGE:
            client, server, port = key.rsplit(KEY_SEPARATOR, 2)  # as EdgeKey.decode, checked
            edges.append(
                (key, client, server, int(port), payload, change.change.value, at, at, stale)
            )
            ends: tuple[str, ...] = (client, server)
        else:
            clusters.append((key, payload, change.change.value, at, at, stale))
            ends = (key,)
        for name in ends:
            implied[name] = min(at, implied.get(name, at))
    return implied, edges, clusters, nodes


def _node_row(entity: Entity) -> tuple[Any, ...]:
    """``NODE_UPSERT`` parameters."""
    payload = entity.payload
    return (
        entity.key,
        node_kind(entity.key).value,
        payload.get("zone"),
        encode_json(payload),
        entity.change,
        entity.at,
        entity.first_at,
        int(entity.stale),
        encode_json(entity.stamps),
    )
