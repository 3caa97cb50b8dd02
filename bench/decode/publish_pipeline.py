"""Decode-and-publish: the real `meeseeks capture --file` into a broker, timed in its process.

It goes through ``CaptureCommand``, the object behind the CLI: the file source with its pcap
reader, the fast decoder, shard batching, wire encoding, compression and aiokafka, with the
default capture settings, so the figure is what an operator replaying a capture would get.
What was published is read back from the command's Prometheus registry (broker acks).
"""

from __future__ import annotations

import argparse
import io
import logging
import time
from pathlib import Path
from typing import Any

from bench.decode.measure import peak_rss_kib
from capture.capture_command import CaptureCommand
from capture.kafka_producer import compression_type
from config.settings import load_settings

log = logging.getLogger(__name__)

_PREFIX = "meeseeks_capture_"


def publish_capture(path: Path, bootstrap: str, topic: str) -> dict[str, Any]:
    """Run one capture of ``path`` into ``topic``; CPU and wall time, counts, peak memory."""
    settings = load_settings(kafka_bootstrap=bootstrap, events_topic=topic, capture_metrics_port=0)
    args = argparse.Namespace(
        file=str(path),
        listen=None,
        interface=None,
        realtime=False,
        no_progress=True,
        stdout=False,
        fanout_group=None,
        metrics_port=0,
        topic=None,
    )
    command = CaptureCommand(args, settings, io.StringIO())
    cpu, wall = time.process_time(), time.perf_counter()
    status = command.execute()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    registry = command.metrics.registry

    def sample(name: str, **labels: str) -> int:
        return int(registry.get_sample_value(_PREFIX + name, labels) or 0)

    return {
        "status": status,
        "packets": sample("packets_total"),
        "events": sample("events_total", kind="syn") + sample("events_total", kind="syn-ack"),
        "published_events": sample("published_events_total"),
        "kafka_messages": sample("kafka_messages_total"),
        "send_retries": sample("kafka_send_retries_total"),
        "cpu_s": cpu,
        "wall_s": wall,
        "peak_rss_kib": peak_rss_kib(),
        "settings": {
            "capture_shards": settings.capture_shards,
            "capture_batch_events": settings.capture_batch_events,
            "capture_linger_ms": settings.capture_linger_ms,
            "compression": compression_type(settings.capture_compression) or "none",
        },
    }
