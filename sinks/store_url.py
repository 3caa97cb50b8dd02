"""``MEESEEKS_STORE_URL`` to a graph store: which backend, where, with which credentials.

Parsing is pure (``parse_store_url``) so a bad URL is refused with what would be accepted before
anything is opened; ``open_store`` then builds the backend. ArangoDB credentials come from the
settings, never from the URL, so they stay out of logs and process listings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from config.settings import Settings
from sinks.errors import StoreConfigError
from sinks.sqlite_store import MEMORY, SqliteGraphStore
from sinks.store import GraphStore

SQLITE = "sqlite://"
ARANGO_SCHEMES = {"arangodb": "http", "arangodbs": "https"}
ARANGO_PORT = 8529
DEFAULT_DATABASE = "meeseeks"
DEFAULT_SQLITE_FILE = "graph.sqlite"
_EXAMPLES = (
    "sqlite://PATH, sqlite://:memory:, arangodb://HOST:PORT/DATABASE or "
    "arangodbs://HOST:PORT/DATABASE"
)


@dataclass(frozen=True, slots=True)
class SqliteTarget:
    """An SQLite file (or ``:memory:``)."""

    path: str


@dataclass(frozen=True, slots=True)
class ArangoTarget:
    """An ArangoDB server and database."""

    host: str
    """``http://host:port`` or ``https://host:port``."""
    database: str


def parse_store_url(url: str) -> SqliteTarget | ArangoTarget:
    """The store a URL names, or ``StoreConfigError`` saying what is accepted."""
    if url.startswith(SQLITE):
        path = url[len(SQLITE) :]
        if not path:
            raise StoreConfigError(f"store URL {url!r} has no file path; expected {_EXAMPLES}")
        return SqliteTarget(path)
    parts = urlsplit(url)
    scheme = ARANGO_SCHEMES.get(parts.scheme)
    if scheme is None:
        raise StoreConfigError(f"store URL {url!r:.200} is not one of {_EXAMPLES}")
    if parts.username is not None or parts.password is not None:
        raise StoreConfigError(
            "put ArangoDB credentials in MEESEEKS_ARANGO_USERNAME and MEESEEKS_ARANGO_PASSWORD, "
            "not in the store URL"
        )
    try:
        port = parts.port or ARANGO_PORT
    except ValueError as exc:
        raise StoreConfigError(f"store URL {url!r:.200} has a bad port: {exc}") from exc
    if not parts.hostname:
        raise StoreConfigError(f"store URL {url!r:.200} has no host; expected {_EXAMPLES}")
    if parts.query or parts.fragment:
        raise StoreConfigError(f"store URL {url!r:.200} takes no query or fragment")
    database = parts.path.strip("/") or DEFAULT_DATABASE
    if "/" in database:
        raise StoreConfigError(f"store URL {url!r:.200} names more than one database")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return ArangoTarget(f"{scheme}://{host}:{port}", database)


def store_url_of(settings: Settings) -> str:
    """The configured URL, or the SQLite file beside the workers' state when none is set."""
    if settings.store_url:
        return settings.store_url
    return f"{SQLITE}{Path(settings.data_dir) / DEFAULT_SQLITE_FILE}"


def open_store(url: str, settings: Settings) -> GraphStore:
    """Open (and create when missing) the store ``url`` names."""
    target = parse_store_url(url)
    if isinstance(target, SqliteTarget):
        return SqliteGraphStore(MEMORY if target.path == MEMORY else Path(target.path))
    from sinks.arango_store import ArangoGraphStore  # python-arango only when asked for

    return ArangoGraphStore.connect(
        target.host,
        target.database,
        username=settings.arango_username,
        password=settings.arango_password.get_secret_value(),
        verify_tls=settings.arango_verify_tls,
        timeout_s=settings.arango_timeout_s,
    )
