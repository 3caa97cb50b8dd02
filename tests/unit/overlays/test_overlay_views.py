"""The /overlays/ HTTP API on an in-process Faust web server over the embedded store."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import faust
import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from config.settings import Settings
from sinks.sqlite_store import SqliteGraphStore
from streams.overlay_views import register_overlay_views
from tests.unit.overlays.conftest import OVERLAYS, small_definition
from tests.unit.queries.conftest import edge, node

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Api:
    client: TestClient  # type: ignore[type-arg]

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: bool = True,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        headers = AUTH if auth else {}
        response = await self.client.request(method, path, data=data, headers=headers)
        return response.status, await response.json()


async def serve(token: str) -> tuple[Api, SqliteGraphStore]:
    store = SqliteGraphStore(":memory:")
    store.apply_changes(
        [
            node("web", "a"),
            node("api", "a"),
            node("db", "b"),
            edge("web", "api", 8080),
            edge("api", "db", 5432),
        ]
    )
    app = faust.App(f"overlay-views-{token or 'none'}", store="memory://", autodiscover=False)
    settings = Settings(api_token=SecretStr(token))
    register_overlay_views(app, settings, store)
    client = TestClient(TestServer(app.web.web_app))
    await client.start_server()
    return Api(client), store


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    served, store = await serve(TOKEN)
    try:
        status, _ = await served.call("POST", "/overlays/", small_definition())
        assert status == 200
        yield served
    finally:
        await served.client.close()
        store.close()


async def test_register_list_show_annotate_query_delete(api: Api) -> None:
    bcp = yaml.safe_load((OVERLAYS / "bcp.yaml").read_text())
    status, body = await api.call("POST", "/overlays", bcp)
    assert (status, body["registered"], body["version"]) == (200, True, 1)
    status, body = await api.call("GET", "/overlays/")
    assert [o["name"] for o in body["overlays"]] == ["bcp", "small"]

    document = {
        "select": [{"nodes": {"zone": "a"}, "set": {"level": "P0", "rto": "15m"}}],
        "nodes": {"db": {"level": "P1", "rto": "1h"}},
        "edges": {"api|db|5432": {"kind": "essential"}},
    }
    status, body = await api.call("POST", "/overlays/small/annotations/", document)
    assert (status, body["nodes"], body["edges"]) == (200, 3, 1)
    status, body = await api.call("GET", "/overlays/small/annotations/node/?keys=web,db")
    assert body["annotations"] == {
        "web": {"level": "P0", "rto": 900},
        "db": {"level": "P1", "rto": 3600},
    }
    status, body = await api.call("GET", "/overlays/small/")
    assert (status, body["annotated"]) == (200, {"nodes": 3, "edges": 1})

    query = {"where": ["level=P0"], "hops": 2, "via": ["kind=essential"]}
    status, body = await api.call("POST", "/overlays/small/query/", query, auth=False)
    assert status == 200
    assert [row["name"] for row in body["matched"]] == ["api", "web"]
    assert [(r["name"], r["distance"]) for r in body["reached"]] == [("db", 1)]
    path = "/overlays/small/query/?where=level%3DP1&filters=zone%3Db"
    status, body = await api.call("GET", path, auth=False)
    assert (status, [row["name"] for row in body["matched"]]) == (200, ["db"])

    status, body = await api.call(
        "DELETE", "/overlays/small/annotations/edge/", {"keys": ["api|db|5432"]}
    )
    assert (status, body["removed"]) == (200, 1)
    status, body = await api.call("DELETE", "/overlays/small/")
    assert (status, body["deleted"]) == (200, True)
    status, body = await api.call("GET", "/overlays/small/")
    assert status == 404
    assert "overlay 'small' is not registered" in body["error"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/overlays/", small_definition(version=2)),
        ("DELETE", "/overlays/small/", None),
        ("POST", "/overlays/small/annotations/", {"nodes": {"web": {"level": "P0", "rto": 1}}}),
        ("DELETE", "/overlays/small/annotations/node/", {"keys": ["web"]}),
    ],
)
async def test_mutations_need_the_bearer_token(api: Api, method: str, path: str, body: Any) -> None:
    status, answer = await api.call(method, path, body, auth=False)
    assert (status, answer["status"]) == (401, 401)
    assert "Authorization: Bearer" in answer["error"]
    response = await api.client.request(
        method, path, data=json.dumps(body), headers={"Authorization": "Bearer wrong"}
    )
    assert response.status == 401
    assert "is not this worker's MEESEEKS_API_TOKEN" in (await response.json())["error"]
    # Nothing changed: still version 1, nothing annotated.
    status, shown = await api.call("GET", "/overlays/small/", auth=False)
    assert (shown["version"], shown["annotated"]) == (1, {"nodes": 0, "edges": 0})


async def test_without_a_configured_token_every_mutation_is_refused() -> None:
    api, store = await serve("")
    try:
        status, body = await api.call("POST", "/overlays/", small_definition())
        assert status == 401
        assert "set MEESEEKS_API_TOKEN" in body["error"]
        status, body = await api.call("GET", "/overlays/", auth=False)
        assert (status, body["overlays"]) == (200, [])
    finally:
        await api.client.close()
        store.close()


@pytest.mark.parametrize(
    ("method", "path", "body", "raw", "status", "message"),
    [
        ("POST", "/overlays/", None, b"{not json", 400, "the body is not JSON"),
        ("POST", "/overlays/", {"name": "Bad"}, None, 400, "name 'Bad' must be lower case"),
        ("POST", "/overlays/", small_definition(version=3), None, 400, "register version 2"),
        (
            "POST",
            "/overlays/small/annotations/",
            {"nodes": {"web": {"level": "P7", "rto": "1h"}}},
            None,
            400,
            "annotations rejected, nothing stored",
        ),
        ("POST", "/overlays/small/annotations/", [], None, 400, "must be a mapping"),
        (
            "POST",
            "/overlays/nope/annotations/",
            {"nodes": {}},
            None,
            404,
            "'nope' is not registered",
        ),
        (
            "POST",
            "/overlays/small/query/",
            {"where": ["colour=red"]},
            None,
            400,
            "no node field 'colour'",
        ),
        ("POST", "/overlays/small/query/", {"hops": 99}, None, 400, "hops must be a whole number"),
        ("GET", "/overlays/small/annotations/link/", None, None, 400, "node or edge, not 'link'"),
        ("GET", "/overlays/small/?version=x", None, None, 400, "version must be a whole number"),
        (
            "GET",
            "/overlays/small/?version=7",
            None,
            None,
            404,
            "overlay 'small' v7 is not registered",
        ),
        (
            "POST",
            "/overlays/?strict=maybe",
            small_definition(version=2),
            None,
            400,
            "strict must be 1 or 0",
        ),
        (
            "DELETE",
            "/overlays/small/annotations/node/",
            {"key": "web"},
            None,
            400,
            '{"keys": [KEY, ...]}',
        ),
    ],
)
async def test_bad_requests_get_a_clear_reason(
    api: Api, method: str, path: str, body: Any, raw: bytes | None, status: int, message: str
) -> None:
    got, answer = await api.call(method, path, body, raw=raw)
    assert (got, answer["status"]) == (status, status)
    assert message in answer["error"]


async def test_a_rejected_annotation_lists_every_problem(api: Api) -> None:
    document = {"nodes": {"web": {"level": "P7"}, "api": {"level": "P0", "rto": "soon"}}}
    status, body = await api.call("POST", "/overlays/small/annotations/", document)
    assert status == 400
    assert body["problems"] == [
        "node 'web': field 'level' (enum) must be one of P0, P1, P2, not str 'P7'",
        "node 'web': field 'rto' is required by overlay 'small' v1",
        "node 'api': field 'rto' (duration) is not a duration: str 'soon'; write for example "
        "90s, 30m, 4h, 1h30m, 7d, or a number of seconds",
    ]


async def test_evolving_reports_misfits(api: Api) -> None:
    await api.call(
        "POST", "/overlays/small/annotations/", {"nodes": {"web": {"level": "P2", "rto": 60}}}
    )
    v2 = small_definition(
        version=2, nodes={"level": {"type": "enum", "values": ["P0", "P1"]}, "rto": "duration"}
    )
    status, body = await api.call("POST", "/overlays/?strict=1", v2)
    assert status == 400
    assert "stored annotations would not fit" in body["error"]
    status, body = await api.call("POST", "/overlays/", v2)
    assert (status, body["version"]) == (200, 2)
    assert body["misfits"] == [
        "node 'web': field 'level' (enum) must be one of P0, P1, not str 'P2'"
    ]


async def test_a_store_that_cannot_be_opened_is_a_503_with_the_reason() -> None:
    app = faust.App("overlay-views-no-store", store="memory://", autodiscover=False)
    register_overlay_views(app, Settings(store_url="redis://cache:6379"))
    client = TestClient(TestServer(app.web.web_app))
    await client.start_server()
    try:
        status, body = await Api(client).call("GET", "/overlays/", auth=False)
    finally:
        await client.close()
    assert (status, body["status"]) == (503, 503)
    assert "store URL 'redis://cache:6379' is not one of" in body["error"]


async def test_a_body_over_the_web_servers_limit_is_a_413_that_says_what_to_do(api: Api) -> None:
    names = {f"service-{i:07d}": {"level": "P2", "rto": "4h"} for i in range(40_000)}
    status, body = await api.call("POST", "/overlays/small/annotations/", {"nodes": names})
    assert (status, body["status"]) == (413, 413)
    assert "send the annotations in several requests" in body["error"]
