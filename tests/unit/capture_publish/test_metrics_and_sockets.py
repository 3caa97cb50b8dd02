"""Metrics on an injected registry, /metrics over HTTP, and live-socket setup errors."""

from __future__ import annotations

import errno
import urllib.request

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

from capture.gre_socket import GreSocketSource
from capture.live_socket import LiveSourceError, open_failure
from capture.metrics import CaptureMetrics, MetricsServer
from capture.packet_socket import PacketSocketSource, fanout_argument


def test_metrics_live_only_on_the_given_registry() -> None:
    first, second = CaptureMetrics(CollectorRegistry()), CaptureMetrics(CollectorRegistry())
    first.packets.inc(5)
    assert first.registry.get_sample_value("meeseeks_capture_packets_total") == 5
    assert second.registry.get_sample_value("meeseeks_capture_packets_total") == 0
    assert REGISTRY.get_sample_value("meeseeks_capture_packets_total") is None


def test_skip_counters_follow_the_decoder_totals() -> None:
    metrics = CaptureMetrics(CollectorRegistry())
    metrics.sync_skips({"not_syn": 3, "not_gre": 0})
    metrics.sync_skips({"not_syn": 10, "not_gre": 2})
    value = metrics.registry.get_sample_value
    assert value("meeseeks_capture_skipped_packets_total", {"reason": "not_syn"}) == 10
    assert value("meeseeks_capture_skipped_packets_total", {"reason": "not_gre"}) == 2


def test_metrics_are_served_over_http() -> None:
    metrics = CaptureMetrics(CollectorRegistry())
    metrics.count_events(syn=4, syn_ack=1)
    server = MetricsServer(metrics.registry, "127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{server.port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    finally:
        server.close()
    assert 'meeseeks_capture_events_total{kind="syn"} 4.0' in text
    assert "meeseeks_capture_kafka_produce_latency_seconds_bucket" in text


def test_fanout_argument_is_group_and_hash_with_defrag() -> None:
    assert fanout_argument(7) == 7 | (0x8000 << 16)
    with pytest.raises(LiveSourceError, match="0 to 65535"):
        fanout_argument(70000)


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (PermissionError(errno.EPERM, "Operation not permitted"), "CAP_NET_RAW"),
        (OSError(errno.ENODEV, "No such device"), "ip link"),
        (OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"), "ip addr"),
    ],
)
def test_socket_errors_say_what_to_do(error: OSError, hint: str) -> None:
    assert hint in str(open_failure("a socket", error))


def test_listen_needs_an_ip_address() -> None:
    with pytest.raises(LiveSourceError, match="not an IP address"):
        GreSocketSource("processor.example", receive_buffer=1 << 16)


def test_unknown_interface_is_refused_clearly() -> None:
    with pytest.raises(LiveSourceError, match=r"ip link|CAP_NET_RAW"):
        PacketSocketSource("no-such-if0", receive_buffer=1 << 16, fanout_group=None)
