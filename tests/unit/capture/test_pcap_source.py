"""Reading capture files: byte orders, resolutions, pcapng interfaces, damage, non-captures."""

from __future__ import annotations

import struct
from decimal import Decimal
from pathlib import Path

import dpkt.pcapng as ng
import pytest

from capture.decoder import Decoder
from capture.errors import CaptureError, NotACaptureError
from capture.erspan_encoder import mirror_frame, tcp_frame
from capture.pcap_source import CaptureRecord, PcapSource, read_capture
from capture.pcap_writer import (
    PcapngInterface,
    pcapng_packet,
    pcapng_section,
    write_pcap,
    write_pcapng,
)
from capture.protocol_numbers import LinkType
from capture.skips import SkipReason
from tests.unit.capture.capture_ground_truth import PCAP_DIR

STAMPS = [Decimal("1700000000.000001"), Decimal("1700000000.999999"), Decimal("1.5")]
FRAMES = [b"\x01" * 60, b"\x02" * 1, b"\x03" * 1514]


@pytest.mark.parametrize("nanosecond", [False, True], ids=["micro", "nano"])
@pytest.mark.parametrize("big_endian", [False, True], ids=["little", "big"])
def test_pcap_round_trip_in_every_byte_order_and_resolution(
    tmp_path: Path, nanosecond: bool, big_endian: bool
) -> None:
    path = tmp_path / "c.pcap"
    stamps = [*STAMPS[:2], Decimal("1700000000.123456789") if nanosecond else STAMPS[2]]
    write_pcap(
        path,
        zip(stamps, FRAMES, strict=True),
        linktype=LinkType.RAW,
        nanosecond=nanosecond,
        big_endian=big_endian,
    )
    source = PcapSource(path)
    records = list(source)
    assert [record.frame for record in records] == FRAMES
    assert {record.linktype for record in records} == {LinkType.RAW}
    assert [record.ts for record in records] == [float(stamp) for stamp in stamps]
    assert source.records == 3
    assert source.skips.total() == 0


def test_pcapng_interfaces_keep_their_own_link_type_and_resolution(tmp_path: Path) -> None:
    interfaces = [
        PcapngInterface(LinkType.ETHERNET, tsresol=6),
        PcapngInterface(LinkType.RAW, tsresol=9),
        PcapngInterface(LinkType.LINUX_SLL, tsresol=0x80 | 10),  # 1/1024 s
        PcapngInterface(LinkType.IPV6, tsresol=3, tsoffset=1_600_000_000),
    ]
    stamps = [
        Decimal("1700000000.654321"),
        Decimal("1700000000.123456789"),
        Decimal(1700000000) + Decimal(513) / 1024,
        Decimal("1600000123.250"),
    ]
    path = tmp_path / "c.pcapng"
    packets = [(index, stamps[index], bytes([index]) * 5) for index in (0, 1, 2, 3, 1)]
    write_pcapng(path, interfaces, packets)
    records = list(read_capture(path))
    assert [(record.linktype, record.frame) for record in records] == [
        (interfaces[index].linktype, bytes([index]) * 5) for index in (0, 1, 2, 3, 1)
    ]
    assert [record.ts for record in records] == [float(stamps[i]) for i in (0, 1, 2, 3, 1)]


def test_pcapng_sections_of_both_byte_orders_and_the_old_packet_block(tmp_path: Path) -> None:
    first = [PcapngInterface(LinkType.ETHERNET)]
    second = [PcapngInterface(LinkType.RAW, tsresol=9), PcapngInterface(LinkType.IPV4)]
    old_block = ng.PacketBlock(iface_id=1, ts_high=0, ts_low=2_000_000, pkt_data=b"old")
    path = tmp_path / "sections.pcapng"
    path.write_bytes(
        pcapng_section(first)
        + pcapng_packet(first, 0, Decimal("10.5"), b"a")
        + pcapng_section(second, big_endian=True)
        + pcapng_packet(second, 0, Decimal("20.000000001"), b"b", big_endian=True)
        + bytes(old_block)
    )
    assert list(read_capture(path)) == [
        CaptureRecord(10.5, LinkType.ETHERNET, b"a"),
        CaptureRecord(20.000000001, LinkType.RAW, b"b"),
        CaptureRecord(2.0, LinkType.IPV4, b"old"),
    ]


def test_a_cut_last_pcap_record_keeps_the_records_before_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap"
    write_pcap(path, zip(STAMPS, FRAMES, strict=True))
    whole = path.read_bytes()
    for cut in (1, 100, 1514, 1514 + 10):  # inside the last frame, then inside its header
        path.write_bytes(whole[:-cut])
        source = PcapSource(path)
        assert [record.frame for record in source] == FRAMES[:2]
        assert source.skips.nonzero() == {SkipReason.TRUNCATED_RECORD.value: 1}


def test_a_cut_last_pcapng_block_keeps_the_packets_before_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcapng"
    write_pcapng(
        path,
        [PcapngInterface()],
        [(0, stamp, frame) for stamp, frame in zip(STAMPS, FRAMES, strict=True)],
    )
    whole = path.read_bytes()
    for cut in (1, 4, 1000, 1548 - 4):  # the last block is 1548 bytes long
        path.write_bytes(whole[:-cut])
        source = PcapSource(path)
        assert [record.frame for record in source] == FRAMES[:2], cut
        assert source.skips.nonzero() == {SkipReason.TRUNCATED_RECORD.value: 1}


def test_an_impossible_record_length_stops_reading_without_losing_records(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pcap"
    write_pcap(path, zip(STAMPS, FRAMES, strict=True))
    data = bytearray(path.read_bytes())
    last_header = 24 + 16 + 60 + 16 + 1
    data[last_header + 8 : last_header + 12] = struct.pack("<I", 0xFFFF_FFF0)
    path.write_bytes(bytes(data))
    source = PcapSource(path)
    assert [record.frame for record in source] == FRAMES[:2]
    assert source.skips.nonzero() == {SkipReason.CORRUPT_RECORD.value: 1}


def test_a_packet_of_an_undeclared_interface_is_skipped(tmp_path: Path) -> None:
    interfaces = [PcapngInterface()]
    stray = ng.EnhancedPacketBlockLE(iface_id=3, ts_high=0, ts_low=1, pkt_data=b"x")
    path = tmp_path / "stray.pcapng"
    path.write_bytes(
        pcapng_section(interfaces) + bytes(stray) + pcapng_packet(interfaces, 0, 1.0, b"y")
    )
    source = PcapSource(path)
    assert [record.frame for record in source] == [b"y"]
    assert source.skips.nonzero() == {SkipReason.UNKNOWN_INTERFACE.value: 1}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html>", "is not a pcap or pcapng file (first bytes 3c 21 44 4f"),
        (b"", "is not a pcap or pcapng file (first bytes none)"),
        (bytes.fromhex("d4c3b2a102000400"), "ends inside its capture file header (8 of 24"),
        (bytes.fromhex("0a0d0d0a1c000000"), "ends inside its capture file header (8 of 12"),
    ],
    ids=["html", "empty", "cut-pcap-header", "cut-pcapng-header"],
)
def test_a_file_that_is_no_capture_is_refused_clearly(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "not-a-capture.pcap"
    path.write_bytes(content)
    with pytest.raises(NotACaptureError, match=r"not-a-capture\.pcap") as refused:
        PcapSource(path)
    assert message in str(refused.value)
    assert "tcpdump, tshark or meeseeks" in str(refused.value)


def test_a_missing_file_is_a_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="cannot open capture"):
        PcapSource(tmp_path / "nowhere.pcap")


def test_fcs_flag_bits_of_the_link_type_are_masked() -> None:
    records = list(read_capture(PCAP_DIR / "tcpdump" / "gre-heapoverflow-1.pcap"))
    assert [record.linktype for record in records] == [LinkType.ETHERNET] * 2


def test_written_syns_decode_with_exact_timestamps(tmp_path: Path) -> None:
    frames = [
        mirror_frame(tcp_frame("10.0.0.1", "10.0.0.2", 1000 + n, 80), session=n, sequence=n)
        for n in range(50)
    ]
    stamps = [Decimal(1_700_000_000) + Decimal(n) / 7 for n in range(50)]
    path = tmp_path / "syns.pcapng"
    write_pcapng(
        path, [PcapngInterface(tsresol=9)], [(0, s, f) for s, f in zip(stamps, frames, strict=True)]
    )
    decoder = Decoder()
    events = [decoder.decode_frame(r.frame, r.ts, r.linktype) for r in read_capture(path)]
    assert [(e.sport, e.session) for e in events if e] == [(1000 + n, n) for n in range(50)]
    assert [round(e.ts, 6) for e in events if e] == [round(float(s), 6) for s in stamps]
