"""Record batches for the changelog and graph changes, the edge table's writes, the partitioner."""

from __future__ import annotations

import asyncio
import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

import faust
import pytest
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.structs import RecordMetadata, TopicPartition
from faust.types import TP

from streams.batch_producer import BatchProducer
from streams.due_index import DueIndex
from streams.edge_table import EdgeTable, decode_key, encode_key
from streams.partitioning import murmur2, partition_of


@dataclass
class FakeProducer:
    """The part of AIOKafkaProducer the batch producer uses, with real record batches."""

    batch_size: int = 200
    sent: list[tuple[str, int, list[bytes]]] = field(default_factory=list)
    futures: list[asyncio.Future[Any]] = field(default_factory=list)

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(self.batch_size, 0, is_transactional=False)

    async def send_batch(self, batch: BatchBuilder, topic: str, *, partition: int) -> Any:
        values = [record.value for record in _records(batch)]
        self.sent.append((topic, partition, values))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}


def _records(batch: BatchBuilder) -> list[Any]:
    from aiokafka.record.default_records import DefaultRecordBatch

    return list(DefaultRecordBatch(bytes(batch._builder.build())))


async def test_records_go_out_in_order_in_as_few_batches_as_fit() -> None:
    producer = FakeProducer(batch_size=200)
    sender = BatchProducer(lambda: producer)
    records = [(f"k{n}".encode(), f"value-{n:03d}".encode() * 3) for n in range(20)]

    sent = await sender.send("changes", 2, records)

    assert len(sent) == len(producer.sent) > 1  # 20 records of ~40 bytes: several batches
    assert [topic_partition[:2] for topic_partition in producer.sent] == [("changes", 2)] * len(
        sent
    )
    assert [v for _, _, values in producer.sent for v in values] == [v for _, v in records]
    assert [s.records for s in sent] == [len(values) for _, _, values in producer.sent]
    assert await sender.partition_count("changes") == 3
    assert await sender.send("changes", 0, []) == []


def test_only_at_least_once_apps_batch_their_records() -> None:
    plain = faust.App("batch-test-alo", autodiscover=False)
    assert isinstance(BatchProducer.for_app(plain), BatchProducer)
    transactional = faust.App(
        "batch-test-eos", autodiscover=False, processing_guarantee="exactly_once"
    )
    assert BatchProducer.for_app(transactional) is None


def test_murmur2_is_kafkas() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 70)))
        assert murmur2(data) == aiokafka_murmur2(data)
    # Java client values (Utils.murmur2 & 0x7fffffff) % 4 that the stream has always used.
    assert [partition_of(name, 4) for name in ("api", "db", "web")] == [
        (aiokafka_murmur2(name.encode()) & 0x7FFFFFFF) % 4 for name in ("api", "db", "web")
    ]


@pytest.mark.parametrize(
    "key", ["web|api|8080", "unattributed:fe80::1|db|5432", "caf\u00e9|x|1", 'q"x|y|2', "a\\b|c|3"]
)
def test_keys_are_the_bytes_fausts_json_key_serializer_wrote(key: str) -> None:
    # Tables written before kept str keys through Faust's JSON serializer, which was the
    # standard library's (ASCII-escaped) before orjson was installed; Faust now uses orjson,
    # which writes the same bytes for ASCII keys.
    assert encode_key(key) == json.dumps(key).encode()
    if key.isascii():
        app = faust.App("edge-table-keys", autodiscover=False)
        assert encode_key(key) == app.serializers.dumps_key(str, key, serializer="json")
    assert decode_key(encode_key(key)) == key


class FakeStore(dict[bytes, bytes]):
    def __init__(self) -> None:
        super().__init__()
        self.persisted: dict[TP, int] = {}

    def set_persisted_offset(self, tp: TP, offset: int) -> None:
        self.persisted[tp] = offset


class FakeTable(dict[bytes, bytes]):
    """A Faust table's surface: the mapping, its store and its changelog topic."""

    def __init__(self) -> None:
        super().__init__()
        self.data = FakeStore()
        self.changelog_topic = faust.App("edge-table-test", autodiscover=False).topic(
            "t-edges-changelog"
        )


async def test_writes_reach_the_store_at_once_and_the_changelog_when_flushed() -> None:
    table, producer = FakeTable(), FakeProducer(batch_size=10_000)
    edges = EdgeTable(table, BatchProducer(lambda: producer))  # type: ignore[arg-type]
    value = {"s": {"v": 1}, "a": {"0": 4}}

    edges.update({"web|api|8080": value, "api|db|5432": {"s": {}, "a": {}}})

    assert json.loads(table.data[b'"web|api|8080"']) == value
    assert producer.sent == []
    await edges.flush(3)
    ((topic, partition, values),) = producer.sent
    assert (topic, partition) == ("t-edges-changelog", 3)
    assert [json.loads(v) for v in values] == [value, {"s": {}, "a": {}}]
    # The store learns how far the changelog holds its writes once the batch is delivered.
    producer.futures[0].set_result(
        RecordMetadata("t-edges-changelog", 3, TopicPartition("t-edges-changelog", 3), 40, 0, 0, 0)
    )
    await asyncio.sleep(0)
    assert table.data.persisted == {TP("t-edges-changelog", 3): 41}
    await edges.flush(3)  # nothing new
    assert len(producer.sent) == 1


def test_without_batches_writes_go_through_the_table_and_reads_decode() -> None:
    table = FakeTable()
    edges = EdgeTable(table, None)  # type: ignore[arg-type]
    edges["web|api|8080"] = {"s": {"v": 1}, "a": {}}
    assert table == {b'"web|api|8080"': b'{"s":{"v":1},"a":{}}'}
    assert edges.get("web|api|8080") == {"s": {"v": 1}, "a": {}}
    assert edges.get("nope") is None
    assert dict(edges.items()) == {"web|api|8080": {"s": {"v": 1}, "a": {}}}
    assert list(edges) == ["web|api|8080"]
    assert len(edges) == 1
    with pytest.raises(KeyError):
        edges["nope"]
    with pytest.raises(TypeError, match="never deleted"):
        del edges["web|api|8080"]


def test_the_due_index_pops_earliest_first_a_limited_number_at_a_time() -> None:
    index = DueIndex()
    for at, key in [(130.0, "b"), (70.0, "a"), (130.0, "c"), (70.0, "d"), (math.inf, "never")]:
        index.push(at, key)
    assert len(index) == 4  # nothing is due at infinity
    assert not index.due(69.0)
    assert index.pop(69.0, 10) == []
    assert index.pop(200.0, 3) == [(70.0, "a"), (70.0, "d"), (130.0, "b")]
    assert index.due(130.0)
    index.push(100.0, "e")
    assert index.pop(200.0, 10) == [(100.0, "e"), (130.0, "c")]
    assert not index.due(1e18)
    assert len(index) == 0
