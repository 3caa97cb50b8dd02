"""The sink's batching, commit and retry logic, with a fake consumer and a fake store."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiokafka import TopicPartition

from sinks.graph_sink import GraphSink, SinkParams
from sinks.graph_sink_records import decode_records, next_offsets
from sinks.metrics import SinkMetrics
from tests.unit.sink.fakes import (
    PARAMS,
    TOPIC,
    FakeConsumer,
    FakeRecord,
    FakeStore,
    encoded,
    node_change,
)


def sink_for(store: FakeStore, consumer: FakeConsumer, params: SinkParams = PARAMS) -> GraphSink:
    return GraphSink(store, consumer, params, SinkMetrics.create())  # type: ignore[arg-type]


def metric(sink: GraphSink, name: str, **labels: str) -> float:
    value = sink.metrics.registry.get_sample_value(name, labels)
    assert value is not None, name
    return value


async def run_until_caught_up(sink: GraphSink) -> None:
    await asyncio.wait_for(sink.run(asyncio.Event(), until_caught_up=True), timeout=10)


def tp(partition: int) -> TopicPartition:
    return TopicPartition(TOPIC, partition)


async def test_batches_are_bounded_and_committed_after_the_store_accepts() -> None:
    names = [f"svc-{i}" for i in range(7)]
    consumer = FakeConsumer({0: [encoded(node_change(n)) for n in names]})
    store = FakeStore()
    sink = sink_for(store, consumer)

    await run_until_caught_up(sink)

    assert store.batches == [names[0:3], names[3:6], names[6:7]]
    assert consumer.commits == [{tp(0): 3}, {tp(0): 6}, {tp(0): 7}]
    assert (sink.written, sink.batches, sink.skipped) == (7, 3, 0)
    assert metric(sink, "meeseeks_sink_changes_total", entity="node") == 7
    assert metric(sink, "meeseeks_sink_batches_total") == 3


async def test_a_batch_waits_for_more_changes_at_most_the_batch_wait() -> None:
    consumer = FakeConsumer({0: [encoded(node_change("a"))]})
    store = FakeStore()
    sink = sink_for(store, consumer, SinkParams(TOPIC, batch_changes=100, batch_wait_s=0.2))
    loop = asyncio.get_running_loop()
    started = loop.time()

    await run_until_caught_up(sink)

    assert store.batches == [["a"]]
    # One open-ended poll found the change; then it waited for more until the batch deadline.
    assert consumer.polls[0] == 1000
    assert 0 < max(consumer.polls[1:]) <= 200
    assert loop.time() - started >= 0.19


async def test_store_outage_is_retried_with_back_off_and_nothing_is_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    names = [f"svc-{i}" for i in range(5)]
    consumer = FakeConsumer({0: [encoded(node_change(n)) for n in names]})
    store = FakeStore(down=4)
    sink = sink_for(store, consumer)
    commits_during_outage: list[int] = []
    original = store.apply_changes

    def watch(changes: Any) -> None:
        if store.down:
            commits_during_outage.append(len(consumer.commits))
        original(changes)

    store.apply_changes = watch  # type: ignore[method-assign]

    with caplog.at_level(logging.WARNING, logger="sinks.graph_sink"):
        await run_until_caught_up(sink)

    assert store.keys() == names
    # Nothing was committed while the store was down.
    assert commits_during_outage == [0, 0, 0, 0]
    assert consumer.committed == {tp(0): 5}
    assert sink.retries == 4
    assert metric(sink, "meeseeks_sink_store_retries_total") == 4
    assert metric(sink, "meeseeks_sink_store_up") == 1
    pauses = [
        r.args[0]
        for r in caplog.records
        if "retrying in" in r.getMessage() and isinstance(r.args, tuple)
    ]
    assert pauses == [0.01, 0.02, 0.04, 0.04]  # doubling, capped at max_backoff_s


async def test_stopping_during_an_outage_commits_nothing() -> None:
    consumer = FakeConsumer({0: [encoded(node_change("a"))]})
    store = FakeStore(down=10**6)
    sink = sink_for(store, consumer)
    stop = asyncio.Event()
    original = store.apply_changes
    loop = asyncio.get_running_loop()

    def fail_then_stop(changes: Any) -> None:  # runs in a worker thread
        if store.calls >= 2:
            loop.call_soon_threadsafe(stop.set)
        original(changes)

    store.apply_changes = fail_then_stop  # type: ignore[method-assign]
    await asyncio.wait_for(sink.run(stop), timeout=5)

    assert store.calls == 3

    assert consumer.commits == []
    assert store.batches == []


async def test_malformed_messages_are_counted_skips_and_their_offsets_committed() -> None:
    values: list[bytes | None] = [
        encoded(node_change("a")),
        b"not json",
        None,
        b'{"v": 9, "kind": "node"}',
        encoded(node_change("b")),
    ]
    consumer = FakeConsumer({0: values})
    store = FakeStore()
    sink = sink_for(store, consumer, SinkParams(TOPIC, batch_changes=10, batch_wait_s=0.01))

    await run_until_caught_up(sink)

    assert store.keys() == ["a", "b"]
    assert consumer.committed == {tp(0): 5}
    assert metric(sink, "meeseeks_sink_skipped_messages_total", reason="undecodable") == 3
    assert metric(sink, "meeseeks_sink_skipped_messages_total", reason="refused") == 0


async def test_changes_the_store_refuses_are_split_off_and_skipped() -> None:
    names = [f"svc-{i}" for i in range(8)]
    consumer = FakeConsumer({0: [encoded(node_change(n)) for n in names]})
    store = FakeStore(refuse={"svc-2", "svc-7"})
    sink = sink_for(store, consumer, SinkParams(TOPIC, batch_changes=8, batch_wait_s=0.01))

    await run_until_caught_up(sink)

    # Halves until the refused ones stand alone; the rest written in order, in few writes.
    assert store.batches == [["svc-0", "svc-1"], ["svc-3"], ["svc-4", "svc-5"], ["svc-6"]]
    assert (sink.written, sink.skipped) == (6, 2)
    assert metric(sink, "meeseeks_sink_skipped_messages_total", reason="refused") == 2
    assert consumer.committed == {tp(0): 8}


async def test_offsets_per_partition_and_lag() -> None:
    consumer = FakeConsumer(
        {0: [encoded(node_change("a")), encoded(node_change("b"))], 1: [encoded(node_change("c"))]}
    )
    store = FakeStore()
    sink = sink_for(store, consumer, SinkParams(TOPIC, batch_changes=10, batch_wait_s=0.01))

    await run_until_caught_up(sink)

    assert consumer.committed == {tp(0): 2, tp(1): 1}
    assert sorted(store.keys()) == ["a", "b", "c"]
    assert metric(sink, "meeseeks_sink_lag_messages") == 0


def test_decoding_and_offsets_are_pure() -> None:
    records = [
        FakeRecord(TOPIC, 0, 5, encoded(node_change("a"))),
        FakeRecord(TOPIC, 0, 6, b"{}"),
        FakeRecord(TOPIC, 2, 9, encoded(node_change("b"))),
    ]
    batch = decode_records(records)
    assert [c.key for c in batch.changes] == ["a", "b"]
    assert batch.skipped == {"undecodable": 1}
    assert next_offsets(records) == {(TOPIC, 0): 7, (TOPIC, 2): 10}
