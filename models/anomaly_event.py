"""The message of the anomalies topic, read back: a transition, its event time and the record.

The stream writes ``{"v": 1, "transition", "at", "anomaly"}`` (``streams.records.anomaly_event``);
readers such as the graph view need it checked and typed before they act on it, and need to
refuse a message from another version with a reason rather than a ``KeyError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from models.anomaly_record import Anomaly, AnomalyRecordError
from models.anomaly_tracker import TransitionKind

EVENT_VERSION = 1


@dataclass(frozen=True, slots=True)
class AnomalyEvent:
    """One raise, severity update or resolution of one anomaly."""

    transition: TransitionKind
    """Raised, updated or resolved."""
    at: float
    """Event time of the evaluation that caused it, epoch seconds."""
    anomaly: Anomaly
    """The new record (raised, updated) or the last raised one (resolved)."""

    def to_dict(self) -> dict[str, Any]:
        """The topic's JSON form."""
        return {
            "v": EVENT_VERSION,
            "transition": self.transition.value,
            "at": self.at,
            "anomaly": self.anomaly.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> AnomalyEvent:
        """Read ``to_dict`` output; anything else raises ``AnomalyRecordError`` with the reason."""
        if not isinstance(data, dict):
            raise AnomalyRecordError(f"an anomaly event must be a JSON object, not {data!r:.120}")
        if data.get("v") != EVENT_VERSION:
            raise AnomalyRecordError(
                f"anomaly event version {data.get('v')!r:.40} is not {EVENT_VERSION}; "
                "upgrade this reader"
            )
        try:
            transition = TransitionKind(data["transition"])
            at, record = data["at"], data["anomaly"]
        except (KeyError, ValueError, TypeError) as exc:
            raise AnomalyRecordError(f"not an anomaly event: {exc!r:.200}") from exc
        if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
            raise AnomalyRecordError(f"anomaly event 'at' must be a finite number, not {at!r:.40}")
        if not isinstance(record, dict):
            raise AnomalyRecordError("anomaly event 'anomaly' must be an object")
        return cls(transition, float(at), Anomaly.from_dict(record))
