"""`meeseeks capture` into the real broker: exactly the expected events, one partition per server.

Captures are replayed through the real command (file source, decoder, batcher, aiokafka
publisher) and read back with a plain consumer and ``decode_batch``. The live-socket tests need
root for raw sockets and skip, saying so, without it.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import dpkt
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from capture.capture_command import CaptureCommand
from capture.decoder import Decoder
from capture.erspan_encoder import erspan_packet, mirror_frame
from capture.gre_socket import GreSocketSource
from capture.packet_builder import tcp_frame
from capture.packet_socket import PacketSocketSource
from capture.packets import GrePayload, PacketSource
from capture.pcap_source import PcapSource
from capture.protocol_numbers import TCP_FLAG_ACK, TCP_FLAG_SYN
from capture.shard_batcher import server_address, shard_key, shard_of
from config.settings import load_settings
from models.connection import ConnectionEvent, Kind
from models.connection_wire import decode_batch

ROOT = Path(__file__).resolve().parents[2]
BUG_5437 = ROOT / "tests/data/pcaps/suricata-verify/bug-5437-02/input.pcap"
MIRROR = "192.0.2.1"
PARTITIONS = 6
SHARDS = 64


def pcap_time(microseconds: int) -> float:
    """The float a pcap reader makes of a microsecond timestamp (seconds + usec / 1e6)."""
    seconds, fraction = divmod(microseconds, 1_000_000)
    return seconds + fraction / 1_000_000


def expected_handshakes(count: int) -> tuple[list[bytes], list[ConnectionEvent]]:
    """Mirrored frames of ``count`` SYN/SYN-ACK pairs plus noise, and the events they carry."""
    frames: list[bytes] = []
    events: list[ConnectionEvent] = []
    for i in range(count):
        client, server = f"10.0.{i % 7}.{i % 200 + 1}", f"10.1.{i % 3}.{i % 40 + 1}"
        sport, ts = 1024 + i % 64000, pcap_time(1_700_000_000_000_000 + i * 1000)
        syn = tcp_frame(client, server, sport, 443, vlans=(100,))
        frames.append(mirror_frame(syn, erspan_version=2, session=5, erspan_vlan=100))
        events.append(
            ConnectionEvent(ts, client, sport, server, 443, Kind.SYN, 100, 2, 100, 5, MIRROR)
        )
        syn_ack = tcp_frame(server, client, 443, sport, flags=TCP_FLAG_SYN | TCP_FLAG_ACK)
        frames.append(mirror_frame(syn_ack, erspan_version=3, session=6))
        events.append(
            ConnectionEvent(
                pcap_time(1_700_000_000_000_000 + i * 1000 + 500),
                server,
                443,
                client,
                sport,
                Kind.SYN_ACK,
                None,
                3,
                0,
                6,
                MIRROR,
            )
        )
        noise = tcp_frame(client, server, sport, 443, flags=TCP_FLAG_ACK)
        frames.append(mirror_frame(noise, erspan_version=2, session=5))
    return frames, events


def write_pcap(path: Path, frames: list[bytes], events: list[ConnectionEvent]) -> None:
    """Frames timed like their events (noise just after the SYN-ACK it follows)."""
    times = [e.ts for e in events]
    with path.open("wb") as stream:
        writer = dpkt.pcap.Writer(stream)
        event_index = 0
        for position, frame in enumerate(frames):
            if position % 3 == 2:
                ts = times[event_index - 1] + 0.0001
            else:
                ts = times[event_index]
                event_index += 1
            writer.writepkt(frame, ts=ts)


def create_topic(bootstrap: str, topic: str) -> None:
    async def create() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, PARTITIONS, replication_factor=1)])
        finally:
            await admin.close()

    asyncio.run(create())


def read_topic(
    bootstrap: str, topic: str, expected: int
) -> list[tuple[bytes, int, ConnectionEvent]]:
    """Every (key, partition, event) on the topic: waits for ``expected``, then for extras."""

    async def consume() -> list[tuple[bytes, int, ConnectionEvent]]:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
        )
        await consumer.start()
        seen: list[tuple[bytes, int, ConnectionEvent]] = []
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    for record in records:
                        seen.extend(
                            (record.key, record.partition, event)
                            for event in decode_batch(record.value)
                        )
                if len(seen) >= expected and not batches:
                    break  # one quiet second after the expected count: no extras behind
        finally:
            await consumer.stop()
        return seen

    return asyncio.run(consume())


def capture_args(**values: object) -> argparse.Namespace:
    defaults: dict[str, object] = {
        "file": None,
        "listen": None,
        "interface": None,
        "realtime": False,
        "no_progress": True,
        "stdout": False,
        "fanout_group": None,
        "metrics_port": 0,
        "topic": None,
    }
    defaults.update(values)
    return argparse.Namespace(**defaults)


def publish_file(bootstrap: str, topic: str, path: Path) -> CaptureCommand:
    settings = load_settings(
        kafka_bootstrap=bootstrap,
        events_topic=topic,
        capture_shards=SHARDS,
        capture_batch_events=100,
        capture_metrics_port=0,
    )
    command = CaptureCommand(capture_args(file=str(path)), settings, sys.stdout)
    assert command.execute() == 0
    return command


def assert_one_partition_per_server(seen: list[tuple[bytes, int, ConnectionEvent]]) -> None:
    partitions: dict[str, set[int]] = {}
    for key, partition, event in seen:
        server = server_address(event)
        assert key == shard_key(shard_of(server, SHARDS))
        partitions.setdefault(server, set()).add(partition)
    assert all(len(p) == 1 for p in partitions.values()), partitions
    assert len(set().union(*partitions.values())) > 1, "all servers on one partition"


def test_replayed_capture_arrives_exactly(
    kafka_bootstrap: str, topic_name: str, tmp_path: Path
) -> None:
    frames, expected = expected_handshakes(3000)
    path = tmp_path / "handshakes.pcap"
    write_pcap(path, frames, expected)
    create_topic(kafka_bootstrap, topic_name)

    command = publish_file(kafka_bootstrap, topic_name, path)
    seen = read_topic(kafka_bootstrap, topic_name, len(expected))

    assert Counter(event for _, _, event in seen) == Counter(expected)
    assert_one_partition_per_server(seen)
    summary = command.summary()
    assert summary is not None
    assert "packets 9000  events 6000 (syn 3000, syn-ack 3000)" in summary
    assert "published 6000 events" in summary
    assert "not_syn" in summary


def tshark_rows(kind: Kind) -> list[tuple[object, ...]]:
    """The SYNs or SYN-ACKs TShark found in the public capture (INDEX.md), as comparable rows."""
    suffix = "syn" if kind is Kind.SYN else "synack"
    with Path(f"{BUG_5437}.{suffix}.csv").open(newline="") as stream:
        return [
            (
                kind,
                round(float(row["frame.time_epoch"]), 6),
                row["ip.src"] or row["ipv6.src"],
                int(row["tcp.srcport"]),
                row["ip.dst"] or row["ipv6.dst"],
                int(row["tcp.dstport"]),
                int(row["erspan.spanid"]),
                int(row["erspan.version"]) + 1,  # the header's 1 is ERSPAN Type II
            )
            for row in csv.DictReader(stream)
        ]


@pytest.mark.skipif(not BUG_5437.exists(), reason=f"{BUG_5437} not copied in yet")
def test_public_capture_arrives_exactly(kafka_bootstrap: str, topic_name: str) -> None:
    decoder = Decoder()
    expected = [
        event
        for record in PcapSource(BUG_5437)
        if (event := decoder.decode_frame(record.frame, record.ts, record.linktype)) is not None
    ]
    create_topic(kafka_bootstrap, topic_name)

    publish_file(kafka_bootstrap, topic_name, BUG_5437)
    seen = read_topic(kafka_bootstrap, topic_name, len(expected))

    assert Counter(event for _, _, event in seen) == Counter(expected)
    rows = sorted(
        (e.kind, round(e.ts, 6), e.src, e.sport, e.dst, e.dport, e.session, e.erspan_version)
        for _, _, e in seen
    )
    assert rows == sorted(tshark_rows(Kind.SYN) + tshark_rows(Kind.SYN_ACK))
    partitions: dict[str, set[int]] = {}
    for _, partition, event in seen:
        partitions.setdefault(server_address(event), set()).add(partition)
    assert all(len(p) == 1 for p in partitions.values()), partitions


# -- live sources (root) --------------------------------------------------------------------


def raw_gre_sender(family: socket.AddressFamily) -> socket.socket:
    try:
        return socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_GRE)
    except PermissionError:
        pytest.skip("raw GRE sockets need root or CAP_NET_RAW")


def syn_over_gre(sport: int) -> bytes:
    inner = tcp_frame("10.0.0.1", "10.9.9.9", sport, 5432, vlans=(42,))
    return erspan_packet(inner, erspan_version=2, session=9, erspan_vlan=42)


def collect_events(source: PacketSource, wanted: int) -> list[ConnectionEvent]:
    """Read ``source`` until ``wanted`` events came out of it (10 s at most)."""

    async def collect() -> list[ConnectionEvent]:
        decoder = Decoder()
        stop = asyncio.Event()
        events: list[ConnectionEvent] = []
        asyncio.get_running_loop().call_later(10, stop.set)
        chunks = source.chunks(stop)
        async for chunk in chunks:
            for item in chunk:
                if isinstance(item, GrePayload):
                    event = decoder.decode_gre(item.payload, item.ts, item.mirror)
                else:
                    event = decoder.decode_frame(item.frame, item.ts, item.linktype)
                if event is not None:
                    events.append(event)
            if len(events) >= wanted:
                stop.set()
        await chunks.aclose()
        return events

    try:
        return asyncio.run(collect())
    finally:
        source.close()


@pytest.mark.parametrize(
    ("address", "family"), [("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)]
)
def test_raw_gre_socket_source(address: str, family: socket.AddressFamily) -> None:
    sender = raw_gre_sender(family)
    source = GreSocketSource(address, receive_buffer=1 << 20)
    with sender:  # the source's socket is open: the kernel queues these for it
        for sport in (40001, 40002):
            sender.sendto(syn_over_gre(sport), (address, 0))

    events = collect_events(source, wanted=2)
    assert [(e.sport, e.dst, e.dport, e.mirror, e.session, e.vlan) for e in events] == [
        (sport, "10.9.9.9", 5432, address, 9, 42) for sport in (40001, 40002)
    ]
    before = time.time()
    assert all(before - 10 < e.ts <= before for e in events), "live sources stamp receive time"


def test_packet_socket_source_on_loopback() -> None:
    sender = raw_gre_sender(socket.AF_INET)
    source = PacketSocketSource("lo", receive_buffer=1 << 20, fanout_group=4242)
    with sender:
        sender.sendto(syn_over_gre(40003), ("127.0.0.1", 0))

    (event,) = collect_events(source, wanted=1)
    assert (event.src, event.sport, event.mirror) == ("10.0.0.1", 40003, "127.0.0.1")


def test_listen_command_publishes_and_flushes_on_sigterm(
    kafka_bootstrap: str, topic_name: str
) -> None:
    sender = raw_gre_sender(socket.AF_INET)
    create_topic(kafka_bootstrap, topic_name)
    environment = {
        **os.environ,
        "MEESEEKS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "MEESEEKS_EVENTS_TOPIC": topic_name,
        "MEESEEKS_CAPTURE_METRICS_PORT": "0",
        "MEESEEKS_CAPTURE_BATCH_DELAY_MS": "60000",  # only the SIGTERM flush can send them
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "streams.cli", "capture", "--listen", "127.0.0.1"],
        env=environment,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:  # queued by the kernel from here on, even before Kafka
            if "receiving GRE sent to 127.0.0.1" in line:
                break
        with sender:
            for sport in range(41000, 41010):
                sender.sendto(syn_over_gre(sport), ("127.0.0.1", 0))
        time.sleep(1)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "published 10 events" in stderr
    seen = read_topic(kafka_bootstrap, topic_name, 10)
    assert sorted(event.sport for _, _, event in seen) == list(range(41000, 41010))
