"""End to end on a real network: kernel TCP between namespaces, SYNs mirrored by tc, ERSPAN.

Hosts live in network namespaces plugged into a bridge (the switch). Clients open real TCP
connections to real listeners, some to closed ports (the server's kernel answers RST, so no
SYN-ACK). On every switch port, tc copies each TCP SYN and SYN-ACK to a mirror port; its peer
runs `meeseeks export`, which sends them as ERSPAN over GRE up a link to the root namespace,
where `meeseeks capture --listen` reads them on a raw GRE socket and publishes to the real
broker. A real worker aggregates; its query API must show exactly the connections made, the
refused ones as failing.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from capture.packet_builder import tcp_frame

from .netns import Lab, cannot_build, free_uplink_network
from .pipeline_harness import Pipeline
from .pipeline_harness import pipeline as pipeline  # noqa: PLC0414 - the fixture

WINDOW = 4.0
INVENTORY = """
owners:
  - {address: 10.77.0.11, service: shop, instance: shop-1, zone: a}
  - {address: 10.77.0.12, service: billing, instance: billing-1, zone: b}
  - {address: 10.77.0.21, service: catalog, instance: catalog-1, zone: a}
  - {address: 10.77.0.22, service: ledger, instance: ledger-1, zone: b}
"""
SERVICES = {
    "10.77.0.11": "shop",
    "10.77.0.12": "billing",
    "10.77.0.21": "catalog",
    "10.77.0.22": "ledger",
}
# role -> address; the cache host (10.77.0.23) is in no inventory: unattributed.
HOSTS = {
    "shop": "10.77.0.11",
    "bill": "10.77.0.12",
    "cat": "10.77.0.21",
    "led": "10.77.0.22",
    "cache": "10.77.0.23",
}
LISTENERS = {"cat": [8080], "led": [5432], "cache": [6379]}
# Round one, in one window. 9090 and 5433 are closed: at least 20 refused attempts each, so
# the closed window also raises a failing-edge anomaly (AnomalyParams.failing_min_attempts).
ROUND_ONE = {
    "shop": ["10.77.0.21:8080:10", "10.77.0.22:5432:6", "10.77.0.22:5433:20", "10.77.0.23:6379:5"],
    "bill": ["10.77.0.22:5432:8", "10.77.0.21:9090:24"],
}
# Round two, two windows later: moves event time on, so round one's window closes.
ROUND_TWO = {"shop": ["10.77.0.21:8080:1"]}
FAILING = {("billing", "catalog", 9090), ("shop", "ledger", 5433)}

Edge = tuple[str, str, int]


@pytest.fixture(scope="module")
def lab_reason() -> str | None:
    return cannot_build()


@pytest.fixture
def lab(lab_reason: str | None) -> Iterator[Lab]:
    if lab_reason is not None:
        pytest.skip(lab_reason)
    built = Lab()
    try:
        yield built
    finally:
        built.close()


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def wait_for_line(
    path: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float = 20.0
) -> str:
    """The first line of ``path`` matching ``pattern``, once the process wrote it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        found = re.search(pattern, text)
        if found:
            return found.group(0)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"{path.name} never showed {pattern!r}:\n{text[-3000:]}")


def stop(process: subprocess.Popen[bytes], log: Path) -> str:
    """SIGTERM, wait for a clean exit, return the log."""
    process.send_signal(signal.SIGTERM)
    returncode = process.wait(30)
    text = log.read_text(errors="replace")
    assert returncode == 0, text[-3000:]
    return text


def build(lab: Lab) -> str:
    """The switch, the hosts, the tc mirrors and the exporter's uplink; the processor's address."""
    lab.switch()
    for role, address in HOSTS.items():
        lab.host(role, f"{address}/24")
    mirror = lab.mirror_port("exp")
    for role in HOSTS:
        lab.mirror_syns(role, mirror)
    _, processor = lab.uplink("exp", free_uplink_network())
    return processor


def run_round(lab: Lab, tmp: Path, name: str, plan: dict[str, list[str]], at: float) -> list[Any]:
    """Every client of ``plan`` connecting at ``at``; the outcomes, with the client's address."""
    clients = {
        role: lab.start(
            role,
            python("-m", "tests.integration.netns", "connect", "--at", repr(at), *targets),
            tmp / f"{name}-{role}.log",
        )
        for role, targets in plan.items()
    }
    outcomes = []
    for role, process in clients.items():
        assert process.wait(60) == 0, (tmp / f"{name}-{role}.log").read_text()
        lines = (tmp / f"{name}-{role}.log").read_text().splitlines()
        outcomes += [{**o, "src": HOSTS[role]} for o in json.loads(lines[-1])]
    return outcomes


def expected_edges(outcomes: list[Any]) -> dict[Edge, tuple[int, int]]:
    """(client service, server service, port) -> (attempts, answered) of the outcomes."""
    attempts: Counter[Edge] = Counter()
    answered: Counter[Edge] = Counter()
    for outcome in outcomes:
        server = SERVICES.get(outcome["dst"], f"unattributed:{outcome['dst']}")
        edge = (SERVICES[outcome["src"]], server, outcome["port"])
        attempts[edge] += 1
        answered[edge] += outcome["outcome"] == "answered"
    return {edge: (attempts[edge], answered[edge]) for edge in attempts}


def graph_edges(body: dict[str, Any]) -> dict[Edge, tuple[int, int]]:
    return {
        (e["client"], e["server"], e["port"]): (e["attempts"], e["answered"]) for e in body["edges"]
    }


def next_window(after: float) -> float:
    return math.ceil(after / WINDOW) * WINDOW


def test_mirrored_kernel_syns_become_the_graph(
    lab: Lab, pipeline: Pipeline, tmp_path: Path
) -> None:
    Path(pipeline.env["MEESEEKS_INVENTORY_FILE"]).write_text(INVENTORY)
    pipeline.env.update(
        MEESEEKS_WINDOW_SECONDS=str(WINDOW),
        MEESEEKS_GRACE_SECONDS="1",
        MEESEEKS_SOURCE_IDLE_SECONDS="2",
        MEESEEKS_TICK_SECONDS="1",
        MEESEEKS_LOG_LEVEL="INFO",
    )
    worker = pipeline.worker()
    worker.start()  # starts while the network is built
    try:
        processor_address = build(lab)
        capture_log = tmp_path / "capture.log"
        with capture_log.open("ab") as log:
            capture = subprocess.Popen(
                python("-m", "streams.cli", "capture", "--listen", processor_address),
                env={**pipeline.env, "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        lab.processes.append(capture)
        wait_for_line(capture_log, "receiving GRE sent to", capture)
        export_log = tmp_path / "export.log"
        export = ["export", "--interface", "eth0", "--to", processor_address]
        export += ["--erspan-version", "3", "--session", "42"]
        exporter = lab.start(
            "exp", python("-m", "streams.cli", "--log-level", "INFO", *export), export_log
        )
        wait_for_line(export_log, "exporting frames from eth0", exporter)
        for role, ports in LISTENERS.items():
            server_log = tmp_path / f"serve-{role}.log"
            server = lab.start(
                role, python("-m", "tests.integration.netns", "serve", *map(str, ports)), server_log
            )
            wait_for_line(server_log, "listening", server)

        # Each round inside one window: it starts just after a window boundary.
        first = next_window(time.time() + 1.5)
        outcomes = run_round(lab, tmp_path, "one", ROUND_ONE, first + 0.2)
        outcomes += run_round(lab, tmp_path, "two", ROUND_TWO, first + 2 * WINDOW + 0.2)
        assert all(o["outcome"] in ("answered", "refused") for o in outcomes), outcomes
        expected = expected_edges(outcomes)
        assert {edge for edge, (_, answered) in expected.items() if answered == 0} == FAILING

        # Every SYN and SYN-ACK crossed the switch once, was mirrored once, exported once.
        syns = len(outcomes)
        syn_acks = sum(o["outcome"] == "answered" for o in outcomes)
        time.sleep(0.5)
        exported = stop(exporter, export_log)
        assert f"frames {syns + syn_acks}  exported {syns + syn_acks} " in exported, exported
        captured = stop(capture, capture_log)
        assert (
            f"packets {syns + syn_acks}  events {syns + syn_acks} (syn {syns}, syn-ack {syn_acks})"
            in captured
        ), captured
        assert f"published {syns + syn_acks} events" in captured, captured

        body = asyncio.run(
            worker.wait_until(
                "/topology/",
                lambda b: (
                    graph_edges(b) == expected
                    and all(e["answer_ratio"] is not None for e in b["edges"])
                ),
                timeout=90,
            )
        )
        ratios = {(e["client"], e["server"], e["port"]): e["answer_ratio"] for e in body["edges"]}
        assert ratios == {edge: 0.0 if edge in FAILING else 1.0 for edge in expected}
        nodes = {node["name"] for node in body["nodes"]}
        assert nodes == {"shop", "billing", "catalog", "ledger", "unattributed:10.77.0.23"}

        anomalies = asyncio.run(
            worker.wait_until(
                "/topology/anomalies/?kind=failing_edge",
                lambda b: len(b["anomalies"]) >= len(FAILING),
                timeout=30,
            )
        )
        flagged = {a["edge"] for a in anomalies["anomalies"]}
        assert flagged == {f"{c}|{s}|{p}" for c, s, p in FAILING}, anomalies
        assert {a["severity"] for a in anomalies["anomalies"]} == {"critical"}
    finally:
        worker.stop()


def test_exporter_keeps_vlan_tags(lab: Lab, tmp_path: Path) -> None:
    """The kernel hands the exporter frames untagged (the tag rides beside them); the mirror
    must carry the tag again, as the switch saw it: 802.1Q, QinQ and untagged frames."""
    host = lab.namespace("vlan")
    lab_command = ["ip", "-n", host]
    subprocess.run(
        [*lab_command, "link", "add", "inject", "type", "veth", "peer", "name", "eth0"], check=True
    )
    for device in ("inject", "eth0"):
        subprocess.run([*lab_command, "link", "set", device, "up"], check=True)
    _, processor_address = lab.uplink("vlan", free_uplink_network())
    capture_log = tmp_path / "capture.err"
    events_path = tmp_path / "events.jsonl"
    with capture_log.open("ab") as err, events_path.open("wb") as out:
        capture = subprocess.Popen(
            python(
                "-m",
                "streams.cli",
                "--log-level",
                "INFO",
                "capture",
                "--listen",
                processor_address,
                "--stdout",
                "--metrics-port",
                "0",
            ),
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    lab.processes.append(capture)
    wait_for_line(capture_log, "receiving GRE sent to", capture)
    export_log = tmp_path / "export.log"
    exporter = lab.start(
        "vlan",
        python(
            "-m",
            "streams.cli",
            "--log-level",
            "INFO",
            "export",
            "--interface",
            "eth0",
            "--to",
            processor_address,
            "--syn-only",
            "--session",
            "9",
        ),
        export_log,
    )
    wait_for_line(export_log, "exporting frames from eth0", exporter)
    tags = [(20,), (), (100, 200)]
    frames = [tcp_frame("10.9.0.1", "10.9.0.2", 40000 + i, 80, vlans=v) for i, v in enumerate(tags)]
    frames.append(tcp_frame("10.9.0.1", "10.9.0.2", 40009, 80, flags=0x10, vlans=(20,)))  # ACK
    inject = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
        "s.bind(('inject', 0))\n"
        "for frame in sys.argv[1:]:\n"
        "    s.send(bytes.fromhex(frame))\n"
    )
    subprocess.run(
        ["ip", "netns", "exec", host, sys.executable, "-c", inject, *(f.hex() for f in frames)],
        check=True,
    )
    time.sleep(0.5)
    exported = stop(exporter, export_log)
    assert "frames 4  exported 3 (" in exported, exported
    assert "filtered 1" in exported, exported
    stop(capture, capture_log)
    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    assert [(e["sport"], e["vlan"], e["session"], e["erspan_version"]) for e in events] == [
        (40000, 20, 9, 2),
        (40001, None, 9, 2),
        (40002, 200, 9, 2),
    ]
