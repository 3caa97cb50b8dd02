"""The bytes of the stream's own topics: compact JSON of the models' versioned dict forms.

Topics carry raw bytes (Faust's ``raw`` serializer) and these functions make them, so the wire
format is the models' documented one, with no second serialization layer from Faust.
"""

from __future__ import annotations

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


def encode_delta_batch(batch: DeltaBatch) -> bytes:
    return encode_json(batch.to_dict())


def decode_delta_batch(data: bytes) -> DeltaBatch:
    return DeltaBatch.from_dict(orjson.loads(data))


def encode_change(change: GraphChange) -> bytes:
    return encode_json(change.to_dict())


def decode_change(data: bytes) -> GraphChange:
    return GraphChange.from_dict(orjson.loads(data))


def encode_anomaly(event: dict[str, Any]) -> bytes:
    return encode_json(event)


def anomaly_event(transition: str, anomaly: Anomaly, at: float) -> dict[str, Any]:
    """The anomalies topic's message: the transition and the record that caused it."""
    return {"v": 1, "transition": transition, "at": at, "anomaly": anomaly.to_dict()}
