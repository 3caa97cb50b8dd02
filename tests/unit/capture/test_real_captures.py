"""Both decoders against real captures from other tools' test suites and TShark's ground truth."""

from __future__ import annotations

import socket
from pathlib import Path

import dpkt
import pytest

from capture.decoder import Decoder
from capture.frame_decoder import FrameDecoder
from capture.protocol_numbers import LinkType
from capture.reference_decoder import ReferenceDecoder
from capture.skips import SkipReason
from models.connection import Kind
from tests.unit.capture.capture_ground_truth import (
    CAPTURE_IDS,
    CAPTURES,
    PCAP_DIR,
    erspan_rows,
    event_key,
    expected_events,
    frames,
)

DECODERS = pytest.mark.parametrize(
    "make_decoder", [Decoder, ReferenceDecoder], ids=["fast", "reference"]
)
EACH_CAPTURE = pytest.mark.parametrize("capture", CAPTURES, ids=CAPTURE_IDS)
ERSPAN_CAPTURES = [path for path in CAPTURES if erspan_rows(path)]


def test_the_reference_captures_are_all_there() -> None:
    assert len(CAPTURES) == 22
    for capture in CAPTURES:
        assert capture.with_name(capture.name + ".syn.csv").exists(), capture
        assert capture.with_name(capture.name + ".synack.csv").exists(), capture
    # 22 in bug-5437-02, 2 in the VXLAN capture, 2 in each copy of gre-sample
    assert sum(len(expected_events(capture)) for capture in CAPTURES) == 22 + 2 + 2 + 2


@DECODERS
@EACH_CAPTURE
def test_decoder_finds_exactly_the_syns_and_syn_acks_tshark_finds(
    make_decoder: type[FrameDecoder], capture: Path
) -> None:
    decoder = make_decoder()
    records = frames(capture)
    found = []
    for frame in records:
        event = decoder.decode_frame(frame.data, frame.ts, frame.linktype)
        if event is not None:
            found.append(event_key(frame.number, event))
    assert found == expected_events(capture)
    assert decoder.packets == len(records)
    assert decoder.events == len(found)
    assert decoder.skips.total() == len(records) - len(found)


@DECODERS
@EACH_CAPTURE
def test_mirror_is_the_outer_source_address(
    make_decoder: type[FrameDecoder], capture: Path
) -> None:
    decoder = make_decoder()
    for frame in frames(capture):
        event = decoder.decode_frame(frame.data, frame.ts, frame.linktype)
        if event is None:
            continue
        assert frame.linktype == LinkType.ETHERNET
        outer = dpkt.ethernet.Ethernet(frame.data).data
        assert event.mirror == socket.inet_ntop(socket.AF_INET, outer.src)
        assert event.mirror not in (event.src, event.dst)


@EACH_CAPTURE
def test_fast_decoder_gives_the_reference_result_for_every_real_packet(capture: Path) -> None:
    fast, reference = Decoder(), ReferenceDecoder()
    for frame in frames(capture):
        expected = reference.explain_frame(frame.data, frame.ts, frame.linktype)
        assert fast.explain_frame(frame.data, frame.ts, frame.linktype) == expected, frame.number


@pytest.mark.parametrize(
    "capture", ERSPAN_CAPTURES, ids=[str(p.relative_to(PCAP_DIR)) for p in ERSPAN_CAPTURES]
)
def test_reference_reads_the_erspan_fields_tshark_reads_on_every_packet(capture: Path) -> None:
    decoder = ReferenceDecoder()
    by_number = {frame.number: frame for frame in frames(capture)}
    for row in erspan_rows(capture):
        frame = by_number[row.number]
        assert round(frame.ts, 6) == row.ts
        trace = decoder.describe_frame(frame.data, frame.ts, frame.linktype)
        seen = (trace.erspan_version, trace.session, trace.erspan_vlan, trace.gre_sequence)
        assert seen == (row.erspan_type, row.session, row.erspan_vlan, row.gre_sequence), row
        if row.frame_type is not None:
            assert trace.erspan_frame_type == row.frame_type, row
        assert trace.vlan == row.vlan, row
        assert (trace.ip_src, trace.ip_dst) == (row.ip_src, row.ip_dst), row
        if row.ip_proto is not None:
            assert trace.ip_proto == row.ip_proto, row


@DECODERS
@pytest.mark.parametrize(
    "capture", ERSPAN_CAPTURES, ids=[str(p.relative_to(PCAP_DIR)) for p in ERSPAN_CAPTURES]
)
def test_real_tcp_packets_turned_into_syns_carry_tsharks_erspan_fields(
    make_decoder: type[FrameDecoder], capture: Path
) -> None:
    """Real SYNs are scarce, so every real mirrored TCP segment gets its SYN flag set."""
    decoder, tracer = make_decoder(), ReferenceDecoder()
    by_number = {frame.number: frame for frame in frames(capture)}
    tcp_rows = [row for row in erspan_rows(capture) if row.ip_proto == 6]
    for row in tcp_rows:
        frame = by_number[row.number]
        header = tracer.describe_frame(frame.data, frame.ts, frame.linktype).tcp_header
        assert header is not None, row
        flags_at = frame.data.rfind(header) + 13
        as_syn = frame.data[:flags_at] + b"\x02" + frame.data[flags_at + 1 :]
        event = decoder.decode_frame(as_syn, frame.ts, frame.linktype)
        assert event is not None, row
        assert event.kind is Kind.SYN
        assert (event.src, event.dst, round(event.ts, 6)) == (row.ip_src, row.ip_dst, row.ts)
        seen = (event.erspan_version, event.session, event.erspan_vlan, event.vlan)
        assert seen == (row.erspan_type, row.session, row.erspan_vlan, row.vlan), row
    if capture.name == "input.pcap" and capture.parent.name == "bug-5437-02":
        assert len(tcp_rows) == 60


@DECODERS
@pytest.mark.parametrize(
    ("name", "reasons"),
    [
        ("tcpdump/erspan-type-iii-ft-7.pcap", {SkipReason.UNSUPPORTED_ERSPAN_FRAME_TYPE: 58}),
        ("tcpdump/erspan-type-iii-pb-1.pcap", {SkipReason.TRUNCATED: 1}),
        ("tcpdump/erspan-type-ii-3.pcap", {SkipReason.INNER_NOT_IP: 108}),
        ("tcpdump/various_gre.pcap", {SkipReason.NOT_IP: 70, SkipReason.UNKNOWN_GRE_PROTOCOL: 30}),
        ("arkime/6-4-gre-ppp-udp-4-dns.pcap", {SkipReason.NOT_GRE: 2}),
        (
            "tcpdump/gre-heapoverflow-1.pcap",
            {SkipReason.BAD_IP_VERSION: 1, SkipReason.NOT_IP: 1},
        ),
        (
            "tcpdump/gre-heapoverflow-2.pcap",
            {SkipReason.NOT_IP: 1, SkipReason.UNSUPPORTED_GRE_ROUTING: 1},
        ),
    ],
)
def test_captures_without_mirrored_syns_are_skipped_for_the_right_reason(
    make_decoder: type[FrameDecoder], name: str, reasons: dict[SkipReason, int]
) -> None:
    decoder = make_decoder()
    for frame in frames(PCAP_DIR / name):
        assert decoder.decode_frame(frame.data, frame.ts, frame.linktype) is None
    assert decoder.skips.nonzero() == {reason.value: count for reason, count in reasons.items()}
