"""Fault: the Kafka broker restarts mid-stream. The worker rides it out and ends with the graph
and window history of an undisturbed run (tests/integration/test_topology_pipeline.py).

The broker here is the test's own, so stopping it does not disturb the session's broker.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.local_kafka import LocalKafka, free_port

from .pipeline_harness import EXPECTED, ROOT, T0, edges, estate_capture, make_pipeline


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalKafka]:
    broker = LocalKafka(
        home=ROOT / ".kafka",
        version=os.environ.get("MEESEEKS_KAFKA_VERSION", "3.9.2"),
        port=free_port(),
        controller_port=free_port(),
        heap="512m",
        run_dir=tmp_path / "kafka",
    )
    state = broker.start()
    try:
        asyncio.run(broker.wait_ready(state))
        yield broker
    finally:
        broker.stop()


async def test_broker_restart_mid_stream_ends_with_the_same_graph(
    own_broker: LocalKafka, tmp_path: Path
) -> None:
    bootstrap = f"127.0.0.1:{own_broker.port}"
    pipeline = await asyncio.to_thread(make_pipeline, bootstrap, tmp_path)
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
        own_broker.stop()
        await asyncio.sleep(8)  # the worker's clients see the broker gone and retry
        state = own_broker.start()
        await own_broker.wait_ready(state)
        latest = await pipeline.graph(worker, EXPECTED, timeout=240)
        assert edges(latest) == EXPECTED
        detail = await worker.wait_until(
            "/topology/edges/db/api/5432/", lambda body: len(body["history"]) >= 10, timeout=120
        )
        windows = [(w["start"] - T0, w["attempts"], w["answered"]) for w in detail["history"]]
        assert windows == [(60.0 * m, 10, 10) for m in range(10)], json.dumps(detail)[:3000]
    finally:
        worker.stop()
