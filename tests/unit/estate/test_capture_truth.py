"""The truth counts exactly what the decoder finds in the capture: SYNs, SYN-ACKs, per port."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bench.estate.writer import CAPTURE, TRUTH
from capture.decoder import Decoder
from capture.pcap_source import PcapSource
from models.connection import Kind


def test_the_decoder_sees_every_syn_and_syn_ack_of_the_truth(tiny: Path) -> None:
    truth = json.loads((tiny / TRUTH).read_text())
    decoder = Decoder()
    source = PcapSource(tiny / CAPTURE)
    events = [
        event
        for record in source
        if (event := decoder.decode_frame(record.frame, record.ts, record.linktype)) is not None
    ]
    kinds = Counter(event.kind for event in events)
    frames = truth["frames"]
    assert source.records == frames["total"]
    assert kinds[Kind.SYN] == frames["syn"]
    assert kinds[Kind.SYN_ACK] == frames["syn_ack"]
    assert decoder.skips.nonzero() == {"not_syn": frames["other"]}
    attempts, answered = Counter[int](), Counter[int]()
    for edge in truth["edges"]:
        attempts[edge["port"]] += edge["attempts"]
        answered[edge["port"]] += edge["answered"]
    assert Counter(e.dport for e in events if e.kind is Kind.SYN) == attempts
    assert Counter(e.sport for e in events if e.kind is Kind.SYN_ACK) == +answered


def test_both_switches_and_both_address_families_are_in_the_capture(tiny: Path) -> None:
    decoder = Decoder()
    events = [
        event
        for record in PcapSource(tiny / CAPTURE)
        if (event := decoder.decode_frame(record.frame, record.ts, record.linktype)) is not None
    ]
    assert {(e.mirror, e.erspan_version, e.vlan) for e in events} == {
        ("192.0.2.1", 2, None),
        ("192.0.2.21", 3, 20),
    }
    assert {":" in e.src for e in events} == {False, True}
