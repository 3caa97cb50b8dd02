"""The bytes of the stream's own topics: compact JSON of the models' versioned dict forms.

Topics carry raw bytes (Faust's ``raw`` serializer) and these functions make them, so the wire
format is the models' documented one, with no second serialization layer from Faust.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from models.anomaly_record import Anomaly
from models.graph_change import GraphChange
from streams.attribution_stage import DeltaBatch


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON with sorted keys: equal values give equal bytes.

    orjson: the standard library's encoder cost more than the stream's own work per graph
    change and delta batch. Non-finite floats, which JSON cannot carry, become null (the
    models never write them: a missing watermark is None).
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def decode_json(data: bytes) -> Any:
    """Parse JSON (raises ``ValueError`` for bad input)."""
    return orjson.loads(data)


DELTA_MESSAGE_VERSION = 3
MAX_DELTAS_PER_MESSAGE = 4_000
"""About 300 kB of JSON: one delta message stays well under Kafka's default 1 MB request."""


def encode_delta_batch(batch: DeltaBatch) -> bytes:
    return encode_json(batch.to_dict())


def decode_delta_batch(data: bytes) -> DeltaBatch:
    return DeltaBatch.from_dict(orjson.loads(data))


def encode_delta_batches(batches: Sequence[DeltaBatch]) -> bytes:
    """One delta-topic message carrying the batches of several input messages, in order
    (version 3); each keeps its own source and offset, so replays are skipped batch by batch."""
    return encode_json({"v": DELTA_MESSAGE_VERSION, "batches": [b.to_dict() for b in batches]})


def decode_delta_batches(data: bytes) -> list[DeltaBatch]:
    """The batches of a delta-topic message: version 3, or one batch (versions 1 and 2)."""
    value = orjson.loads(data)
    if isinstance(value, dict) and value.get("v") == DELTA_MESSAGE_VERSION:
        return [DeltaBatch.from_dict(batch) for batch in value["batches"]]
    return [DeltaBatch.from_dict(value)]


def delta_messages(
    batches: Sequence[DeltaBatch], max_deltas: int = MAX_DELTAS_PER_MESSAGE
) -> list[list[DeltaBatch]]:
    """``batches`` cut, in order, into messages of at most ``max_deltas`` deltas (a single
    larger batch gets a message of its own)."""
    messages: list[list[DeltaBatch]] = []
    size = 0
    for batch in batches:
        if not messages or size + len(batch.deltas) > max_deltas:
            messages.append([])
            size = 0
        messages[-1].append(batch)
        size += len(batch.deltas)
    return messages


def encode_change(change: GraphChange) -> bytes:
    return encode_json(change.to_dict())


def decode_change(data: bytes) -> GraphChange:
    return GraphChange.from_dict(orjson.loads(data))


def encode_anomaly(event: dict[str, Any]) -> bytes:
    return encode_json(event)


def anomaly_event(transition: str, anomaly: Anomaly, at: float) -> dict[str, Any]:
    """The anomalies topic's message: the transition and the record that caused it."""
    return {"v": 1, "transition": transition, "at": at, "anomaly": anomaly.to_dict()}
