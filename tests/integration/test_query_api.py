"""The query API of real workers: capture file -> Kafka -> two workers -> /topology/ answers.

Two workers split the edge table, so an edge's detail asked of either worker must be routed to
the owner of its server; whole-graph answers come from each worker's own graph view.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from config.local_kafka import free_port

from .pipeline_harness import EXPECTED, ROOT, Pipeline, estate_capture
from .pipeline_harness import pipeline as pipeline  # noqa: PLC0414 - the fixture
from .worker_process import WorkerProcess, python_command

APP = Path(__file__).with_name("query_worker_app.py")


def query_worker(pipeline: Pipeline, name: str) -> WorkerProcess:
    port = free_port()
    return WorkerProcess(
        command=python_command(str(APP), "worker", "-l", "info"),
        env={
            **pipeline.env,
            "MEESEEKS_WEB_PORT": str(port),
            "MEESEEKS_DATA_DIR": str(pipeline.tmp / f"data-{name}"),
        },
        web_port=port,
        log_path=pipeline.tmp / f"{name}.log",
    )


def edges_of(body: dict[str, Any]) -> dict[tuple[str, str, int], tuple[int, int]]:
    return {
        (e["client"], e["server"], e["port"]): (e["attempts"], e["answered"]) for e in body["edges"]
    }


async def test_two_workers_answer_every_query(pipeline: Pipeline, tmp_path: Path) -> None:
    pcap = tmp_path / "estate.pcap"
    estate_capture(pcap)
    pipeline.capture(pcap)
    workers = [query_worker(pipeline, "one"), query_worker(pipeline, "two")]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            body = await worker.wait_until(
                "/topology/",
                lambda b: b["feed"]["ready"] and edges_of(b) == EXPECTED,
                timeout=240,
            )
            nodes = {node["name"]: node for node in body["nodes"]}
            assert (nodes["db"]["zone"], nodes["db"]["instances"]) == ("b", 1)
        owners: dict[str, set[str]] = {}
        for worker in workers:
            for (client, server, port), counts in EXPECTED.items():
                path = f"/topology/edges/{quote(server, safe='')}/{client}/{port}/"
                detail = await worker.wait_until(path, lambda b: "history" in b, timeout=120)
                assert (detail["attempts"], detail["answered"]) == counts
                # Every attempt is in a closed window, an open one, or counted late.
                windows = detail["history"] + detail["open_windows"]
                counted = sum(window["attempts"] for window in windows)
                assert counted <= counts[0] <= counted + detail["late_events"], detail
                owners.setdefault(server, set()).add(detail["answered_by"])
        # Asked of either worker, each server's edges were answered by one owner.
        assert all(len(found) == 1 for found in owners.values()), owners
        first = workers[0]
        status, near = await first.get_json("/topology/neighbours/web/?direction=down&hops=2")
        assert status == 200
        assert [n["name"] for n in near["downstream"]] == [
            "api",
            "unattributed:10.9.9.9",
            "db",
        ]
        status, unknown = await first.get_json("/topology/unattributed/")
        assert status == 200
        assert [(u["address"], u["attempts"]) for u in unknown["unattributed"]] == [
            ("10.9.9.9", 100)
        ]
        status, anomalies = await first.get_json("/topology/anomalies/")
        assert status == 200
        assert isinstance(anomalies["anomalies"], list)
        status, refused = await first.get_json("/topology/neighbours/web/?hops=11")
        assert (status, refused["status"]) == (400, 400)
        status, missing = await first.get_json("/topology/edges/db/web/1/")
        assert status == 404, missing

        url = f"http://127.0.0.1:{first.web_port}"
        shown = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "streams.cli", "topology", "show", "--url", url, "--json"],
            env={**pipeline.env, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert shown.returncode == 0, shown.stderr
        assert '"total_edges": 3' in shown.stdout
    finally:
        for worker in workers:
            worker.stop()
