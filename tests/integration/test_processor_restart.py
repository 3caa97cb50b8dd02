"""Fault: the processor host is restarted mid-capture.

`meeseeks capture --listen 127.0.0.1` receives ERSPAN on a raw GRE socket (sent here on the
loopback interface), is stopped with SIGTERM between two rounds of connections and started
again. SIGTERM makes it flush every event it accepted, so the graph equals an undisturbed run.

What a restart cannot recover, and this test therefore does not send: packets mirrored while no
processor listens (a switch does not buffer its mirror session), and, after SIGKILL, the events
of batches not yet acknowledged by Kafka (at most MEESEEKS_CAPTURE_BATCH_DELAY_MS of traffic
plus MEESEEKS_CAPTURE_MAX_INFLIGHT_BYTES in flight). README: "Running a processor host".
"""

from __future__ import annotations

import asyncio
import random
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from capture.erspan_encoder import erspan_packet
from capture.packet_builder import tcp_frame
from capture.protocol_numbers import TCP_FLAG_ACK, TCP_FLAG_SYN

from .pipeline_harness import Pipeline
from .pipeline_harness import pipeline as pipeline  # noqa: PLC0414 - the fixture
from .test_network_e2e import graph_edges, next_window, python, wait_for_line

pytestmark = pytest.mark.integration

WINDOW = 2.0
INVENTORY = """
owners:
  - {address: 10.0.0.1, service: web, instance: web-1, zone: a}
  - {address: 10.0.1.7, service: api, instance: api-1, zone: a}
  - {address: 10.0.2.5, service: db, instance: db-1, zone: b}
"""
# (client address, server address, port, answered) per connection of a round.
ROUND = [("10.0.0.1", "10.0.1.7", 8080, True)] * 30 + [("10.0.1.7", "10.0.2.5", 5432, False)] * 20
NAMES = {"10.0.0.1": "web", "10.0.1.7": "api", "10.0.2.5": "db"}


def send_round(sender: socket.socket, rng: random.Random) -> None:
    """Each connection's SYN and, when answered, its SYN-ACK, mirrored by ERSPAN III."""
    for client, server, port, answered in ROUND:
        sport = rng.randrange(20000, 60000)
        syn = tcp_frame(client, server, sport, port)
        sender.sendto(erspan_packet(syn, erspan_version=3, session=7), ("127.0.0.1", 0))
        if answered:
            flags = TCP_FLAG_SYN | TCP_FLAG_ACK
            reply = tcp_frame(server, client, port, sport, flags=flags)
            sender.sendto(erspan_packet(reply, erspan_version=3, session=7), ("127.0.0.1", 0))
        time.sleep(0.002)


def start_processor(pipeline: Pipeline, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            python("-m", "streams.cli", "capture", "--listen", "127.0.0.1"),
            env={**pipeline.env, "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for_line(log, "receiving GRE sent to", process)
    return process


def stop_processor(process: subprocess.Popen[bytes], log: Path, published: int) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-3000:]
    assert f"published {published} events" in log.read_text(), log.read_text()[-3000:]


def test_a_processor_restarted_between_rounds_loses_nothing(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    try:
        sender = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_GRE)
    except PermissionError:
        pytest.skip("a raw GRE socket needs root (CAP_NET_RAW)")
    Path(pipeline.env["MEESEEKS_INVENTORY_FILE"]).write_text(INVENTORY)
    pipeline.env.update(
        MEESEEKS_WINDOW_SECONDS=str(WINDOW),
        MEESEEKS_GRACE_SECONDS="0.5",
        MEESEEKS_SOURCE_IDLE_SECONDS="2",
        MEESEEKS_TICK_SECONDS="1",
    )
    per_round = len(ROUND) + sum(answered for *_, answered in ROUND)
    rng = random.Random(5)
    worker = pipeline.worker()
    worker.start()
    processors: list[subprocess.Popen[bytes]] = []
    try:
        first_log, second_log = tmp_path / "capture-1.log", tmp_path / "capture-2.log"
        processors.append(start_processor(pipeline, first_log))
        time.sleep(max(0.0, next_window(time.time()) + 0.1 - time.time()))
        send_round(sender, rng)
        time.sleep(0.5)
        stop_processor(processors[0], first_log, per_round)

        processors.append(start_processor(pipeline, second_log))
        time.sleep(max(0.0, next_window(time.time() + WINDOW) + 0.1 - time.time()))
        send_round(sender, rng)
        # Edges are published as their windows close: one SYN two windows later, on an edge
        # of its own, moves event time past the second round's window.
        time.sleep(2 * WINDOW)
        clock = tcp_frame("10.0.0.1", "10.0.2.5", 40000, 9)
        sender.sendto(erspan_packet(clock, erspan_version=3, session=7), ("127.0.0.1", 0))
        time.sleep(0.5)
        stop_processor(processors[1], second_log, per_round + 1)

        expected = {}
        for client, server, port, answered in set(ROUND):
            attempts = 2 * ROUND.count((client, server, port, answered))
            expected[(NAMES[client], NAMES[server], port)] = (
                attempts,
                attempts if answered else 0,
            )

        def settled(body: dict[str, Any]) -> bool:
            edges = graph_edges(body)
            return {edge: edges.get(edge) for edge in expected} == expected

        asyncio.run(worker.wait_until("/topology/", settled, timeout=90))
    finally:
        sender.close()
        for process in processors:
            if process.poll() is None:
                process.kill()
        worker.stop()
