"""The SQLite store's tables and indexes, and the pragmas its connection runs with.

JSON columns hold payloads, definitions and annotation fields; the columns queries filter on
(zone, kind, client, server) are real columns with indexes. ``synchronous=FULL`` because the
sink commits its Kafka offsets once a batch is accepted: accepted must mean on disk.
"""

from __future__ import annotations

SCHEMA_VERSION = "1"

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA cache_size = -65536",  # 64 MiB: the 300,000-edge estate's hot pages stay cached
    # Checkpoint every ~200 MB of WAL: a page rewritten by many batches in between is copied
    # into the database file once (1.4 to 1.8 times the batched rate at 300,000 edges), and
    # the WAL file is cut back to 64 MB after a checkpoint.
    "PRAGMA wal_autocheckpoint = 50000",
    "PRAGMA journal_size_limit = 67108864",
)

TABLES = (
    """CREATE TABLE IF NOT EXISTS store_meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS nodes (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        zone TEXT,
        payload TEXT NOT NULL,
        change TEXT,
        at REAL,
        first_at REAL NOT NULL,
        stale INTEGER NOT NULL,
        stamps TEXT NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS nodes_by_zone ON nodes (zone, name)",
    "CREATE INDEX IF NOT EXISTS nodes_by_kind ON nodes (kind, name)",
    """CREATE TABLE IF NOT EXISTS edges (
        key TEXT PRIMARY KEY,
        client TEXT NOT NULL,
        server TEXT NOT NULL,
        port INTEGER NOT NULL,
        payload TEXT NOT NULL,
        change TEXT NOT NULL,
        at REAL NOT NULL,
        first_at REAL NOT NULL,
        stale INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS edges_by_client ON edges (client, key)",
    "CREATE INDEX IF NOT EXISTS edges_by_server ON edges (server, key)",
    """CREATE TABLE IF NOT EXISTS clusters (
        id TEXT PRIMARY KEY,
        payload TEXT NOT NULL,
        change TEXT NOT NULL,
        at REAL NOT NULL,
        first_at REAL NOT NULL,
        stale INTEGER NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS overlays (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        definition TEXT NOT NULL,
        PRIMARY KEY (name, version)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS annotations (
        overlay TEXT NOT NULL,
        target_kind TEXT NOT NULL,
        target_key TEXT NOT NULL,
        fields TEXT NOT NULL,
        PRIMARY KEY (overlay, target_kind, target_key)
    ) WITHOUT ROWID""",
)

NODE_UPSERT = """INSERT INTO nodes (name, kind, zone, payload, change, at, first_at, stale, stamps)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, zone = excluded.zone,
        payload = excluded.payload, change = excluded.change, at = excluded.at,
        first_at = excluded.first_at, stale = excluded.stale, stamps = excluded.stamps"""
"""A node folded in Python (sinks/store_fold.py: each field keeps its newest value)."""

IMPLIED_NODE = """INSERT INTO nodes (name, kind, zone, payload, change, at, first_at, stale, stamps)
    VALUES (?, ?, NULL, '{}', NULL, NULL, ?, 0, '{}')
    ON CONFLICT (name) DO UPDATE SET first_at = excluded.first_at
    WHERE excluded.first_at < nodes.first_at"""
"""The end of an edge or a cluster's own node: recorded if missing, its first_at kept least."""

EDGE_UPSERT = """INSERT INTO edges (key, client, server, port, payload, change, at, first_at, stale)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET
        payload = CASE WHEN excluded.at >= edges.at THEN excluded.payload ELSE edges.payload END,
        change = CASE WHEN excluded.at >= edges.at THEN excluded.change ELSE edges.change END,
        stale = CASE WHEN excluded.at >= edges.at THEN excluded.stale ELSE edges.stale END,
        at = max(edges.at, excluded.at),
        first_at = min(edges.first_at, excluded.first_at)"""
"""The newest change's payload wins (ties: the later one); any change may move first_at back.
SQLite evaluates every SET expression against the row as it was, so the CASEs agree."""

CLUSTER_UPSERT = """INSERT INTO clusters (id, payload, change, at, first_at, stale)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET
        payload = CASE WHEN excluded.at >= clusters.at
            THEN excluded.payload ELSE clusters.payload END,
        change = CASE WHEN excluded.at >= clusters.at
            THEN excluded.change ELSE clusters.change END,
        stale = CASE WHEN excluded.at >= clusters.at THEN excluded.stale ELSE clusters.stale END,
        at = max(clusters.at, excluded.at),
        first_at = min(clusters.first_at, excluded.first_at)"""
"""As ``EDGE_UPSERT``."""

SELECTS = {
    "node": "SELECT name, payload, change, at, first_at, stale, stamps FROM nodes",
    "edge": "SELECT key, payload, change, at, first_at, stale FROM edges",
    "cluster": "SELECT id, payload, change, at, first_at, stale FROM clusters",
}
"""The columns an ``Entity`` is read from, per kind; callers append WHERE and ORDER BY."""

KEY_COLUMNS = {"node": "name", "edge": "key", "cluster": "id"}
