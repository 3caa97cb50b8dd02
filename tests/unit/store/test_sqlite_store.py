"""What only the SQLite backend has: a file that outlives the process, its schema, its threads."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sinks.errors import StoreConfigError, StoreUnavailableError
from sinks.sqlite_store import SqliteGraphStore

from .builders import edge, node, snapshot


def test_the_file_keeps_everything_after_closing(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "graph.sqlite"
    with SqliteGraphStore(path) as store:
        store.apply_changes([node("api", zone="z"), edge("api", "db")])
        store.put_overlay("bcp", 1, {"nodes": {}})
        store.put_annotations("bcp", "node", {"api": {"level": "P0"}})
        before = snapshot(store)
    with SqliteGraphStore(path) as again:
        assert snapshot(again) == before
        assert again.annotations("bcp", "node") == {"api": {"level": "P0"}}
        mode = again._db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_a_file_of_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite"
    SqliteGraphStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE store_meta SET value = '99' WHERE name = 'schema'")
    db.close()
    with pytest.raises(StoreConfigError, match="holds store schema 99"):
        SqliteGraphStore(path)


def test_a_path_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailableError, match="cannot open the SQLite store"):
        SqliteGraphStore(path)


def test_writers_and_readers_on_many_threads(tmp_path: Path) -> None:
    with SqliteGraphStore(tmp_path / "graph.sqlite") as store:

        def write(index: int) -> int:
            store.apply_changes([edge(f"c{index}", "db", 5432, at=float(index))])
            return len(store.edges(server="db"))

        with ThreadPoolExecutor(max_workers=8) as pool:
            seen = list(pool.map(write, range(64)))
        assert len(store.edges(server="db")) == 64
        assert max(seen) == 64
        assert store.neighbours("db", "up", 1) == {f"c{index}": 1 for index in range(64)}


def test_the_queries_use_the_indexes(tmp_path: Path) -> None:
    with SqliteGraphStore(tmp_path / "graph.sqlite") as store:
        plans = {
            "step": "SELECT server, key FROM edges "
            "WHERE client IN (SELECT value FROM json_each(?))",
            "zone": "SELECT name FROM nodes WHERE zone = ?",
            "server": "SELECT key FROM edges WHERE server = ?",
        }
        for name, query in plans.items():
            plan = store._db.execute(f"EXPLAIN QUERY PLAN {query}", ("x",)).fetchall()
            details = " ".join(str(row[-1]) for row in plan)
            assert "USING COVERING INDEX" in details or "USING INDEX" in details, (name, details)
