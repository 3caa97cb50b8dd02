"""The contract suite's backends: every test taking ``store`` runs on each of them.

SQLite always runs, on a file and in memory. ArangoDB runs when ``MEESEEKS_TEST_ARANGO_URL``
names a server (credentials from ``MEESEEKS_ARANGO_USERNAME`` / ``_PASSWORD``): each test gets
a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import load_settings
from sinks.sqlite_store import MEMORY, SqliteGraphStore
from sinks.store import GraphStore
from sinks.store_url import ArangoTarget, parse_store_url

ARANGO_URL = os.environ.get("MEESEEKS_TEST_ARANGO_URL", "")


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "arangodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    if request.param == "sqlite-file":
        with SqliteGraphStore(tmp_path / "graph.sqlite") as sqlite:
            yield sqlite
    elif request.param == "sqlite-memory":
        with SqliteGraphStore(MEMORY) as memory:
            yield memory
    else:
        yield from _arango_store()


def _arango_store() -> Iterator[GraphStore]:
    if not ARANGO_URL:
        pytest.skip("MEESEEKS_TEST_ARANGO_URL is not set: no ArangoDB server to test against")
    target = parse_store_url(ARANGO_URL)
    assert isinstance(target, ArangoTarget), "MEESEEKS_TEST_ARANGO_URL must be arangodb(s)://"
    from sinks.arango_store import ArangoGraphStore

    settings = load_settings()
    arango = ArangoGraphStore.connect(
        target.host,
        f"meeseeks_test_{uuid.uuid4().hex}",
        username=settings.arango_username,
        password=settings.arango_password.get_secret_value(),
        verify_tls=settings.arango_verify_tls,
        timeout_s=settings.arango_timeout_s,
    )
    try:
        yield arango
    finally:
        arango.drop_database()
        arango.close()
