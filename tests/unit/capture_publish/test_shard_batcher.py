"""Sharding by server address and batching by size or age, with a fake clock."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capture.shard_batcher import ShardBatcher, server_address, shard_key, shard_of, shard_of_key
from models.connection import ConnectionEvent, Kind
from models.connection_wire import address_key, decode_batch
from tests.unit.capture_publish.samples import make_event
from tests.unit.capture_publish.test_connection_wire import events


def test_server_is_syn_destination_and_syn_ack_source() -> None:
    assert server_address(make_event(server="10.9.9.9")) == "10.9.9.9"
    assert server_address(make_event(server="10.9.9.9", kind=Kind.SYN_ACK)) == "10.9.9.9"


def test_syn_and_syn_ack_of_one_server_share_a_shard() -> None:
    batcher = ShardBatcher(shards=64, max_events=2, max_delay=1.0)
    assert batcher.add(make_event(server="10.1.2.3"), now=0.0) is None
    batch = batcher.add(make_event(server="10.1.2.3", kind=Kind.SYN_ACK), now=0.0)
    assert batch is not None
    assert len(batch.events) == 2
    assert batch.shard == shard_of("10.1.2.3", 64)
    assert batch.key == str(batch.shard).encode()


def test_shard_is_stable_and_spreads() -> None:
    # CRC-32 of the 16-byte form: the same on every host and across restarts.
    assert shard_of("10.0.0.2", 64) == shard_of("10.0.0.2", 64)
    assert shard_of("::ffff:10.0.0.2", 64) == shard_of("10.0.0.2", 64)
    shards = {shard_of(f"10.0.{i // 256}.{i % 256}", 64) for i in range(2000)}
    assert len(shards) == 64
    assert shard_key(7) == b"7"


def test_full_batch_leaves_at_max_events() -> None:
    batcher = ShardBatcher(shards=1, max_events=3, max_delay=10.0)
    results = [batcher.add(make_event(sport=p), now=0.0) for p in range(7)]
    full = [r for r in results if r is not None]
    assert [len(b.events) for b in full] == [3, 3]
    assert [e.sport for e in full[1].events] == [3, 4, 5]
    assert batcher.pending_events == 1


def test_batch_falls_due_after_max_delay_from_its_oldest_event() -> None:
    batcher = ShardBatcher(shards=1, max_events=100, max_delay=0.2)
    batcher.add(make_event(sport=1), now=10.0)
    batcher.add(make_event(sport=2), now=10.15)
    assert batcher.next_deadline() == pytest.approx(10.2)
    assert batcher.due(10.19) == []
    (batch,) = batcher.due(10.2)
    assert [e.sport for e in batch.events] == [1, 2]
    assert batcher.next_deadline() is None
    assert batcher.pending_events == 0


def test_drain_returns_everything_once() -> None:
    batcher = ShardBatcher(shards=8, max_events=100, max_delay=1.0)
    for i in range(50):
        batcher.add(make_event(server=f"10.0.0.{i}"), now=0.0)
    drained = batcher.drain()
    assert sum(len(b.events) for b in drained) == 50
    assert len({b.shard for b in drained}) == len(drained)
    assert batcher.drain() == []


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="shards"):
        ShardBatcher(shards=0, max_events=1, max_delay=1.0)


def fields(event: ConnectionEvent, mirror_as_text: bool) -> tuple[Any, ...]:
    """The raw fields the fast decoder hands its factory for ``event``."""
    tcp_flags = 0x12 if event.kind is Kind.SYN_ACK else 0x02
    mirror = event.mirror if mirror_as_text else address_key(event.mirror)
    return (
        event.ts, address_key(event.src), event.sport, address_key(event.dst), event.dport,
        tcp_flags, event.vlan, event.erspan_version, event.erspan_vlan, event.session, mirror,
    )  # fmt: skip


@given(st.lists(events, max_size=60), st.booleans())
def test_packed_fields_make_the_same_batches_as_events(
    batch: list[ConnectionEvent], mirror_as_text: bool
) -> None:
    by_event = ShardBatcher(shards=4, max_events=7, max_delay=1.0)
    by_fields = ShardBatcher(shards=4, max_events=7, max_delay=1.0)
    full_by_event = by_event.add_all(batch, 0.0)
    pack = by_fields.packer(0.0)
    said_syn_ack = [pack(*fields(event, mirror_as_text)) for event in batch]
    full_by_fields = by_fields.take_full()
    assert said_syn_ack == [1 if event.kind is Kind.SYN_ACK else 0 for event in batch]
    assert [(b.shard, b.value) for b in full_by_fields] == [
        (b.shard, b.value) for b in full_by_event
    ]
    assert by_fields.pending_events == by_event.pending_events
    rest = [(b.shard, b.value) for b in by_fields.drain()]
    assert rest == [(b.shard, b.value) for b in by_event.drain()]
    published = [e for b in full_by_fields for e in b.events] + [
        e for _, value in rest for e in decode_batch(value)
    ]
    assert sorted(map(repr, published)) == sorted(map(repr, batch))  # each event once


def test_a_decoder_key_lands_on_its_address_shard() -> None:
    for text in ("10.1.2.3", "2001:db8::7", "::ffff:10.1.2.3"):
        assert shard_of_key(address_key(text), 64) == shard_of(text, 64)
