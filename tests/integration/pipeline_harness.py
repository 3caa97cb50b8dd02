"""A small estate pushed through the real broker: capture file -> `meeseeks capture` -> Kafka ->
stream workers -> graph changes. Shared by the pipeline, multi-worker and fault tests."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from capture.erspan_encoder import mirror_frame
from capture.packet_builder import tcp_frame
from capture.pcap_writer import write_pcap
from capture.protocol_numbers import TCP_FLAG_ACK, TCP_FLAG_SYN
from config.local_kafka import free_port

from .worker_process import WorkerProcess, python_command

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_714_550_400.0
INVENTORY = """
owners:
  - {address: 10.0.0.1, service: web, instance: web-1, zone: a}
  - {address: 10.0.0.2, service: web, instance: web-2, zone: b}
  - {address: 10.0.1.0/24, service: api, instance: api-pods, zone: a}
  - {address: 10.0.2.5, service: db, instance: db-1, zone: b}
"""
# (client, server, port) -> (attempts, answered) that the capture below contains.
EXPECTED = {
    ("web", "api", 8080): (101, 100),
    ("api", "db", 5432): (100, 100),
    ("web", "unattributed:10.9.9.9", 9999): (100, 0),
}


def estate_capture(path: Path) -> None:
    """Ten minutes of traffic, then one SYN 30 minutes later that moves event time on."""
    rng = random.Random(11)
    records: list[tuple[float, bytes]] = []

    def handshake(ts: float, client: str, server: str, port: int, answered: bool) -> None:
        sport = rng.randrange(20000, 60000)
        records.append((ts, mirror_frame(tcp_frame(client, server, sport, port), session=3)))
        if answered:
            flags = TCP_FLAG_SYN | TCP_FLAG_ACK
            reply = tcp_frame(server, client, port, sport, flags=flags, vlans=(20,))
            records.append((ts + 0.0005, mirror_frame(reply, erspan_version=3, session=4)))

    for minute in range(10):
        for i in range(10):
            ts = T0 + minute * 60 + i * 5.5 + rng.random()
            handshake(ts, rng.choice(["10.0.0.1", "10.0.0.2"]), "10.0.1.7", 8080, True)
            handshake(ts + 0.1, "10.0.1.9", "10.0.2.5", 5432, True)
            handshake(ts + 0.2, "10.0.0.1", "10.9.9.9", 9999, False)
            noise = tcp_frame("10.0.0.1", "10.0.1.7", 1111, 8080, flags=TCP_FLAG_ACK)
            records.append((ts + 0.3, mirror_frame(noise)))
    handshake(T0 + 40 * 60, "10.0.0.1", "10.0.1.7", 8080, False)
    records.sort(key=lambda record: record[0])
    write_pcap(path, records)


@dataclass
class Pipeline:
    bootstrap: str
    env: dict[str, str]
    tmp: Path

    def worker(self, name: str = "worker", *, own_data_dir: bool = False) -> WorkerProcess:
        """A worker process; ``own_data_dir`` gives it a state directory of its own, as each
        of several workers on one host needs."""
        port = free_port()
        env = {**self.env, "MEESEEKS_WEB_PORT": str(port)}
        if own_data_dir:
            env["MEESEEKS_DATA_DIR"] = str(self.tmp / f"data-{name}")
        return WorkerProcess(
            command=python_command("-m", "streams.worker_app", "worker", "-l", "info"),
            env=env,
            web_port=port,
            log_path=self.tmp / f"{name}.log",
        )

    def capture(self, pcap: Path) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "streams.cli", "capture", "--file", str(pcap), "--no-progress"],
            env={**self.env, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr

    async def graph(
        self,
        worker: WorkerProcess,
        until: dict[tuple[str, str, int], tuple[int, int]],
        timeout: float = 150,
    ) -> dict[str, dict]:
        """Latest payload per key on the graph-changes topic, once ``until``'s edges match."""
        consumer = AIOKafkaConsumer(
            self.env["MEESEEKS_GRAPH_CHANGES_TOPIC"],
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        latest: dict[str, dict] = {}
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                assert worker.process is not None
                assert worker.process.poll() is None, f"worker died:\n{worker.log_tail()}"
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    for record in records:
                        change = json.loads(record.value)
                        if change["kind"] == "node" and change["key"] in latest:
                            # Node changes leave out what they do not know: merge, as sinks do.
                            merged = {**latest[change["key"]]["payload"], **change["payload"]}
                            change["payload"] = merged
                        latest[change["key"]] = change
                if edges(latest) == until:
                    return latest
        finally:
            await consumer.stop()
        _, metrics = await worker.get_text("/metrics")
        stream_lines = [line for line in metrics.splitlines() if line.startswith("meeseeks_stream")]
        raise AssertionError(
            "\n".join(stream_lines) + "\n"
            f"graph never reached {until}; last {edges(latest)}; keys {sorted(latest)}\n"
            f"{worker.log_tail()}"
        )


def edges(latest: dict[str, dict]) -> dict[tuple[str, str, int], tuple[int, int]]:
    return {
        (c["payload"]["client"], c["payload"]["server"], c["payload"]["port"]): (
            c["payload"]["attempts"],
            c["payload"]["answered"],
        )
        for c in latest.values()
        if c["kind"] == "edge"
    }


@pytest.fixture
def pipeline(kafka_bootstrap: str, tmp_path: Path) -> Pipeline:
    return make_pipeline(kafka_bootstrap, tmp_path)


def make_pipeline(kafka_bootstrap: str, tmp_path: Path) -> Pipeline:
    """Fresh topics, inventory and state directory on the broker at ``kafka_bootstrap``."""
    run = uuid.uuid4().hex[:8]
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY)
    env = {
        "MEESEEKS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "MEESEEKS_APP_ID": f"meeseeks-{run}",
        "MEESEEKS_EVENTS_TOPIC": f"connections-{run}",
        "MEESEEKS_GRAPH_CHANGES_TOPIC": f"graph-{run}",
        "MEESEEKS_ANOMALIES_TOPIC": f"anomalies-{run}",
        "MEESEEKS_INVENTORY_TOPIC": f"inventory-{run}",
        "MEESEEKS_INVENTORY_FILE": str(inventory),
        "MEESEEKS_DATA_DIR": str(tmp_path / "data"),
        "MEESEEKS_CAPTURE_METRICS_PORT": "0",
        "MEESEEKS_LEARNING_PERIOD_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
    }

    async def create() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            # The graph topic exists before anyone reads it, so no reader starts past its head.
            topics = [env["MEESEEKS_EVENTS_TOPIC"], env["MEESEEKS_GRAPH_CHANGES_TOPIC"]]
            await admin.create_topics([NewTopic(name, 4, 1) for name in topics])
        finally:
            await admin.close()

    asyncio.run(create())
    return Pipeline(kafka_bootstrap, env, tmp_path)
