"""The embedded graph store: one SQLite file (or memory), the default backend.

One connection shared under a lock, because the sink and the API call in from worker threads
(``asyncio.to_thread``); each write is one ``BEGIN IMMEDIATE`` transaction. Keys travel as
one bound JSON array (``IN (SELECT value FROM json_each(?))``), so no query text is built from
data.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from models.graph_change import EntityKind, GraphChange
from models.query_input import Direction, node_kind
from models.topology import EdgeKey
from sinks.errors import (
    OverlayConflictError,
    StoreConfigError,
    StoreUnavailableError,
    UnknownOverlayError,
)
from sinks.sqlite_annotations import annotation_condition
from sinks.sqlite_schema import KEY_COLUMNS, PRAGMAS, SCHEMA_VERSION, SELECTS, TABLES, UPSERTS
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
from sinks.store_fold import Entity, Ref, check_changes, encode_json, entity_row, fold, touched_refs
from sinks.store_walk import walk

MEMORY = ":memory:"
_IN_KEYS = "IN (SELECT value FROM json_each(?))"
_DOWNSTREAM = "SELECT server, key FROM edges WHERE client IN (SELECT value FROM json_each(?))"
_UPSTREAM = "SELECT client, key FROM edges WHERE server IN (SELECT value FROM json_each(?))"
_UPSERT_ANNOTATION = """INSERT INTO annotations (overlay, target_kind, target_key, fields)
    VALUES (?, ?, ?, ?) ON CONFLICT (overlay, target_kind, target_key)
    DO UPDATE SET fields = excluded.fields"""
_FIND_ANNOTATED = "SELECT target_key FROM annotations WHERE overlay = ? AND target_kind = ?"
_DELETE_ANNOTATIONS = """DELETE FROM annotations WHERE overlay = ? AND target_kind = ?
    AND target_key IN (SELECT value FROM json_each(?))"""


class SqliteGraphStore:
    """The ``GraphStore`` on SQLite (see sinks/store.py for the contract)."""

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

    # -- stream-owned rows -------------------------------------------------------------------
    def apply_changes(self, changes: Sequence[GraphChange]) -> None:
        check_changes(changes)
        if not changes:
            return
        with self._transaction() as db:
            current = self._entities(db, touched_refs(changes))
            written = fold(current, changes)
            for kind in EntityKind:
                rows = [_row(entity) for entity in written.values() if entity.kind is kind]
                if rows:
                    db.executemany(UPSERTS[kind.value], rows)

    def apply_change(self, change: GraphChange) -> None:
        self.apply_changes([change])

    def node(self, name: str) -> dict[str, Any] | None:
        return self._one(EntityKind.NODE, name)

    def edge(self, key: str) -> dict[str, Any] | None:
        return self._one(EntityKind.EDGE, key)

    def cluster(self, cluster_id: str) -> dict[str, Any] | None:
        return self._one(EntityKind.CLUSTER, cluster_id)

    def nodes(
        self,
        kind: str | None = None,
        zone: str | None = None,
        names: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        wanted_kind, wanted = check_node_kind(kind), check_names("node name", names)
        where: list[str] = []
        params: list[Any] = []
        if wanted_kind is not None:
            where.append("kind = ?")
            params.append(wanted_kind.value)
        if zone is not None:
            where.append("zone = ?")
            params.append(check_name("zone", zone))
        if wanted is not None:
            where.append(f"name {_IN_KEYS}")
            params.append(json.dumps(wanted))
        return self._rows(EntityKind.NODE, where, params)

    def edges(
        self,
        client: str | None = None,
        server: str | None = None,
        keys: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        wanted = check_names("edge key", keys)
        where: list[str] = []
        params: list[Any] = []
        if client is not None:
            where.append("client = ?")
            params.append(check_name("client", client))
        if server is not None:
            where.append("server = ?")
            params.append(check_name("server", server))
        if wanted is not None:
            where.append(f"key {_IN_KEYS}")
            params.append(json.dumps(wanted))
        return self._rows(EntityKind.EDGE, where, params)

    def clusters(self) -> list[dict[str, Any]]:
        return self._rows(EntityKind.CLUSTER, [], [])

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
            query = _DOWNSTREAM if downstream else _UPSTREAM
            return self._query(query, (json.dumps(list(frontier)),))

        return walk(start, way, depth, step, allowed)

    def counts(self) -> StoreCounts:
        with self._lock:
            one = self._db.execute(
                """SELECT (SELECT COUNT(*) FROM nodes), (SELECT COUNT(*) FROM edges),
                    (SELECT COUNT(*) FROM edges WHERE stale), (SELECT COUNT(*) FROM clusters),
                    (SELECT COUNT(DISTINCT name) FROM overlays),
                    (SELECT COUNT(*) FROM annotations)"""
            ).fetchone()
        return StoreCounts(*one)

    # -- overlays ----------------------------------------------------------------------------
    def put_overlay(self, name: str, version: int, definition: Mapping[str, Any]) -> None:
        name, version = check_name("overlay name", name), check_version(version)
        text = check_definition(name, definition)
        with self._transaction() as db:
            stored = db.execute(
                "SELECT definition FROM overlays WHERE name = ? AND version = ?", (name, version)
            ).fetchone()
            if stored is not None:
                if json.loads(stored[0]) != json.loads(text):
                    raise OverlayConflictError(
                        f"overlay {name!r} version {version} exists with another definition; "
                        "register the change as a new version"
                    )
                return
            latest = _latest(db, name)
            if latest is not None and version < latest:
                raise OverlayConflictError(
                    f"overlay {name!r} is at version {latest}; new versions must be above it"
                )
            db.execute(
                "INSERT INTO overlays (name, version, definition) VALUES (?, ?, ?)",
                (name, version, text),
            )

    def overlay(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        name = check_name("overlay name", name)
        if version is None:
            query = "SELECT definition FROM overlays WHERE name = ? ORDER BY version DESC LIMIT 1"
            found = self._query(query, (name,))
        else:
            query = "SELECT definition FROM overlays WHERE name = ? AND version = ?"
            found = self._query(query, (name, check_version(version)))
        return dict(json.loads(found[0][0])) if found else None

    def overlays(self) -> list[OverlayVersion]:
        query = "SELECT name, MAX(version) FROM overlays GROUP BY name ORDER BY name"
        return [OverlayVersion(name, version) for name, version in self._query(query, ())]

    def delete_overlay(self, name: str) -> bool:
        name = check_name("overlay name", name)
        with self._transaction() as db:
            db.execute("DELETE FROM annotations WHERE overlay = ?", (name,))
            return db.execute("DELETE FROM overlays WHERE name = ?", (name,)).rowcount > 0

    # -- annotations -------------------------------------------------------------------------
    def put_annotations(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        values: Mapping[str, Mapping[str, Any]],
    ) -> None:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        rows = [(overlay, kind.value, key, text) for key, text in check_annotations(values).items()]
        with self._transaction() as db:
            if _latest(db, overlay) is None:
                raise UnknownOverlayError(
                    f"overlay {overlay!r} is not registered; register it before annotating"
                )
            db.executemany(_UPSERT_ANNOTATION, rows)

    def remove_annotations(
        self, overlay: str, target_kind: TargetKind | str, keys: Iterable[str]
    ) -> int:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        wanted = check_names("annotation target key", keys) or []
        with self._transaction() as db:
            params = (overlay, kind.value, json.dumps(wanted))
            return db.execute(_DELETE_ANNOTATIONS, params).rowcount

    def annotations(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        keys: Iterable[str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        wanted = check_names("annotation target key", keys)
        query = "SELECT target_key, fields FROM annotations WHERE overlay = ? AND target_kind = ?"
        params: list[Any] = [overlay, kind.value]
        if wanted is not None:
            query += f" AND target_key {_IN_KEYS}"
            params.append(json.dumps(wanted))
        rows = self._query(query + " ORDER BY target_key", params)
        return {key: json.loads(fields) for key, fields in rows}

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
        condition, params = annotation_condition(check_field(field), checked_op, checked_value)
        # the condition is built from constant fragments; its values are bound parameters
        query = f"{_FIND_ANNOTATED} AND {condition} ORDER BY target_key"
        return [key for (key,) in self._query(query, [overlay, kind.value, *params])]

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._db.close()

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
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreUnavailableError(
                    f"SQLite store {self.path} refused a write: {exc}"
                ) from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreUnavailableError(
                    f"SQLite store {self.path} failed a commit: {exc}"
                ) from exc

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

    def _one(self, kind: EntityKind, key: str) -> dict[str, Any] | None:
        rows = self._rows(kind, [f"{KEY_COLUMNS[kind.value]} = ?"], [check_name(kind.value, key)])
        return rows[0] if rows else None

    def _rows(self, kind: EntityKind, where: list[str], params: list[Any]) -> list[dict[str, Any]]:
        query = SELECTS[kind.value]
        if where:
            query += " WHERE " + " AND ".join(where)
        query += f" ORDER BY {KEY_COLUMNS[kind.value]}"
        return [entity_row(_entity(kind, row)) for row in self._query(query, params)]


def _latest(db: sqlite3.Connection, name: str) -> int | None:
    found = db.execute("SELECT MAX(version) FROM overlays WHERE name = ?", (name,)).fetchone()
    return None if found[0] is None else int(found[0])


def _entity(kind: EntityKind, row: Sequence[Any]) -> Entity:
    key, payload, change, at, first_at, stale, *stamps = row
    entity = Entity(kind, key, json.loads(payload), change, at, first_at, bool(stale))
    return replace(entity, stamps=json.loads(stamps[0])) if stamps else entity


def _row(entity: Entity) -> tuple[Any, ...]:
    """The upsert parameters of one entity (UPSERTS column order)."""
    payload = encode_json(entity.payload)
    tail = (payload, entity.change, entity.at, entity.first_at, int(entity.stale))
    if entity.kind is EntityKind.NODE:
        zone = entity.payload.get("zone")
        stamps = encode_json(entity.stamps)
        return (entity.key, node_kind(entity.key).value, zone, *tail, stamps)
    if entity.kind is EntityKind.EDGE:
        edge = EdgeKey.decode(entity.key)
        return (entity.key, edge.client, edge.server, edge.port, *tail)
    return (entity.key, *tail)
