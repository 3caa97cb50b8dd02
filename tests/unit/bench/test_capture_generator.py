"""The benchmark's capture generator: the mix the issue asks for, valid frames, determinism.

The capture is decoded with the fast decoder, so these tests also prove the benchmark feeds
the decoder frames it accepts, and that the dpkt baseline finds exactly the same events.
"""

from __future__ import annotations

import struct
from pathlib import Path

import dpkt
import pytest

from bench.decode.capture_file import Manifest, cached_capture, write_capture
from bench.decode.dpkt_baseline import DpktBaseline
from capture.decoder import Decoder
from capture.packet_builder import internet_checksum
from capture.pcap_source import CaptureRecord, PcapSource
from models.connection import ConnectionEvent

PACKETS = 6000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Manifest, list[CaptureRecord]]:
    path, manifest = cached_capture(tmp_path_factory.mktemp("bench"), PACKETS, 5)
    return manifest, list(PcapSource(path))


def decoded(records: list[CaptureRecord]) -> tuple[Decoder, list[ConnectionEvent]]:
    decoder = Decoder()
    events = [e for r in records if (e := decoder.decode_frame(r.frame, r.ts, r.linktype))]
    return decoder, events


def test_the_mix_is_what_the_issue_asks_for(
    generated: tuple[Manifest, list[CaptureRecord]],
) -> None:
    manifest, records = generated
    decoder, events = decoded(records)

    assert len(records) == manifest.packets == PACKETS
    assert len(events) == manifest.events == manifest.syn + manifest.syn_ack
    assert decoder.skips.counts["not_syn"] == manifest.not_syn
    assert decoder.skips.total() == manifest.not_syn  # nothing else is skipped
    assert 0.17 < manifest.not_syn / PACKETS < 0.23  # a fifth not SYNs
    tagged = sum(1 for event in events if event.vlan is not None)
    assert 0.29 < tagged / len(events) < 0.38  # a third VLAN-tagged
    assert 0.29 < manifest.vlan_tagged / PACKETS < 0.38
    versions = {event.erspan_version for event in events}
    assert versions == {2, 3}
    assert manifest.erspan_ii > PACKETS / 3
    assert manifest.erspan_iii_subheader > PACKETS / 10
    assert manifest.erspan_ii + manifest.erspan_iii + manifest.erspan_iii_subheader == PACKETS
    assert 0 < manifest.outer_ipv6 < PACKETS / 3
    assert any(":" in event.mirror for event in events)
    assert any(":" in event.src for event in events)
    assert {event.kind.value for event in events} == {"syn", "syn-ack"}


def test_erspan_iii_frames_come_with_and_without_the_subheader(
    generated: tuple[Manifest, list[CaptureRecord]],
) -> None:
    _, records = generated
    subheader_bits = {
        erspan[11] & 0x01
        for record in records
        if (gre := dpkt.ethernet.Ethernet(record.frame).data.data).p == 0x22EB
        and (erspan := bytes(gre.data))
    }
    assert subheader_bits == {0, 1}


def test_every_inner_checksum_is_valid(generated: tuple[Manifest, list[CaptureRecord]]) -> None:
    _, records = generated
    for record in records:
        gre = dpkt.ethernet.Ethernet(record.frame).data.data
        erspan = bytes(gre.data)
        header = 8 if gre.p == 0x88BE else 20 if erspan[11] & 0x01 else 12
        inner = dpkt.ethernet.Ethernet(erspan[header:])
        packet = record.frame[-len(inner.data) :]
        if packet[0] >> 4 == 4:
            assert internet_checksum(packet[:20]) == 0
            addresses, segment = packet[12:20], packet[20:]
            pseudo = addresses + struct.pack("!xBH", 6, len(segment))
        else:
            addresses, segment = packet[8:40], packet[40:]
            pseudo = addresses + struct.pack("!IxxxB", len(segment), 6)
        assert internet_checksum(pseudo + segment) == 0


def test_the_dpkt_baseline_finds_the_same_events(
    generated: tuple[Manifest, list[CaptureRecord]],
) -> None:
    _, records = generated
    baseline = DpktBaseline()
    expected = decoded(records)[1]

    found = [e for r in records if (e := baseline.decode_frame(r.frame, r.ts, r.linktype))]

    assert found == expected
    assert baseline.packets == PACKETS


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = write_capture(tmp_path / "a.pcap", 500, 9)
    again = write_capture(tmp_path / "b.pcap", 500, 9)
    other = write_capture(tmp_path / "c.pcap", 500, 10)

    assert first == again
    assert (tmp_path / "a.pcap").read_bytes() == (tmp_path / "b.pcap").read_bytes()
    assert (tmp_path / "a.pcap").read_bytes() != (tmp_path / "c.pcap").read_bytes()
    assert other.packets == 500
    assert first.bytes == (tmp_path / "a.pcap").stat().st_size


def test_a_cached_capture_is_reused(tmp_path: Path) -> None:
    path, manifest = cached_capture(tmp_path, 300, 2)
    stamp = path.stat().st_mtime_ns

    again_path, again = cached_capture(tmp_path, 300, 2)

    assert (again_path, again) == (path, manifest)
    assert path.stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob("*.partial"))
