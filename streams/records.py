"""The bytes of the stream's own topics: compact JSON of the models' versioned dict forms.

Topics carry raw bytes (Faust's ``raw`` serializer) and these functions make them, so the wire
format is the models' documented one, with no second serialization layer from Faust.
"""

from __future__ import annotations

import json
from typing import Any

from models.anomaly_record import Anomaly
from models.graph_change import GraphChange
from streams.attribution_stage import DeltaBatch

_SORTED_COMPACT = json.JSONEncoder(separators=(",", ":"), sort_keys=True)
"""One encoder for every message: ``json.dumps`` with options builds a new one per call."""


def encode_json(value: Any) -> bytes:
    """Compact JSON with sorted keys: equal values give equal bytes."""
    return _SORTED_COMPACT.encode(value).encode()


def encode_delta_batch(batch: DeltaBatch) -> bytes:
    return encode_json(batch.to_dict())


def decode_delta_batch(data: bytes) -> DeltaBatch:
    return DeltaBatch.from_dict(json.loads(data))


def encode_change(change: GraphChange) -> bytes:
    return encode_json(change.to_dict())


def decode_change(data: bytes) -> GraphChange:
    return GraphChange.from_dict(json.loads(data))


def encode_anomaly(event: dict[str, Any]) -> bytes:
    return encode_json(event)


def anomaly_event(transition: str, anomaly: Anomaly, at: float) -> dict[str, Any]:
    """The anomalies topic's message: the transition and the record that caused it."""
    return {"v": 1, "transition": transition, "at": at, "anomaly": anomaly.to_dict()}
