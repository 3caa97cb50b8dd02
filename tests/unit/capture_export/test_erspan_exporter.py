"""The exporter's logic with literal frames: what it sends, decoded by the reference decoder,
and how it counts filtered frames and failed sends (fake reader and sender)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

import pytest
from prometheus_client import CollectorRegistry

from capture.erspan_exporter import (
    ErspanEncapsulator,
    ErspanExporter,
    ExportOptions,
    ExportTotals,
    format_totals,
)
from capture.metrics import ExportMetrics
from capture.packet_builder import tcp_frame
from capture.protocol_numbers import TCP_FLAG_ACK, TCP_FLAG_SYN
from capture.reference_decoder import ReferenceDecoder

SYN = tcp_frame("10.1.0.1", "10.1.0.2", 40000, 443, vlans=(30,))
SYN_ACK = tcp_frame("10.1.0.2", "10.1.0.1", 443, 40000, flags=TCP_FLAG_SYN | TCP_FLAG_ACK)
ACK = tcp_frame("10.1.0.1", "10.1.0.2", 40000, 443, flags=TCP_FLAG_ACK)


@pytest.mark.parametrize("version", [2, 3])
def test_packets_decode_to_the_mirrored_syn(version: int) -> None:
    encapsulator = ErspanEncapsulator(ExportOptions(erspan_version=version, session=1000))
    packet, truncated = encapsulator.encapsulate(SYN, 1_700_000_000.5)
    assert not truncated
    event = ReferenceDecoder().decode_gre(packet, 1.0, "192.0.2.9")
    assert event is not None
    assert (event.src, event.sport, event.dst, event.dport) == ("10.1.0.1", 40000, "10.1.0.2", 443)
    assert (event.erspan_version, event.session, event.vlan) == (version, 1000, 30)
    assert event.mirror == "192.0.2.9"


def test_sequence_numbers_count_every_packet() -> None:
    encapsulator = ErspanEncapsulator(ExportOptions(erspan_version=2, session=3), port_index=7)
    packets = [encapsulator.encapsulate(SYN, 0.0)[0] for _ in range(3)]
    flags, protocol, *_ = struct.unpack_from("!HH", packets[0])
    assert (flags, protocol) == (0x1000, 0x88BE)  # sequence present, ERSPAN Type II
    assert [struct.unpack_from("!I", p, 4)[0] for p in packets] == [0, 1, 2]
    # Type II header: version 1, session 3, port index 7.
    word0, word1, index = struct.unpack_from("!HHI", packets[0], 8)
    assert (word0 >> 12, word1 & 0x3FF, index) == (1, 3, 7)


def test_type_iii_carries_a_timestamp_in_100_microsecond_units() -> None:
    packet, _ = ErspanEncapsulator(ExportOptions(erspan_version=3)).encapsulate(SYN, 12.25)
    assert struct.unpack_from("!HH", packet)[1] == 0x22EB
    assert struct.unpack_from("!I", packet, 8 + 4)[0] == 122500


def test_snaplen_cuts_and_flags_the_frame() -> None:
    encapsulator = ErspanEncapsulator(ExportOptions(snaplen=40))
    packet, truncated = encapsulator.encapsulate(SYN, 0.0)
    assert truncated
    assert len(packet) == 8 + 8 + 40
    assert struct.unpack_from("!H", packet, 10)[0] >> 10 & 1  # the T bit
    whole, cut = ErspanEncapsulator(ExportOptions(snaplen=len(SYN))).encapsulate(SYN, 0.0)
    assert not cut
    assert whole.endswith(SYN)


@pytest.mark.parametrize(
    ("version", "session", "snaplen"), [(1, 0, 0), (2, 1024, 0), (3, -1, 0), (2, 0, -5)]
)
def test_bad_options_are_refused(version: int, session: int, snaplen: int) -> None:
    with pytest.raises(ValueError, match=r"ERSPAN|snap"):
        ExportOptions(version, session, snaplen)


class FakeReader:
    def __init__(self, bursts: list[list[tuple[float, bytes]]], drops: int = 0) -> None:
        self._bursts = bursts
        self._drops = drops

    def bursts(self, stop: Callable[[], bool]) -> Iterator[list[tuple[float, bytes]]]:
        yield from self._bursts

    def kernel_drops(self) -> int:
        drops, self._drops = self._drops, 0
        return drops


class FakeSender:
    """Fails with the scripted errno names, in order, then sends."""

    def __init__(self, failures: list[str | None]) -> None:
        self.failures = failures
        self.sent: list[bytes] = []

    def send(self, packet: bytes) -> str | None:
        failure = self.failures.pop(0) if self.failures else None
        if failure is None:
            self.sent.append(packet)
        return failure


def test_exporter_counts_every_frame_and_feeds_the_metrics() -> None:
    reader = FakeReader([[(1.0, SYN), (1.1, ACK)], [], [(2.0, SYN_ACK), (2.1, SYN)]], drops=4)
    sender = FakeSender([None, "ENOBUFS"])
    metrics = ExportMetrics(CollectorRegistry())
    options = ExportOptions(session=5, syn_only=True)
    exporter = ErspanExporter(reader, sender, ErspanEncapsulator(options), metrics)
    totals = exporter.run(lambda: False)
    assert (totals.frames, totals.filtered, totals.exported) == (4, 1, 2)
    assert totals.send_errors == {"ENOBUFS": 1}
    assert totals.kernel_drops == 4
    assert totals.exported_bytes == sum(len(p) for p in sender.sent)
    decoded = [ReferenceDecoder().decode_gre(p, 0.0, "192.0.2.1") for p in sender.sent]
    assert [(e.sport, e.kind.value) for e in decoded if e is not None] == [
        (40000, "syn"),
        (40000, "syn"),
    ]
    sample = metrics.registry.get_sample_value
    assert sample("meeseeks_export_frames_total") == 4
    assert sample("meeseeks_export_packets_total") == 2
    assert sample("meeseeks_export_filtered_frames_total") == 1
    assert sample("meeseeks_export_kernel_dropped_frames_total") == 4
    assert sample("meeseeks_export_send_errors_total", {"reason": "ENOBUFS"}) == 1
    assert sample("meeseeks_export_bytes_total") == totals.exported_bytes


def test_a_refusal_reported_late_is_counted_and_the_packet_sent_again() -> None:
    sender = FakeSender(["ECONNREFUSED"])
    exporter = ErspanExporter(FakeReader([]), sender, ErspanEncapsulator(ExportOptions()))
    exporter.export(SYN, 0.0)
    assert exporter.totals.exported == 1
    assert exporter.totals.send_errors == {"ECONNREFUSED": 1}
    assert len(sender.sent) == 1
    # The sequence number moved on once: the retry is the same packet.
    exporter.export(SYN, 0.0)
    assert struct.unpack_from("!I", sender.sent[1], 4)[0] == 1


def test_summary_names_every_count() -> None:
    totals = ExportTotals(10, 7, 700, 2, 1, 3, {"EMSGSIZE": 1})
    assert format_totals(totals).splitlines() == [
        "frames 10  exported 7 (700 bytes)  filtered 2  truncated 1",
        "kernel dropped 3 frames before the exporter read them",
        "send failed (EMSGSIZE): 1",
    ]
