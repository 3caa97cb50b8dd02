"""The reading loop: counts and metrics per chunk, and no reading while the sink is full."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry

from capture.capture_loop import CaptureLoop
from capture.decoder import Decoder
from capture.erspan_encoder import mirror_frame
from capture.file_source import FileSource
from capture.kafka_publisher import KafkaPublisher
from capture.kafka_sink import KafkaSink
from capture.metrics import CaptureMetrics
from capture.packet_builder import tcp_frame
from capture.packets import Captured, Frame
from capture.progress import FileProgress
from capture.shard_batcher import ShardBatcher, server_address, shard_of
from models.connection import ConnectionEvent
from models.connection_wire import decode_batch
from tests.unit.capture_publish.samples import write_handshakes_pcap
from tests.unit.capture_publish.test_kafka_publisher import ScriptedProducer


class ListSink:
    """Keeps accepted events; ``room`` closed means the loop must wait."""

    def __init__(self) -> None:
        self.events: list[ConnectionEvent] = []
        self.room = asyncio.Event()
        self.room.set()

    async def wait_for_room(self, stop: asyncio.Event) -> None:
        await self.room.wait()

    def accept(self, events: Sequence[ConnectionEvent]) -> None:
        self.events.extend(events)

    async def close(self) -> None:
        return None

    def abandon(self) -> int:
        return 0


class CountingSource:
    """Endless chunks of one SYN frame; counts how many chunks were pulled."""

    def __init__(self) -> None:
        self.pulled = 0
        frame = mirror_frame(tcp_frame("10.0.0.1", "10.0.0.2", 1234, 80))
        self.chunk = [Frame(1.0, 1, frame)]

    async def chunks(self, stop: asyncio.Event) -> AsyncGenerator[Sequence[Captured], None]:
        while not stop.is_set():
            self.pulled += 1
            yield self.chunk

    def skip_counts(self) -> Mapping[str, int]:
        return {"truncated_record": 1}

    def kernel_drops(self) -> int:
        return 3

    def close(self) -> None:
        return None


def sample(metrics: CaptureMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_totals_and_metrics_come_from_decoder_and_source(tmp_path: Path) -> None:
    capture = tmp_path / "handshakes.pcap"
    expected = write_handshakes_pcap(capture, 50)
    metrics = CaptureMetrics(CollectorRegistry())
    sink = ListSink()
    loop = CaptureLoop(Decoder(), sink, metrics)

    totals = await loop.run(
        FileSource(capture, realtime=False, progress=FileProgress(False)), asyncio.Event()
    )

    assert sink.events == expected
    assert (totals.packets, totals.events, totals.syn, totals.syn_ack) == (150, 100, 50, 50)
    assert totals.skips == {"not_syn": 50}
    assert sample(metrics, "meeseeks_capture_packets_total") == 150
    assert sample(metrics, "meeseeks_capture_events_total", kind="syn") == 50
    assert sample(metrics, "meeseeks_capture_events_total", kind="syn-ack") == 50
    assert sample(metrics, "meeseeks_capture_skipped_packets_total", reason="not_syn") == 50


async def test_nothing_is_read_while_the_sink_has_no_room() -> None:
    source = CountingSource()
    sink = ListSink()
    metrics = CaptureMetrics(CollectorRegistry())
    loop = CaptureLoop(Decoder(), sink, metrics)
    stop = asyncio.Event()
    sink.room.clear()

    running = asyncio.get_running_loop().create_task(loop.run(source, stop))
    await asyncio.sleep(0.05)
    assert source.pulled == 1  # the first chunk, then the loop waits for room

    sink.room.set()
    await asyncio.sleep(0.01)
    stop.set()
    totals = await asyncio.wait_for(running, 1)
    assert source.pulled > 1
    assert totals.events == len(sink.events) == totals.packets
    assert totals.kernel_drops == 3  # polled once more at the end
    assert totals.skips == {"truncated_record": 1}
    assert sample(metrics, "meeseeks_capture_kernel_dropped_packets_total") == 3


async def test_a_packing_sink_gets_every_event_without_event_objects(tmp_path: Path) -> None:
    capture = tmp_path / "handshakes.pcap"
    expected = write_handshakes_pcap(capture, 300)
    metrics = CaptureMetrics(CollectorRegistry())
    producer = ScriptedProducer([], [])
    publisher = KafkaPublisher(lambda: producer, "t", 1 << 20, metrics)
    sink = KafkaSink(publisher, ShardBatcher(shards=4, max_events=50, max_delay=60.0))
    loop = CaptureLoop(Decoder(), sink, metrics)
    assert await sink.start(asyncio.Event())

    totals = await loop.run(
        FileSource(capture, realtime=False, progress=FileProgress(False)), asyncio.Event()
    )
    await sink.close()

    published = [event for _, value in producer.sent for event in decode_batch(value)]
    assert sorted(published, key=expected.index) == expected  # each event once, none lost
    for key, value in producer.sent:
        assert {shard_of(server_address(e), 4) for e in decode_batch(value)} == {int(key)}
    assert (totals.packets, totals.events, totals.syn, totals.syn_ack) == (900, 600, 300, 300)
    assert totals.skips == {"not_syn": 300}
    assert sample(metrics, "meeseeks_capture_events_total", kind="syn-ack") == 300
    assert sample(metrics, "meeseeks_capture_published_events_total") == 600
