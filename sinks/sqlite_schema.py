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

UPSERTS = {
    "node": """INSERT INTO nodes (name, kind, zone, payload, change, at, first_at, stale, stamps)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, zone = excluded.zone,
            payload = excluded.payload, change = excluded.change, at = excluded.at,
            first_at = excluded.first_at, stale = excluded.stale, stamps = excluded.stamps""",
    "edge": """INSERT INTO edges (key, client, server, port, payload, change, at, first_at, stale)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET payload = excluded.payload, change = excluded.change,
            at = excluded.at, first_at = excluded.first_at, stale = excluded.stale""",
    "cluster": """INSERT INTO clusters (id, payload, change, at, first_at, stale)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, change = excluded.change,
            at = excluded.at, first_at = excluded.first_at, stale = excluded.stale""",
}
"""One upsert per kind, keyed by the entity kind's value."""

SELECTS = {
    "node": "SELECT name, payload, change, at, first_at, stale, stamps FROM nodes",
    "edge": "SELECT key, payload, change, at, first_at, stale FROM edges",
    "cluster": "SELECT id, payload, change, at, first_at, stale FROM clusters",
}
"""The columns an ``Entity`` is read from, per kind; callers append WHERE and ORDER BY."""

KEY_COLUMNS = {"node": "name", "edge": "key", "cluster": "id"}
