"""Hand-built graph changes and anomaly events, and a worker serving the query views."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import faust
import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from config.settings import Settings
from models.anomaly_event import AnomalyEvent
from models.anomaly_record import Anomaly, AnomalyKind, Severity
from models.anomaly_tracker import TransitionKind
from models.edge_aggregation import advance, apply_delta
from models.edge_delta import EdgeDelta
from models.edge_params import EdgeParams
from models.graph_change import ChangeType, EntityKind, GraphChange, node_payload
from models.topology import EdgeKey
from streams.graph_feed import GraphFeed
from streams.owner_routing import OwnerRouter
from streams.query_views import register_queries

T0 = 1_714_550_400.0
"""A window boundary (2024-05-01T08:00:00Z)."""
WINDOW = 60.0
WEB_API = EdgeKey("web", "api", 8080)


def node(
    name: str, zone: str | None = None, instances: int | None = None, at: float = T0
) -> GraphChange:
    payload = node_payload(name, zone, instances)
    return GraphChange(EntityKind.NODE, ChangeType.APPEARED, name, at, payload)


def edge(
    client: str,
    server: str,
    port: int,
    attempts: int = 10,
    answered: int | None = None,
    *,
    at: float = T0 + 70,
    status: str = "active",
    change: ChangeType = ChangeType.UPDATED,
) -> GraphChange:
    """An edge change whose last closed window holds all of its traffic."""
    answered = attempts if answered is None else answered
    key = EdgeKey(client, server, port)
    payload: dict[str, Any] = {
        "client": client,
        "server": server,
        "port": port,
        "status": status,
        "first_seen": T0 + 1,
        "last_seen": T0 + 50,
        "attempts": attempts,
        "answered": answered,
        "late_events": 0,
        "last_window": {
            "start": T0,
            "attempts": attempts,
            "answered": answered,
            "client_instances": 2,
        },
        "answer_ratio": min(1.0, answered / attempts) if attempts else None,
        "rate": attempts / WINDOW,
        "client_instances": 2,
        "client_instances_truncated": False,
    }
    return GraphChange(EntityKind.EDGE, change, key.encode(), at, payload)


def cluster(
    cluster_id: str,
    engine: str,
    members: list[str],
    *,
    member_nodes: list[str] | None = None,
    ports: list[int] | None = None,
    at: float = T0 + 70,
    change: ChangeType = ChangeType.APPEARED,
) -> GraphChange:
    payload: dict[str, Any] = {"engine": engine, "members": members}
    if member_nodes is not None:
        payload["member_nodes"] = member_nodes
    if ports is not None:
        payload["ports"] = ports
    return GraphChange(EntityKind.CLUSTER, change, cluster_id, at, payload)


def anomaly(
    transition: TransitionKind,
    kind: AnomalyKind = AnomalyKind.FAILING_EDGE,
    subject: EdgeKey = WEB_API,
    *,
    at: float = T0,
    severity: Severity = Severity.WARNING,
) -> AnomalyEvent:
    record = Anomaly(
        kind=kind,
        edge=subject.encode(),
        node=None,
        window_start=at,
        severity=severity,
        message=f"{kind.value} on {subject.encode()}",
        values={"attempts": 10.0},
    )
    return AnomalyEvent(transition, at, record)


def estate() -> list[GraphChange]:
    """web -> api -> db, api -> cache members (a Redis cluster), web -> an unknown address.

    Zones: web and api in a, db in b. Two unattributed servers with different traffic.
    """
    return [
        node("web", "a", 2),
        node("api", "a", 3),
        node("db", "b", 1),
        edge("web", "api", 8080, 100),
        edge("api", "db", 5432, 40),
        edge("api", "unattributed:10.0.5.1", 6379, 30),
        edge("api", "unattributed:10.0.5.2", 6379, 20),
        edge("unattributed:10.0.5.2", "unattributed:10.0.5.1", 16379, 5),
        edge("web", "unattributed:10.9.9.9", 9999, 7, 0),
        edge("db", "unattributed:10.9.9.8", 443, 50, 50, status="stale"),
    ]


REDIS = cluster("cluster:redis:10.0.5.1", "redis", ["10.0.5.1", "10.0.5.2"])


# -- a worker's web server with the query views, without Kafka ----------------------------
PARAMS = EdgeParams()


@dataclass
class _Stage:
    params: EdgeParams = PARAMS


@dataclass
class FakeTopology:
    """What the views read from a Topology: settings, the edge table, the delta topic."""

    settings: Settings
    deltas: Any
    edge_table: dict[str, Any] = field(default_factory=dict)
    edge_stage: _Stage = field(default_factory=_Stage)


class Owners(OwnerRouter):
    """Routes every server to ``owner`` (this worker when None) and remembers who was asked."""

    def __init__(self, app: faust.App) -> None:
        super().__init__(app, "edge-deltas", 4)
        self.owner: URL | None = None
        self.asked: list[str] = []

    def owner_of(self, server: str) -> URL:
        self.asked.append(server)
        return self.owner or URL(str(self.app.conf.canonical_url))


@dataclass
class Worker:
    client: TestClient
    topology: FakeTopology
    owners: Owners

    def url(self) -> URL:
        return URL(str(self.client.make_url(""))).with_path("")


def stored_edge(edge: EdgeKey, windows: int) -> dict[str, Any]:
    """A table value after ``windows`` minutes of 4 attempts and 3 answers each, all closed."""
    state = None
    for minute in range(windows):
        start = T0 + 60 * minute
        delta = EdgeDelta(edge, start, 4, 3, start + 1, start + 2, ("i-1", "i-2"))
        state, _ = apply_delta(state, delta, PARAMS, start + 2)
    assert state is not None
    state, _ = advance(state, T0 + 60 * windows + 70, PARAMS)
    return {"s": state.to_dict(), "a": {"0": 9}}


@asynccontextmanager
async def serving(name: str) -> AsyncIterator[Worker]:
    """A Faust app with the query views (graph view: ``estate()``) behind a test web server."""
    app = faust.App(name, store="memory://", autodiscover=False)
    deltas = app.topic("edge-deltas", partitions=4, internal=True)
    topology = FakeTopology(Settings(), deltas)
    feed = GraphFeed(topology.settings)
    feed.view.apply_all(estate())
    owners = Owners(app)
    register_queries(app, topology, feed, owners)  # type: ignore[arg-type]
    client = TestClient(TestServer(app.web.web_app))
    await client.start_server()
    try:
        yield Worker(client, topology, owners)
    finally:
        await client.close()


@pytest.fixture
async def worker() -> AsyncIterator[Worker]:
    async with serving("query-views-test") as started:
        yield started
