"""The read guard of the worker's web server: bearer checks and the aiohttp middleware."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from config.errors import SettingsError
from config.settings import load_settings
from streams.app import create_app
from streams.web_auth import bearer_refusal, needs_read_token, web_application_options


def test_bearer_refusals_name_the_problem() -> None:
    assert bearer_refusal("Bearer s3cret", "s3cret") is None
    assert bearer_refusal("bearer  s3cret ", "s3cret") is None
    assert "needs the header" in (bearer_refusal(None, "s3cret") or "")
    assert "needs the header" in (bearer_refusal("Basic czNjcmV0", "s3cret") or "")
    assert "needs the header" in (bearer_refusal("Bearer ", "s3cret") or "")
    assert "not this worker's" in (bearer_refusal("Bearer wrong", "s3cret") or "")
    assert "no MEESEEKS_API_TOKEN" in (bearer_refusal("Bearer x", "") or "")


@pytest.mark.parametrize(
    ("method", "path", "guarded"),
    [
        ("GET", "/topology/", True),
        ("HEAD", "/overlays/bcp/", True),
        ("GET", "/metrics", False),
        ("GET", "/metrics/", False),
        ("GET", "/ui/app.js", False),
        ("GET", "/metricsX", True),
        ("POST", "/overlays/", False),  # mutations check the token in their views
        ("OPTIONS", "/topology/", False),
    ],
)
def test_which_requests_are_guarded(method: str, path: str, guarded: bool) -> None:
    assert needs_read_token(method, path) is guarded


async def _client(options: dict[str, object]) -> TestClient[web.Request, web.Application]:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(**options)  # type: ignore[arg-type]
    app.router.add_get("/topology/", hello)
    app.router.add_get("/metrics", hello)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_guarded_reads_need_the_token() -> None:
    settings = load_settings(api_protect_reads=True, api_token="s3cret")
    client = await _client(web_application_options(settings))
    try:
        refused = await client.get("/topology/")
        assert refused.status == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in (await refused.json())["error"]
        wrong = await client.get("/topology/", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401
        ok = await client.get("/topology/", headers={"Authorization": "Bearer s3cret"})
        assert (ok.status, await ok.json()) == (200, {"ok": True})
        assert (await client.get("/metrics")).status == 200
    finally:
        await client.close()


async def test_reads_are_open_by_default() -> None:
    client = await _client(web_application_options(load_settings(api_token="s3cret")))
    try:
        assert (await client.get("/topology/")).status == 200
    finally:
        await client.close()


def test_guarding_reads_without_a_token_stops_the_worker(tmp_path: Path) -> None:
    settings = load_settings(api_protect_reads=True, data_dir=tmp_path)
    with pytest.raises(SettingsError, match="needs MEESEEKS_API_TOKEN"):
        create_app(settings, topology=False)
