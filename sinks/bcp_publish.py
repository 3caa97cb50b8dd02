"""Finding events onto Kafka: every event to the findings topic, Data-DR ones also to the
DR-events topic for the backup infrastructure.

The sending itself is a callable (topic, key, value), so the worker hands in its Faust topics
and the command line an aiokafka producer; both get the same messages.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaProducer

from models.bcp_finding import DR_KINDS, FindingEvent
from models.dr_event import dr_event

Send = Callable[[str, bytes, bytes], Awaitable[Any]]
"""Send one message: topic, key, value."""


def encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


async def publish_events(
    events: Iterable[FindingEvent], send: Send, findings_topic: str, dr_topic: str
) -> tuple[int, int]:
    """Send every event; how many went to each topic (findings, DR)."""
    findings = dr = 0
    for event in events:
        finding = event.finding
        await send(findings_topic, finding.dedup_key.encode(), encode(event.to_dict()))
        findings += 1
        if finding.kind in DR_KINDS:
            await send(dr_topic, finding.subject.encode(), encode(dr_event(event)))
            dr += 1
    return findings, dr


class KafkaSender:
    """An aiokafka producer as a ``Send`` (acks=all, idempotent), for the command line."""

    def __init__(self, kafka: Mapping[str, Any]) -> None:
        self._producer = AIOKafkaProducer(**kafka, acks="all", enable_idempotence=True)

    async def __aenter__(self) -> KafkaSender:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def __call__(self, topic: str, key: bytes, value: bytes) -> None:
        await self._producer.send_and_wait(topic, value=value, key=key)
