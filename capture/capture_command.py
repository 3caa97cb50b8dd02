"""Assembles one `meeseeks capture` from arguments and settings: source, decoder, sink, metrics.

Kept apart from the argument parser so that ``meeseeks --help`` does not import aiokafka,
rich and the decoders, and so tests can run a capture without a subprocess.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from prometheus_client import CollectorRegistry

from capture.capture_loop import CaptureLoop, CaptureTotals
from capture.capture_session import StartableSink, run_session
from capture.decoder import Decoder
from capture.errors import CaptureError
from capture.file_source import FileSource
from capture.gre_socket import GreSocketSource
from capture.json_lines_sink import JsonLinesSink
from capture.kafka_producer import producer_factory
from capture.kafka_publisher import KafkaPublisher
from capture.kafka_sink import KafkaSink
from capture.metrics import CaptureMetrics, MetricsServer
from capture.packet_socket import PacketSocketSource
from capture.packets import PacketSource
from capture.progress import FileProgress
from capture.shard_batcher import ShardBatcher
from config.settings import Settings


class CaptureCommand:
    """One capture run; ``summary()`` is available even when ``execute()`` raised."""

    def __init__(self, args: argparse.Namespace, settings: Settings, stdout: TextIO) -> None:
        self._args = args
        self._settings = settings
        self._stdout = stdout
        self.metrics = CaptureMetrics(CollectorRegistry())
        self._capture: CaptureLoop | None = None
        self._sink: StartableSink | None = None

    def execute(self) -> int:
        """Capture until the source ends or a signal; 1 when accepted events were abandoned."""
        args, settings = self._args, self._settings
        port = settings.capture_metrics_port if args.metrics_port is None else args.metrics_port
        server = serve_metrics(self.metrics, settings.capture_metrics_host, port)
        try:
            self._sink = self._make_sink()
            source = self._open_source()
            self._capture = CaptureLoop(Decoder(), self._sink, self.metrics)
            result = asyncio.run(run_session(source, self._capture, self._sink))
        finally:
            if server is not None:
                server.close()
        return 1 if result.abandoned_events else 0

    def summary(self) -> str | None:
        """Counts and skip reasons for stderr; None when capture never started."""
        if self._capture is None:
            return None
        published = None
        if isinstance(self._sink, KafkaSink):
            published = (
                self._sink.publisher.published_events,
                self._sink.publisher.published_messages,
            )
        return format_summary(self._capture.totals, published)

    def _open_source(self) -> PacketSource:
        args, settings = self._args, self._settings
        if args.file:
            show = not args.no_progress and sys.stderr.isatty()
            return FileSource(args.file, realtime=args.realtime, progress=FileProgress(show))
        if args.listen:
            return GreSocketSource(args.listen, settings.capture_receive_buffer_bytes)
        return PacketSocketSource(
            args.interface, settings.capture_receive_buffer_bytes, args.fanout_group
        )

    def _make_sink(self) -> StartableSink:
        args, settings = self._args, self._settings
        if args.stdout:
            return JsonLinesSink(self._stdout)
        publisher = KafkaPublisher(
            producer_factory(settings),
            args.topic or settings.events_topic,
            settings.capture_max_inflight_bytes,
            self.metrics,
            max_backoff=settings.capture_retry_max_backoff_s,
        )
        batcher = ShardBatcher(
            settings.capture_shards,
            settings.capture_batch_events,
            settings.capture_batch_delay_ms / 1000,
        )
        return KafkaSink(publisher, batcher)


def serve_metrics(metrics: CaptureMetrics, host: str, port: int) -> MetricsServer | None:
    if port == 0:
        return None
    try:
        return MetricsServer(metrics.registry, host, port)
    except OSError as exc:
        raise CaptureError(
            f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}; give each capture "
            "process its own --metrics-port, or 0 to turn metrics off"
        ) from exc


def format_summary(totals: CaptureTotals, published: tuple[int, int] | None) -> str:
    lines = [
        f"packets {totals.packets}  events {totals.events} "
        f"(syn {totals.syn}, syn-ack {totals.syn_ack})"
    ]
    if published is not None:
        lines.append(f"published {published[0]} events in {published[1]} Kafka messages")
    if totals.kernel_drops:
        lines.append(f"kernel dropped {totals.kernel_drops} packets before capture read them")
    if totals.skips:
        lines.append("skipped packets:")
        width = max(len(reason) for reason in totals.skips)
        for reason, count in sorted(totals.skips.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {reason:<{width}}  {count}")
    return "\n".join(lines)
