"""/bcp/plan/ and /bcp/findings/ on an in-process Faust web server over the embedded store,
and the worker's check run: gauges, and events sent only by the leader."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import faust
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from config.settings import Settings
from models.inventory import Inventory
from streams.bcp_views import BcpWorker, register_bcp_views
from tests.unit.bcp.conftest import SmallEstate


@dataclass
class FakeTopology:
    """What the BCP views read from a Topology."""

    settings: Settings = field(default_factory=Settings)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    inventory: Inventory = field(default_factory=Inventory)


@dataclass
class Served:
    app: faust.App
    client: TestClient  # type: ignore[type-arg]
    worker: BcpWorker
    topology: FakeTopology


@pytest.fixture
async def served(small: SmallEstate) -> AsyncIterator[Served]:
    app = faust.App("bcp-views-test", store="memory://", autodiscover=False)
    topology = FakeTopology()
    worker = register_bcp_views(app, topology, small.store)  # type: ignore[arg-type]
    client = TestClient(TestServer(app.web.web_app))
    await client.start_server()
    try:
        yield Served(app, client, worker, topology)
    finally:
        await client.close()


async def get(served: Served, path: str) -> tuple[int, Any]:
    response = await served.client.get(path)
    return response.status, await response.json()


async def test_the_plan_as_json_and_as_dot(served: Served) -> None:
    status, body = await get(served, "/bcp/plan/?fail_zone=a")
    response = await served.client.get("/bcp/plan?fail_zone=a&format=dot")
    dot = await response.text()

    assert status == 200
    assert body["scenario"]["failed_zones"] == ["a"]
    waves = [[s["services"] for s in w["steps"]] for w in body["bring_up"]]
    assert waves == [[["cluster:redis:cache"]], [["api"]], [["web"]]]
    assert (response.status, response.content_type) == (200, "text/vnd.graphviz")
    assert dot.startswith("digraph bcp_plan {")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "say what fails"),
        ("?fail_zone=z", "zone z has no instances"),
        ("?fail_zone=a&format=xml", "format must be json or dot"),
        ("?fail_zone=a&follow_undeclared=maybe", "follow_undeclared must be 1 or 0"),
        ("?fail_service=" + "s" * 300, "characters long"),
    ],
)
async def test_bad_plan_requests_get_400_with_the_reason(
    served: Served, query: str, message: str
) -> None:
    status, body = await get(served, "/bcp/plan/" + query)

    assert (status, body["status"]) == (400, 400)
    assert message in body["error"]


async def test_findings_before_and_after_a_check_run(served: Served) -> None:
    status, before = await get(served, "/bcp/findings/")
    await served.worker.check(served.app)
    status_after, after = await get(served, "/bcp/findings/")

    assert status == status_after == 200

    def keys(body: Any) -> list[tuple[str, str]]:
        return [(f["kind"], f["subject"]) for f in body["findings"]]

    assert keys(before) == keys(after)
    assert {f["kind"] for f in after["findings"]} >= {"dr_schedule", "single_zone"}
    registry = served.topology.registry
    value = registry.get_sample_value
    assert (
        value("meeseeks_bcp_findings_active", {"kind": "dr_schedule", "severity": "warning"}) == 1
    )
    assert value("meeseeks_bcp_check_runs_total", {"result": "ok"}) == 1
    assert value("meeseeks_bcp_flows_missing_rto", {"zone": "a"}) == 0


async def test_only_the_leader_sends_the_events(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, bytes]] = []

    class Topic:
        def __init__(self, name: str) -> None:
            self.name = name

        async def send(self, key: bytes, value: bytes) -> None:
            sent.append((self.name, key))

    monkeypatch.setattr(served.app, "topic", lambda name, **_: Topic(name))
    monkeypatch.setattr(served.app, "is_leader", lambda: False)
    await served.worker.check(served.app)
    assert sent == []

    monkeypatch.setattr(served.app, "is_leader", lambda: True)
    await served.worker.check(served.app)  # newly the leader: everything raised
    announced = list(sent)
    await served.worker.check(served.app)  # nothing changed: nothing sent

    settings = served.topology.settings
    findings = served.worker.checker.last.findings  # type: ignore[union-attr]
    assert sent == announced
    assert sorted(k for t, k in sent if t == settings.bcp_findings_topic) == sorted(
        f.dedup_key.encode() for f in findings
    )
    # The backup of 2024 is older than its 1 h RPO today, and the schedule misses it too.
    assert [k for t, k in sent if t == settings.dr_events_topic] == [b"db", b"db"]
    dr = served.topology.registry.get_sample_value("meeseeks_bcp_dr_events_published_total")
    assert dr == 2
