"""Builds the aiokafka producer of `meeseeks capture` from the settings.

Durability first: ``acks="all"`` with idempotence, so a broker failover neither loses nor
duplicates what the producer already sent. Compression: aiokafka implements lz4, zstd and
snappy through the optional ``cramjam`` package and gzip through the standard library, so
``auto`` uses zstd when cramjam is installed and gzip otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.codec import has_lz4, has_snappy, has_zstd

from capture.errors import CaptureError
from capture.kafka_publisher import Producer
from config.kafka_security import kafka_client_options
from config.settings import Settings
from models.connection_wire import encoded_size

_AVAILABLE: dict[str, Callable[[], bool]] = {
    "gzip": lambda: True,
    "lz4": has_lz4,
    "zstd": has_zstd,
    "snappy": has_snappy,
}
# aiokafka's request limit; one message must fit a request with room for its framing.
_MAX_REQUEST_BYTES = 1024 * 1024
_PARTITION_BATCH_BYTES = 512 * 1024
"""aiokafka's record batch per partition: tens of messages, half the broker's default limit.

aiokafka keeps one open batch per partition; a send that finds it full waits for it to be
sent, and every such send wakes up each time any batch leaves. With batches of a few messages
(the 139 KB of before), those wake-ups cost more CPU than compressing and sending: in
`make bench-decode`, publishing 1,562 ready messages took 0.46 CPU s, and 0.23 s with 512 KiB
batches. A bigger batch also compresses better. The first message of a batch always fits.
"""


class ProducerSettingsError(CaptureError):
    """The Kafka producer cannot be built from these settings."""


def compression_type(choice: str) -> str | None:
    """The aiokafka ``compression_type`` for a ``capture_compression`` setting."""
    if choice == "none":
        return None
    if choice == "auto":
        # aiokafka compresses lz4 at level 9, which cost publishing more than decoding in
        # `make bench-decode`; zstd at Kafka's default level 3 is faster and smaller.
        if has_zstd():
            return "zstd"
        return "lz4" if has_lz4() else "gzip"
    if not _AVAILABLE[choice]():
        raise ProducerSettingsError(
            f"MEESEEKS_CAPTURE_COMPRESSION={choice} needs the cramjam package "
            "(pip install cramjam); or choose auto, gzip or none"
        )
    return choice


def producer_factory(settings: Settings) -> Callable[[], Producer]:
    """A function making fresh producers: the publisher replaces one that broke."""
    compression = compression_type(settings.capture_compression)
    message_bytes = encoded_size(settings.capture_batch_events)
    if message_bytes + 4096 > _MAX_REQUEST_BYTES:
        raise ProducerSettingsError(
            f"MEESEEKS_CAPTURE_BATCH_EVENTS={settings.capture_batch_events} makes "
            f"{message_bytes}-byte messages, over Kafka's 1 MiB request limit; lower it"
        )

    kafka = kafka_client_options(settings)  # checked here: a bad setting fails at start

    def new_producer() -> Producer:
        producer: Producer = AIOKafkaProducer(
            **kafka,
            client_id="meeseeks-capture",
            acks="all",
            enable_idempotence=True,
            compression_type=compression,
            linger_ms=settings.capture_linger_ms,
            max_batch_size=_PARTITION_BATCH_BYTES,
            max_request_size=_MAX_REQUEST_BYTES,
            request_timeout_ms=settings.capture_request_timeout_ms,
        )
        return producer

    return new_producer
