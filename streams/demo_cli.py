"""``meeseeks demo``: the whole pipeline on one machine, on the bundled sample estate.

What ``make run`` does: a local Kafka broker (started unless one runs), the sample inventory
on its compacted topic, a stream worker, the processor host replaying the sample capture, then
the topology printed from the worker's query API, which stays up until Ctrl-C. Each run uses
its own app id and topics, so a second run never counts the first one's traffic again.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from config.cli import broker_from
from config.errors import ConfigError
from config.inventory_file import load_inventory_file
from config.settings import Settings

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

logger = logging.getLogger(__name__)

SAMPLE = Path(__file__).resolve().parents[1] / "config" / "sample"


class DemoError(ConfigError):
    """The demo could not bring a stage up; the message names it and its log."""


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole pipeline on the bundled sample estate (what `make run` does)",
        description=(
            "Start a local Kafka broker if none runs, publish the sample inventory, start a "
            "stream worker, replay the sample capture through the processor host, print the "
            "topology and keep the query API up until Ctrl-C."
        ),
    )
    parser.add_argument(
        "--sample",
        type=Path,
        default=SAMPLE,
        help="folder with inventory.yaml and capture.pcap (default: config/sample)",
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="stop the worker after printing instead of serving until Ctrl-C",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    inventory, capture = args.sample / "inventory.yaml", args.sample / "capture.pcap"
    for path in (inventory, capture):
        if not path.is_file():
            raise DemoError(
                f"{path} is missing: pass --sample DIR with inventory.yaml and "
                "capture.pcap (python -m bench.estate generate --out DIR)"
            )
    broker = broker_from(settings)
    started = False
    if broker.running() is None:
        state = broker.start()
        started = True
        import asyncio

        asyncio.run(broker.wait_ready(state))
    run_id = time.strftime("%Y%m%d-%H%M%S")
    env = {
        **os.environ,
        "MEESEEKS_KAFKA_BOOTSTRAP": f"127.0.0.1:{settings.kafka_port}",
        "MEESEEKS_APP_ID": f"meeseeks-demo-{run_id}",
        "MEESEEKS_EVENTS_TOPIC": f"meeseeks.demo-{run_id}.connections.v1",
        "MEESEEKS_INVENTORY_TOPIC": f"meeseeks.demo-{run_id}.inventory.v1",
        "MEESEEKS_GRAPH_CHANGES_TOPIC": f"meeseeks.demo-{run_id}.graph-changes.v1",
        "MEESEEKS_ANOMALIES_TOPIC": f"meeseeks.demo-{run_id}.anomalies.v1",
        "MEESEEKS_DATA_DIR": str(Path(".meeseeks") / f"demo-{run_id}"),
        "MEESEEKS_LEARNING_PERIOD_SECONDS": "0",
    }
    log_dir = Path(".meeseeks") / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    worker_log = log_dir / f"worker-{run_id}.log"
    me = [sys.executable, "-m", "streams.cli"]
    try:
        _step("publish the sample inventory", [*me, "inventory", "publish", str(inventory)], env)
        with worker_log.open("ab") as log:
            worker = subprocess.Popen([*me, "worker"], env=env, stdout=log, stderr=log)
        try:
            _step(
                "replay the sample capture",
                [*me, "capture", "--file", str(capture), "--no-progress", "--metrics-port", "0"],
                env,
            )
            base = f"http://127.0.0.1:{settings.web_port}"
            _wait_for_stream(base, worker, worker_log)
            for view in (["show"], ["clusters"], ["unattributed"]):
                subprocess.run([*me, "topology", *view], env=env, check=False)
            _store_and_overlay(me, env, args.sample, base)
            print(f"\nquery API: {base}/topology/  (worker log: {worker_log})")
            if not args.no_wait:
                print("Ctrl-C stops the worker" + (" and the broker" if started else ""))
                worker.wait()
        finally:
            worker.terminate()
            worker.wait(30)
    finally:
        if started:
            broker.stop()
    return 0


def _step(what: str, command: list[str], env: dict[str, str]) -> None:
    print(f"== {what}", flush=True)
    if subprocess.run(command, env=env, check=False).returncode != 0:
        raise DemoError(f"could not {what}: see the messages above")


def _wait_for_stream(base: str, worker: subprocess.Popen[bytes], log: Path) -> None:
    """Until the worker has attributed events and its count has stopped moving."""
    print("== wait for the stream worker to aggregate the capture", flush=True)
    last, steady, deadline = -1.0, 0, time.monotonic() + 180
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise DemoError(f"the stream worker exited; see {log}")
        count = _events_processed(base)
        steady = steady + 1 if count == last and count > 0 else 0
        if steady >= 5:  # a few seconds more for the cluster stage and the query view
            return
        last = count
        time.sleep(1)
    raise DemoError(f"the stream worker did not finish within 180 s; see {log}")


def _events_processed(base: str) -> float:
    try:
        with urllib.request.urlopen(f"{base}/metrics", timeout=2) as response:  # noqa: S310
            text = response.read().decode()
    except OSError:
        return -1.0
    for line in text.splitlines():
        if line.startswith("meeseeks_stream_events_total "):
            return float(line.split()[1])
    return -1.0


# -- graph store and overlays (issue 5) --------------------------------------------------------
OVERLAYS = Path(__file__).resolve().parents[1] / "config" / "overlays"


def _store_and_overlay(me: list[str], env: dict[str, str], sample: Path, base: str) -> None:
    """The sink writes the graph into the embedded store; BCP annotations; a query by them."""
    _wait_for_edges(base)
    sink = [*me, "sink", "--until-caught-up", "--metrics-port", "0"]
    _step("write the graph into the embedded store (meeseeks sink)", sink, env)
    register = [*me, "overlay", "register", str(OVERLAYS / "bcp.yaml")]
    _step("register the BCP overlay", register, env)
    annotations = sample / "bcp-annotations.yaml"
    _step(
        f"apply the BCP annotations of {annotations}",
        [*me, "overlay", "annotate", "bcp", "--file", str(annotations)],
        env,
    )
    print("== P0 services and what they need through essential edges, 3 hops", flush=True)
    query = ["--where", "criticality=P0", "--hops", "3", "--via", "dependency=essential"]
    subprocess.run([*me, "overlay", "query", "bcp", *query], env=env, check=False)
    _bcp_plan(me, env, sample)


# -- business continuity (issue 6) -----------------------------------------------------------
def first_zone(inventory: Path) -> str:
    """The sample's first zone in name order: the one whose failure the demo plans."""
    zones = {
        interval.owner.zone
        for record in load_inventory_file(inventory)
        for interval in record.intervals or ()
        if interval.owner.zone
    }
    if not zones:
        raise DemoError(f"{inventory} names no zone, so there is no zone failure to plan")
    return sorted(zones)[0]


def _bcp_plan(me: list[str], env: dict[str, str], sample: Path) -> None:
    """Data-DR annotations, the BCP checks, then the plan for a failure of the first zone."""
    inventory = sample / "inventory.yaml"
    data_dr = sample / "data-dr-annotations.yaml"
    if data_dr.is_file():
        register = [*me, "overlay", "register", str(OVERLAYS / "data-dr.yaml")]
        _step("register the Data-DR overlay", register, env)
        annotate = [*me, "overlay", "annotate", "data-dr", "--file", str(data_dr)]
        _step(f"apply the Data-DR annotations of {data_dr}", annotate, env)
    print("== BCP and Data-DR checks (findings, not failures)", flush=True)
    subprocess.run([*me, "bcp", "check", "--inventory", str(inventory)], env=env, check=False)
    zone = first_zone(inventory)
    _step(
        f"plan a failure of zone {zone} (meeseeks bcp plan --fail-zone {zone})",
        [*me, "bcp", "plan", "--fail-zone", zone, "--inventory", str(inventory)],
        env,
    )


def _wait_for_edges(base: str, timeout: float = 120.0) -> None:
    """Until the worker's graph has edges and their count held for a few seconds.

    Edges reach the graph-changes topic when their first window closes, which is after the
    event counts settle; the sink should find them on the topic.
    """
    print("== wait for the edges on the graph-changes topic", flush=True)
    last, steady, deadline = -1, 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/topology/?limit=1", timeout=5) as answer:  # noqa: S310
                count = int(json.load(answer).get("total_edges", 0))
        except (OSError, ValueError):
            count = -1
        steady = steady + 1 if count == last and count > 0 else 0
        if steady >= 3:
            return
        last = count
        time.sleep(1)
    logger.warning(
        "the worker showed no settled edges within %.0f s; writing what there is", timeout
    )
