"""The capture loop's path to Kafka: SYNs packed straight into wire records, no event objects.

``Decoder.decode_into`` with a batcher's packer must publish exactly the events that
``decode_frame`` returns (which the differential tests hold to the dpkt reference), count the
same skips, and write the same bytes as encoding those events.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capture.decoder import Decoder
from capture.frame_batch import FrameBatch
from capture.packets import Captured, GrePayload
from capture.reference_decoder import ReferenceDecoder
from capture.shard_batcher import ShardBatcher
from models.connection import ConnectionEvent, Kind
from models.connection_wire import encode_batch
from tests.unit.capture.capture_ground_truth import CAPTURE_IDS, CAPTURES, frames
from tests.unit.capture.test_differential import SETTINGS, TS, captured, damaged, gre

REFERENCE = ReferenceDecoder()


def packed(chunk: Sequence[Captured]) -> tuple[list[ConnectionEvent], Decoder, tuple[int, int]]:
    """The events a chunk publishes through one shard, the decoder, and its (SYN, SYN-ACK)."""
    decoder = Decoder()
    batcher = ShardBatcher(shards=1, max_events=10_000, max_delay=1.0)
    counts = decoder.decode_into(chunk, batcher.packer(0.0))
    return [event for batch in batcher.drain() for event in batch.events], decoder, counts


def check_one(chunk: Sequence[Captured], expected: object) -> None:
    events, decoder, (syn, syn_ack) = packed(chunk)
    if isinstance(expected, ConnectionEvent):
        assert events == [expected]
        assert (syn, syn_ack) == ((0, 1) if expected.kind is Kind.SYN_ACK else (1, 0))
        assert decoder.skips.total() == 0
    else:
        assert events == []
        assert (syn, syn_ack) == (0, 0)
        assert decoder.skips.nonzero() == {expected: 1}
    assert decoder.packets == 1


@SETTINGS
@given(st.one_of(captured(), captured(clean=True), damaged()))
def test_a_packed_frame_is_the_reference_event_or_skip(sample: tuple[bytes, int]) -> None:
    frame, linktype = sample
    check_one(FrameBatch(linktype, [TS], [frame]), REFERENCE.explain_frame(frame, TS, linktype))


@SETTINGS
@given(gre(clean=False), st.sampled_from(["192.0.2.9", "2001:db8::9"]))
def test_a_packed_gre_packet_is_the_reference_event_or_skip(packet: bytes, mirror: str) -> None:
    check_one([GrePayload(TS, packet, mirror)], REFERENCE.explain_gre(packet, TS, mirror))


@pytest.mark.parametrize("capture", CAPTURES, ids=CAPTURE_IDS)
def test_real_captures_publish_what_decode_frame_finds_byte_for_byte(capture: Path) -> None:
    records = frames(capture)
    by_event = Decoder()
    events = [by_event.decode_frame(r.data, r.ts, r.linktype) for r in records]
    expected = [event for event in events if event is not None]
    batcher = ShardBatcher(shards=1, max_events=10_000, max_delay=1.0)
    decoder = Decoder()
    (linktype,) = {r.linktype for r in records}  # one link type per capture here
    batch = FrameBatch(linktype, [r.ts for r in records], [r.data for r in records])
    decoder.decode_into(batch, batcher.packer(0.0))
    values = [batch.value for batch in batcher.drain()]
    assert values == ([encode_batch(expected)] if expected else [])
    assert decoder.skips.counts == by_event.skips.counts
    assert decoder.events == by_event.events
