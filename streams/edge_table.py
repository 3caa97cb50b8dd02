"""The edge table as the edge stage uses it: decoded values in, batched changelog records out.

The Faust table holds ``{"s": state, "a": {source: offset}}`` as compact JSON bytes under the
encoded edge key as JSON text (what Faust's JSON key serializer made of it; keys and values
are raw bytes to Faust, so it serializes nothing twice). The edge stage writes a
whole batch's values at once (``update``): each goes to the local store right away, and their
changelog records wait until ``flush`` sends them to the partition in a few Kafka batches,
instead of one Faust send per write. The agent flushes before it moves on to the next message,
and the worker's consumer flushes the producer before it commits an offset, so a committed
delta batch always has its changelog records delivered: at-least-once, as with Faust's writes.

Without a batch producer (exactly-once processing) writes go through the Faust table itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, cast

import faust
import orjson
import rocksdict
from faust.stores.base import SerializedStore
from faust.types import TP
from faust.types.stores import StoreT
from faust.types.tables import TableT

from streams.batch_producer import BatchProducer, Record

logger = logging.getLogger(__name__)


def encode_value(value: Any) -> bytes:
    """Compact JSON: the stored form of a table value."""
    return orjson.dumps(value)


def encode_key(key: str) -> bytes:
    """A key as JSON text, the bytes Faust's JSON key serializer gave ``str`` keys, so tables
    written before keep their keys. Edge keys are plain ASCII: quoting them is all JSON does."""
    data = key.encode()
    if key.isascii() and key.isprintable() and b'"' not in data and b"\\" not in data:
        return b'"' + data + b'"'
    return json.dumps(key).encode()


def decode_key(data: bytes) -> str:
    return str(json.loads(data))


class EdgeTable(MutableMapping[str, Any]):
    """Decoded view of the edge table, with per-batch writes."""

    def __init__(self, table: TableT[bytes, bytes], batches: BatchProducer | None) -> None:
        self.table = table
        self._batches = batches
        self._pending: list[Record] = []

    # -- reading -----------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        raw = self.table.get(encode_key(key))
        return default if raw is None else orjson.loads(raw)

    def __iter__(self) -> Iterator[str]:
        return (decode_key(key) for key in self.table)

    def __len__(self) -> int:
        return len(self.table)

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        """Every entry, decoded (a generator: the table may be large)."""
        for key, raw in self.table.items():
            yield decode_key(key), orjson.loads(raw)

    # -- writing -----------------------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        raise TypeError("edges are never deleted from the edge table (stale edges stay)")

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Write values (called inside the agent, for the partition of the current event)."""
        values = other if isinstance(other, dict) and not kwargs else dict(other, **kwargs)
        if self._batches is None:
            for key, value in values.items():
                self.table[encode_key(key)] = encode_value(value)
            return
        records = [(encode_key(key), encode_value(value)) for key, value in values.items()]
        self._store_locally(records)
        self._pending.extend(records)

    def _store_locally(self, records: list[tuple[bytes, bytes]]) -> None:
        """Put the records in the local store, in one RocksDB write batch where possible.

        Keys and values are raw bytes to the table, so nothing passes through Faust's
        serializer registry. The partition is the current event's, as Faust's own writes do.
        """
        store = self.table.data
        event = faust.current_event()
        partition_db = getattr(store, "_db_for_partition", None)
        if (
            event is not None
            and partition_db is not None
            and getattr(store, "use_rocksdict", False)
        ):
            batch = rocksdict.WriteBatch(raw_mode=True)
            for key, value in records:
                batch.put(key, value)
            partition_db(event.message.partition).write(batch)
            return
        put = store._set if isinstance(store, SerializedStore) else store.__setitem__
        for key, value in records:
            put(key, value)

    async def flush(self, partition: int) -> None:
        """Send the changelog records of the writes so far to ``partition`` of the changelog."""
        if not self._pending or self._batches is None:
            return
        records, self._pending = self._pending, []
        topic = self.table.changelog_topic.get_topic_name()
        tp = TP(topic, partition)
        for sent in await self._batches.send(topic, partition, records):
            sent.future.add_done_callback(self._persisted(tp, sent.records))

    def _persisted(self, tp: TP, records: int) -> Callable[[asyncio.Future[Any]], None]:
        """What Faust does per changelog record: remember in the local store how far the
        changelog is known to be in it, so recovery after a restart reads only what follows."""
        store = cast(StoreT[bytes, bytes], self.table.data)

        def done(future: asyncio.Future[Any]) -> None:
            if future.cancelled() or future.exception() is not None:
                return  # the producer fails the worker; the next start recovers from further back
            store.set_persisted_offset(tp, future.result().offset + records - 1)

        return done
