"""A real Prometheus server loads the shipped alert rules, scrapes Meeseeks and fires alerts.

Prometheus is Debian's ``prometheus`` package (CI installs it); without it these tests fail
with that advice instead of skipping. The rules file is loaded unchanged: MeeseeksNewEdge has
``for: 0s`` and fires at the first evaluation, while MeeseeksFailingEdge (``for: 2m``) and
MeeseeksWorkerDown (``for: 2m``) are seen going pending, which proves their expressions match
the live series; their ``for:`` is covered by the promtool tests in config/prometheus/tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import CollectorRegistry, start_http_server

from config.local_kafka import free_port
from models.connection import ConnectionEvent, Kind
from models.connection_wire import encode_batch
from streams.metrics import StreamMetrics

from .worker_process import WorkerProcess, python_command

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "config" / "prometheus" / "meeseeks-alerts.yml"
Alert = dict[str, Any]


@dataclass
class PrometheusServer:
    """A Prometheus subprocess scraping ``targets`` every second with the shipped rules."""

    workdir: Path
    targets: list[str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "prometheus.log"

    def start(self) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.fail(
                "prometheus was not found on PATH: install Debian's `prometheus` package "
                "(sudo apt-get install prometheus); CI installs it for this test"
            )
        config = {
            "global": {
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "evaluation_interval": "1s",
            },
            "rule_files": [str(RULES)],
            "scrape_configs": [
                {"job_name": "meeseeks-worker", "static_configs": [{"targets": self.targets}]}
            ],
        }
        self.workdir.mkdir(parents=True, exist_ok=True)
        config_path = self.workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config))
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def api(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}{path}"
        limit = aiohttp.ClientTimeout(total=5)
        async with (
            aiohttp.ClientSession(timeout=limit) as session,
            session.get(url, params=params) as resp,
        ):
            body = await resp.json()
        assert body["status"] == "success", body
        return body["data"]

    async def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Poll the async ``check`` until it returns something truthy; fail with the log."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"prometheus exited early:\n{self.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                last = await check()
                if last:
                    return last
            await asyncio.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}; last {last!r}\n{self.log_tail()}")

    async def alerts(self, name: str, state: str | None = None) -> list[Alert]:
        data = await self.api("/api/v1/alerts")
        return [
            alert
            for alert in data["alerts"]
            if alert["labels"]["alertname"] == name and state in (None, alert["state"])
        ]

    async def wait_for_alert(self, name: str, state: str, timeout: float = 60.0) -> list[Alert]:
        alerts: list[Alert] = await self.wait_for(
            f"{name} {state}", lambda: self.alerts(name, state), timeout
        )
        return alerts

    async def rules(self) -> list[dict[str, Any]]:
        data = await self.api("/api/v1/rules")
        return [rule for group in data["groups"] for rule in group["rules"]]


@contextlib.asynccontextmanager
async def prometheus(workdir: Path, targets: list[str]) -> AsyncIterator[PrometheusServer]:
    server = PrometheusServer(workdir, targets)
    server.start()
    try:
        await server.wait_for("the rules to be evaluated", lambda: evaluated(server))
        yield server
    finally:
        server.stop()


async def evaluated(server: PrometheusServer) -> bool:
    """Every rule evaluated at least once (Go's zero time means never)."""
    rules = await server.rules()
    return bool(rules) and not any(rule["lastEvaluation"].startswith("0001") for rule in rules)


def shipped_alert_names() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"]]


@pytest.fixture
def metrics_target() -> Iterator[tuple[StreamMetrics, Any, str]]:
    """The worker's real metrics on their own registry, served over HTTP like a worker's."""
    registry = CollectorRegistry()
    metrics = StreamMetrics.create(registry)
    server, thread = start_http_server(0, "127.0.0.1", registry=registry)
    try:
        yield metrics, server, f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def test_prometheus_fires_anomaly_alerts_from_worker_metrics(
    tmp_path: Path, metrics_target: tuple[StreamMetrics, Any, str]
) -> None:
    metrics, http_server, target = metrics_target
    metrics.connection_batches.inc(3)
    metrics.watermark.labels("0").set(1_262_304_000.0)
    metrics.set_active({("new_edge", "warning"): 1, ("failing_edge", "critical"): 2})

    async with prometheus(tmp_path, [target]) as server:
        rules = await server.rules()
        assert sorted(rule["name"] for rule in rules) == sorted(shipped_alert_names())
        assert [r["name"] for r in rules if r["health"] != "ok"] == [], rules

        (new_edge,) = await server.wait_for_alert("MeeseeksNewEdge", "firing")
        assert new_edge["labels"] == {
            "alertname": "MeeseeksNewEdge",
            "kind": "new_edge",
            "severity": "warning",
            "component": "stream",
        }
        assert new_edge["annotations"]["summary"] == "1 new dependency edge(s) (warning)"
        assert new_edge["annotations"]["runbook"] == "docs/alerts.md#meeseeksnewedge"

        # Two minutes of `for:` keep the failing edge pending for the length of this test.
        (failing,) = await server.wait_for_alert("MeeseeksFailingEdge", "pending")
        assert failing["labels"]["severity"] == "critical"
        assert failing["annotations"]["summary"] == "2 failing dependency edge(s) (critical)"
        assert await server.alerts("MeeseeksWorkerDown") == []

        # The worker resolves the anomaly: the alert goes away with the gauge.
        metrics.set_active({("new_edge", "warning"): 0})
        await server.wait_for(
            "MeeseeksNewEdge to resolve",
            lambda: _none(server.alerts("MeeseeksNewEdge")),
        )

        # The worker stops answering: `up` drops to 0 and the worker-down alert starts counting.
        http_server.shutdown()
        http_server.server_close()
        (down,) = await server.wait_for_alert("MeeseeksWorkerDown", "pending")
        assert down["labels"]["instance"] == target
        assert down["labels"]["severity"] == "critical"

        rules = await server.rules()
        assert [r["name"] for r in rules if r["health"] != "ok"] == [], rules


async def _none(pending: Any) -> bool:
    return not await pending


# A replayed capture: event time is years behind the wall clock.
T0 = 1_262_304_000.0
CLIENT, SERVER, MIRROR = "10.20.0.5", "10.30.0.9", "192.0.2.1"


def syn_pair(ts: float, sport: int) -> list[ConnectionEvent]:
    syn = ConnectionEvent(ts, CLIENT, sport, SERVER, 5432, Kind.SYN, None, None, None, None, MIRROR)
    answer = ConnectionEvent(
        ts + 0.001, SERVER, 5432, CLIENT, sport, Kind.SYN_ACK, None, None, None, None, MIRROR
    )
    return [syn, answer]


async def test_prometheus_fires_new_edge_from_a_real_worker(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Connection events through a real worker raise a new edge; Prometheus sees it fire."""
    suffix = uuid.uuid4().hex[:8]
    events_topic = f"alerts-connections-{suffix}"
    port = free_port()
    worker = WorkerProcess(
        command=python_command(
            "-m", "streams.worker_app", "worker", "-l", "info", "--web-port", str(port)
        ),
        env={
            "MEESEEKS_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "MEESEEKS_APP_ID": f"alerts-{suffix}",
            "MEESEEKS_DATA_DIR": str(tmp_path / "data"),
            "MEESEEKS_WEB_PORT": str(port),
            "MEESEEKS_TABLE_STORE": "memory://",
            "MEESEEKS_TOPIC_PARTITIONS": "2",
            "MEESEEKS_EVENTS_TOPIC": events_topic,
            "MEESEEKS_INVENTORY_TOPIC": f"alerts-inventory-{suffix}",
            "MEESEEKS_GRAPH_CHANGES_TOPIC": f"alerts-changes-{suffix}",
            "MEESEEKS_ANOMALIES_TOPIC": f"alerts-anomalies-{suffix}",
            "MEESEEKS_LEARNING_PERIOD_SECONDS": "0",
            "PYTHONPATH": str(ROOT),
        },
        web_port=port,
        log_path=tmp_path / "worker.log",
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(events_topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()

    worker.start()
    try:
        async with prometheus(tmp_path / "prometheus", [f"127.0.0.1:{port}"]) as server:
            await server.wait_for("the worker to be scraped", lambda: _worker_up(server), 120)
            producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
            await producer.start()
            try:
                # Five answered attempts in the first window, then a later batch whose event
                # time closes it (window 60s + grace 10s): the edge is new after no learning.
                first = [e for i in range(5) for e in syn_pair(T0 + i, 40000 + i)]
                await producer.send_and_wait(events_topic, encode_batch(first), key=b"shard-0")
                later = syn_pair(T0 + 200, 41000)
                await producer.send_and_wait(events_topic, encode_batch(later), key=b"shard-0")
            finally:
                await producer.stop()

            (alert,) = await server.wait_for_alert("MeeseeksNewEdge", "firing", timeout=120)
            assert alert["labels"]["kind"] == "new_edge"
            assert alert["labels"]["severity"] == "warning"

            # The partition's watermark waits (MEESEEKS_SOURCE_IDLE_SECONDS) for the topic's
            # second partition, which never sends, before it moves to the newest event time.
            async def watermark_reached() -> bool:
                data = await server.api(
                    "/api/v1/query", query="max(meeseeks_stream_watermark_timestamp_seconds)"
                )
                return bool(data["result"]) and float(data["result"][0]["value"][1]) >= T0 + 200

            assert await server.wait_for("the watermark to pass the events", watermark_reached)
            assert await server.alerts("MeeseeksStreamStalled") == []
            rules = await server.rules()
            assert [r["name"] for r in rules if r["health"] != "ok"] == [], rules
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- worker log ---\n{worker.log_tail()}") from exc
    finally:
        worker.stop()


async def _worker_up(server: PrometheusServer) -> bool:
    data = await server.api("/api/v1/query", query='up{job="meeseeks-worker"} == 1')
    return bool(data["result"])
