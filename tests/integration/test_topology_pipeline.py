"""The whole path through the real broker: capture file -> `meeseeks capture` -> Kafka ->
stream worker -> graph changes, with exact edge counts, also across a SIGKILL of the worker."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from .pipeline_harness import EXPECTED, T0, Pipeline, edges, estate_capture
from .pipeline_harness import pipeline as pipeline  # noqa: PLC0414 - the fixture


async def test_capture_to_graph_changes(pipeline: Pipeline, tmp_path: Path) -> None:
    pcap = tmp_path / "estate.pcap"
    estate_capture(pcap)
    pipeline.capture(pcap)
    worker = pipeline.worker()
    worker.start()
    try:
        latest = await pipeline.graph(worker, EXPECTED)
        status = {key: c["payload"]["status"] for key, c in latest.items() if c["kind"] == "edge"}
        assert status == {
            "web|api|8080": "active",
            "api|db|5432": "stale",
            "web|unattributed:10.9.9.9|9999": "stale",
        }
        nodes = {key: c["payload"] for key, c in latest.items() if c["kind"] == "node"}
        assert nodes["db"] == {"service": "db", "zone": "b", "instances": 1}
        assert nodes["unattributed:10.9.9.9"] == {"address": "10.9.9.9"}
        _, text = await worker.get_text("/metrics")
        assert "meeseeks_stream_events_total 501.0" in text
        status, detail = await worker.get_json("/topology/edges/db/api/5432/")
        assert status == 200, detail
        windows = [(w["start"] - T0, w["attempts"], w["answered"]) for w in detail["history"]]
        assert windows == [(60.0 * m, 10, 10) for m in range(10)], json.dumps(detail)[:3000]
    finally:
        worker.stop()


async def test_worker_killed_mid_stream_ends_with_the_same_graph(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    pcap = tmp_path / "estate.pcap"
    estate_capture(pcap)
    worker = pipeline.worker()
    worker.start()
    try:
        await worker.wait_until("/metrics", lambda body: True, text=True)
        pipeline.capture(pcap)
        await worker.wait_until(
            "/metrics",
            lambda body: "meeseeks_stream_deltas_applied_total 0.0" not in body,
            text=True,
        )
        worker.stop(signal.SIGKILL)
        worker.start()
        latest = await pipeline.graph(worker, EXPECTED, timeout=240)
        assert edges(latest) == EXPECTED
        # Windows kept closing after the restart: the table holds all ten, each counted once.
        # The last ones close on the idle-source watermark, a little after the totals settle.
        detail = await worker.wait_until(
            "/topology/edges/db/api/5432/", lambda body: len(body["history"]) >= 10, timeout=120
        )
        windows = [(w["start"] - T0, w["attempts"], w["answered"]) for w in detail["history"]]
        assert windows == [(60.0 * m, 10, 10) for m in range(10)], json.dumps(detail)[:3000]
    finally:
        worker.stop()
