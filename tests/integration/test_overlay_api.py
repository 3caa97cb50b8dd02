"""The overlay API of a real worker over the store the real sink fills from the real broker.

The sample estate's graph (config/sample/truth.json, zones from its inventory) goes onto the
graph-changes topic; the sink writes it into an SQLite file; a stream worker serves /overlays/
over that file. The BCP overlay and the sample annotations go in over HTTP, queries come back,
and the stream's later upserts leave the annotations alone.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bench.sink.topic import change_messages, publish
from config.local_kafka import free_port
from config.settings import Settings, load_settings
from models.graph_change import ChangeType, EntityKind, GraphChange
from sinks.graph_sink import run_sink
from sinks.sqlite_store import SqliteGraphStore
from tests.unit.queries.conftest import T0, edge, node

from .worker_process import WorkerProcess, python_command

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "config" / "sample"
TOKEN = "integration-token"


def sample_graph() -> list[GraphChange]:
    """Nodes (zone: the first the inventory gives) and every edge of the sample's truth."""
    inventory = yaml.safe_load((SAMPLE / "inventory.yaml").read_text())
    zones: dict[str, str] = {}
    for owner in inventory["owners"]:
        if owner.get("zone"):
            zones.setdefault(owner["service"], owner["zone"])
    truth = json.loads((SAMPLE / "truth.json").read_text())
    nodes = [node(name, zone) for name, zone in sorted(zones.items())]
    edges = [edge(e["client"], e["server"], e["port"], e["attempts"]) for e in truth["edges"]]
    return nodes + edges


@dataclass
class Api:
    base: str
    session: aiohttp.ClientSession

    async def call(
        self, method: str, path: str, body: Any = None, *, token: str | None = TOKEN
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None if body is None else json.dumps(body)
        async with self.session.request(
            method, self.base + path, data=data, headers=headers
        ) as response:
            return response.status, await response.json(content_type=None)


@pytest.fixture
async def api(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[tuple[Api, Settings]]:
    run = uuid.uuid4().hex[:8]
    store_url = f"sqlite://{tmp_path / 'graph.sqlite'}"
    port = free_port()
    env = {
        "MEESEEKS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "MEESEEKS_APP_ID": f"overlay-api-{run}",
        "MEESEEKS_EVENTS_TOPIC": f"connections-{run}",
        "MEESEEKS_GRAPH_CHANGES_TOPIC": f"graph-{run}",
        "MEESEEKS_ANOMALIES_TOPIC": f"anomalies-{run}",
        "MEESEEKS_INVENTORY_TOPIC": f"inventory-{run}",
        "MEESEEKS_DATA_DIR": str(tmp_path / "data"),
        "MEESEEKS_STORE_URL": store_url,
        "MEESEEKS_API_TOKEN": TOKEN,
        "MEESEEKS_WEB_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    settings = load_settings(
        kafka_bootstrap=kafka_bootstrap,
        graph_changes_topic=env["MEESEEKS_GRAPH_CHANGES_TOPIC"],
        store_url=store_url,
        sink_batch_wait_ms=50,
    )
    await publish(kafka_bootstrap, settings.graph_changes_topic, change_messages(sample_graph()), 4)
    await sink(settings, f"sink-{run}")
    worker = WorkerProcess(
        command=python_command("-m", "streams.worker_app", "worker", "-l", "info"),
        env=env,
        web_port=port,
        log_path=tmp_path / "worker.log",
    )
    worker.start()
    try:
        await worker.wait_until("/overlays/", lambda body: body == {"overlays": []}, timeout=60)
        async with aiohttp.ClientSession() as session:
            yield Api(f"http://127.0.0.1:{port}", session), settings
    finally:
        worker.stop()


async def sink(settings: Settings, group: str) -> None:
    with SqliteGraphStore(settings.store_url.removeprefix("sqlite://")) as store:
        await asyncio.wait_for(
            run_sink(settings, store, asyncio.Event(), group_id=group, until_caught_up=True),
            timeout=60,
        )


async def test_bcp_overlay_over_http_on_the_sinks_store(api: tuple[Api, Settings]) -> None:
    client, settings = api
    bcp = yaml.safe_load((ROOT / "config" / "overlays" / "bcp.yaml").read_text())
    status, body = await client.call("POST", "/overlays/", bcp, token=None)
    assert (status, body["status"]) == (401, 401)
    status, body = await client.call("POST", "/overlays/", bcp)
    assert (status, body["registered"]) == (200, True)

    annotations = yaml.safe_load((SAMPLE / "bcp-annotations.yaml").read_text())
    status, body = await client.call("POST", "/overlays/bcp/annotations/", annotations)
    assert status == 200, body
    # Every service node by selector (the unattributed ones are left out); of the explicit
    # edges, one is declared but never observed.
    services = {c.key for c in sample_graph() if c.kind is EntityKind.NODE}
    services |= {n for c in sample_graph() for n in c.key.split("|")[:2] if "|" in c.key}
    assert body["nodes"] == len({n for n in services if ":" not in n})
    assert body["edges_not_in_graph"] == {"count": 1, "keys": ["sessions-web|identity-svc|8080"]}

    query = {"where": ["criticality=P0"], "hops": 3, "via": ["dependency=essential"]}
    status, answer = await client.call("POST", "/overlays/bcp/query/", query, token=None)
    assert status == 200
    assert [row["name"] for row in answer["matched"]] == [
        "billing-jobs",
        "billing-jobs-cassandra",
        "edge-lb",
        "sessions-web",
        "tax-backend",
    ]
    assert [(row["name"], row["distance"]) for row in answer["reached"]] == [
        ("identity-svc", 1),
        ("ledger-legacy", 1),
        ("loyalty-api", 1),
        ("loyalty-svc", 1),
        ("partners-jobs-redis", 1),
        ("stock-worker", 1),
        ("tax-api", 1),
        ("tax-grpc-mysql", 1),
        ("invoices-worker", 2),
    ]

    path = "/overlays/bcp/query/?target=edge&where=dependency%3Doptional&filters=cross_zone%3D1"
    status, answer = await client.call("GET", path, token=None)
    assert status == 200
    crossing = [(r["key"], r["client_zone"], r["server_zone"]) for r in answer["matched"]]
    assert crossing
    assert all(client_zone != server_zone for _, client_zone, server_zone in crossing)
    assert all(r["annotations"] == {"dependency": "optional"} for r in answer["matched"])

    # A bad batch is refused whole: edge-lb keeps P0.
    bad = {"nodes": {"edge-lb": {"criticality": "P3"}, "tax-api": {"rto": "whenever"}}}
    status, body = await client.call("POST", "/overlays/bcp/annotations/", bad)
    assert status == 400
    assert body["problems"] == [
        "node 'tax-api': field 'rto' (duration) is not a duration: str 'whenever'; write for "
        "example 90s, 30m, 4h, 1h30m, 7d, or a number of seconds"
    ]
    status, body = await client.call("GET", "/overlays/bcp/annotations/node/?keys=edge-lb")
    assert body["annotations"]["edge-lb"]["criticality"] == "P0"

    # The stream marks an annotated edge stale and brings it back: the annotation stays.
    key = "edge-lb|sessions-web|443"
    later = [
        edge("edge-lb", "sessions-web", 443, at=T0 + 900, status="stale", change=ChangeType.STALE),
        edge("edge-lb", "sessions-web", 443, 5, at=T0 + 2000, change=ChangeType.REACTIVATED),
    ]
    await publish_more(settings, later)
    await sink(settings, f"{settings.graph_changes_topic}-again")
    status, body = await client.call("GET", f"/overlays/bcp/annotations/edge/?keys={key}")
    assert body["annotations"] == {key: {"dependency": "essential"}}

    # Evolution: v2 drops P3; the services still at P3 are reported, by name.
    v2 = {**bcp, "version": 2}
    v2["nodes"] = {**bcp["nodes"], "criticality": {**bcp["nodes"]["criticality"]}}
    v2["nodes"]["criticality"]["values"] = ["P0", "P1", "P2"]
    status, body = await client.call("POST", "/overlays/", v2)
    assert (status, body["version"]) == (200, 2)
    assert any(m.startswith("node 'email-backend': field 'criticality'") for m in body["misfits"])
    assert all("not str 'P3'" in m for m in body["misfits"])


async def publish_more(settings: Settings, changes: list[GraphChange]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in change_messages(changes):
            await producer.send_and_wait(settings.graph_changes_topic, key=key, value=value)
    finally:
        await producer.stop()
