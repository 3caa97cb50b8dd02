"""MEESEEKS_STORE_URL parsing and opening."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import load_settings
from sinks.errors import StoreConfigError
from sinks.sqlite_store import SqliteGraphStore
from sinks.store_url import ArangoTarget, SqliteTarget, open_store, parse_store_url, store_url_of


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("sqlite:///var/lib/meeseeks/graph.sqlite", SqliteTarget("/var/lib/meeseeks/graph.sqlite")),
        ("sqlite://state/graph.sqlite", SqliteTarget("state/graph.sqlite")),
        ("sqlite://:memory:", SqliteTarget(":memory:")),
        ("arangodb://db.example:8530/graph", ArangoTarget("http://db.example:8530", "graph")),
        ("arangodb://db.example", ArangoTarget("http://db.example:8529", "meeseeks")),
        ("arangodbs://db.example/prod/", ArangoTarget("https://db.example:8529", "prod")),
        ("arangodb://[::1]:8529/g", ArangoTarget("http://[::1]:8529", "g")),
    ],
)
def test_good_urls(url: str, target: SqliteTarget | ArangoTarget) -> None:
    assert parse_store_url(url) == target


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "is not one of sqlite://PATH"),
        ("postgres://db/x", "is not one of sqlite://PATH"),
        ("sqlite://", "has no file path"),
        ("arangodb://root:secret@db:8529/x", "MEESEEKS_ARANGO_PASSWORD, not in the store URL"),
        ("arangodb://db:port/x", "has a bad port"),
        ("arangodb://db:99999/x", "has a bad port"),
        ("arangodb:///x", "has no host"),
        ("arangodb://db/x?ssl=1", "takes no query"),
        ("arangodb://db/a/b", "more than one database"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(StoreConfigError, match=message):
        parse_store_url(url)


def test_the_default_is_a_file_beside_the_worker_state(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    url = store_url_of(settings)
    assert url == f"sqlite://{tmp_path / 'data' / 'graph.sqlite'}"
    with open_store(url, settings) as store:
        assert isinstance(store, SqliteGraphStore)
        store.apply_changes([])
    assert (tmp_path / "data" / "graph.sqlite").exists()
    assert store_url_of(load_settings(store_url="sqlite://:memory:")) == "sqlite://:memory:"


def test_an_unreachable_arango_server_is_a_clear_error() -> None:
    from sinks.errors import StoreUnavailableError

    settings = load_settings(arango_timeout_s=2)
    with pytest.raises(StoreUnavailableError, match="cannot use ArangoDB database 'x'"):
        open_store("arangodb://127.0.0.1:9/x", settings)
