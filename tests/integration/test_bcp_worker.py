"""The BCP planner on a real worker: the sink's store, the sample overlays, the worker's
inventory; /bcp/plan/ and /bcp/findings/ answer, the gauges move, and the leader sends the
Data-DR events to the real broker."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
import yaml
from aiokafka import AIOKafkaConsumer

from bench.sink.topic import change_messages, publish
from config.local_kafka import free_port
from config.settings import load_settings
from models.overlay_file import parse_document
from sinks.overlay_service import OverlayService
from sinks.sqlite_store import SqliteGraphStore

from .test_bcp_publish import DR_NOTES
from .test_overlay_api import sample_graph, sink
from .worker_process import WorkerProcess, python_command

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "config" / "sample"


def annotate(store_path: Path) -> None:
    """The sample's BCP annotations and the Data-DR notes of test_bcp_publish."""
    bcp = yaml.safe_load((SAMPLE / "bcp-annotations.yaml").read_text())
    with SqliteGraphStore(store_path) as store:
        service = OverlayService(store)
        for name, notes in (("bcp", bcp), ("data-dr", DR_NOTES)):
            path = ROOT / "config" / "overlays" / f"{name}.yaml"
            service.register(yaml.safe_load(path.read_text()))
            service.annotate_document(parse_document(notes))


async def dr_keys(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
        metadata_max_age_ms=1000,
    )  # fmt: skip
    await consumer.start()
    keys: list[bytes] = []
    try:
        async with asyncio.timeout(90):
            while len(keys) < count:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    keys.extend(r.key for r in records)
    finally:
        await consumer.stop()
    return keys


async def test_a_worker_plans_checks_and_publishes(kafka_bootstrap: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    store_path = tmp_path / "graph.sqlite"
    settings = load_settings(
        kafka_bootstrap=kafka_bootstrap,
        graph_changes_topic=f"graph-{run}",
        store_url=f"sqlite://{store_path}",
        sink_batch_wait_ms=50,
    )
    await publish(kafka_bootstrap, settings.graph_changes_topic, change_messages(sample_graph()), 4)
    await sink(settings, f"sink-{run}")
    annotate(store_path)
    port = free_port()
    env = {
        "MEESEEKS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "MEESEEKS_APP_ID": f"bcp-worker-{run}",
        "MEESEEKS_EVENTS_TOPIC": f"connections-{run}",
        "MEESEEKS_GRAPH_CHANGES_TOPIC": settings.graph_changes_topic,
        "MEESEEKS_ANOMALIES_TOPIC": f"anomalies-{run}",
        "MEESEEKS_INVENTORY_TOPIC": f"inventory-{run}",
        "MEESEEKS_INVENTORY_FILE": str(SAMPLE / "inventory.yaml"),
        "MEESEEKS_BCP_FINDINGS_TOPIC": f"findings-{run}",
        "MEESEEKS_DR_EVENTS_TOPIC": f"dr-{run}",
        "MEESEEKS_BCP_CHECK_SECONDS": "10",
        "MEESEEKS_DATA_DIR": str(tmp_path / "data"),
        "MEESEEKS_STORE_URL": settings.store_url,
        "MEESEEKS_WEB_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    worker = WorkerProcess(
        command=python_command("-m", "streams.worker_app", "worker", "-l", "info"),
        env=env,
        web_port=port,
        log_path=tmp_path / "worker.log",
    )
    worker.start()
    try:
        plan = await worker.wait_until("/bcp/plan/?fail_zone=a", lambda b: "bring_up" in b, 90)
        waves = [[s["services"] for s in w["steps"]] for w in plan["bring_up"]]
        position = {n: i for i, w in enumerate(waves) for s in w for n in s}
        assert position["billing-jobs"] < position["edge-lb"]
        assert position["tax-backend"] < position["edge-lb"]
        flows = {f["flow"] for f in plan["flows"]}
        assert flows == {"billing", "loyalty", "web-shop"}
        status, dot = await worker.get_text("/bcp/plan/?fail_zone=a&format=dot")
        assert (status, dot.startswith("digraph bcp_plan {")) == (200, True)

        findings = await worker.wait_until("/bcp/findings/", lambda b: b["findings"], 60)
        kinds = {f["kind"] for f in findings["findings"]}
        assert {"criticality_inversion", "dr_backup_overdue", "dr_schedule"} <= kinds
        ran = 'meeseeks_bcp_check_runs_total{result="ok"} 0.0'
        metrics = await worker.wait_until("/metrics", lambda t: ran not in t, 60, text=True)
        assert 'meeseeks_bcp_findings_active{kind="dr_schedule",severity="warning"} 1.0' in metrics

        # Four Data-DR findings (three overdue, one schedule), sent once the worker leads.
        keys = await dr_keys(kafka_bootstrap, f"dr-{run}", 4)
        assert sorted(keys) == sorted(
            [b"billing-jobs-cassandra"] * 2 + [b"partners-jobs-redis", b"tax-grpc-mysql"]
        )
    finally:
        worker.stop()
    assert "BCP checks:" in (tmp_path / "worker.log").read_text()
