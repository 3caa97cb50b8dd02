"""``meeseeks topology ...`` against the query views on a local web server."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from models.topology import EdgeKey
from streams.cli import main
from tests.unit.queries.conftest import Worker, stored_edge


@pytest.fixture
async def url(worker: Worker) -> str:
    edge = EdgeKey("web", "api", 8080)
    worker.topology.edge_table[edge.encode()] = stored_edge(edge, 2)
    return str(worker.client.make_url("")).rstrip("/")


async def meeseeks(*argv: str) -> int:
    # The CLI blocks on urllib: run it beside the event loop that serves the views.
    return await asyncio.to_thread(main, list(argv))


async def test_show_prints_the_edges(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await meeseeks("topology", "show", "--url", url, "--service", "api") == 0
    out = capsys.readouterr().out
    assert all(text in out for text in ("web", "8080", "5432"))
    assert "still reading the graph topics" in out


async def test_every_action_answers_in_json(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    commands = {
        ("show", "--kind", "unattributed", "--limit", "3"): "edges",
        ("neighbours", "api", "--direction", "both", "--hops", "2"): "downstream",
        ("neighbours", "unattributed:10.0.5.1", "--direction", "up"): "upstream",
        ("clusters",): "clusters",
        ("anomalies", "--kind", "new_edge"): "anomalies",
        ("unattributed",): "unattributed",
        ("edge", "web", "api", "8080"): "history",
    }
    for command, field in commands.items():
        assert await meeseeks("topology", *command, "--url", url, "--json") == 0, command
        assert field in json.loads(capsys.readouterr().out), command


async def test_tables_of_every_action(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (
        ("neighbours", "web", "--hops", "2"),
        ("clusters",),
        ("anomalies",),
        ("unattributed",),
        ("edge", "web", "api", "8080"),
    ):
        assert await meeseeks("topology", *command, "--url", url) == 0, command
    out = capsys.readouterr().out
    assert all(text in out for text in ("neighbours of web", "10.9.9.8", "closed windows"))


async def test_a_refused_query_is_one_line_with_the_workers_reason(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await meeseeks("topology", "neighbours", "web", "--hops", "50", "--url", url) == 2
    err = capsys.readouterr().err
    assert err.startswith("meeseeks topology: hops must be a whole number from 1 to 10")
    assert "HTTP 400" in err
    assert await meeseeks("topology", "edge", "web", "db", "1", "--url", url) == 2
    assert "no edge from 'web' to 'db' on port 1" in capsys.readouterr().err


async def test_no_worker_says_how_to_start_one(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"

    assert await meeseeks("topology", "clusters", "--url", url, "--timeout", "2") == 2
    err = capsys.readouterr().err
    assert f"no worker at {url}" in err
    assert "`make run` or `meeseeks worker`" in err
    assert await meeseeks("topology", "clusters", "--url", "ftp://x") == 2
    assert "must start with http://" in capsys.readouterr().err
