"""A Faust consumer that commits a source offset only after the changelog writes it caused.

faust-streaming 0.15 sends table changelog records with ``send_soon``: they wait in the
producer's buffer while the consumer's periodic commit goes ahead without them. A worker
killed in that gap restarts from the committed offset, recovers its tables from a changelog
that lacks the last writes, and the events behind those writes are never processed again:
a lost update. Flushing the producer before each commit restores the order Kafka Streams
keeps (state first, then offsets), so a restart replays every event whose effect is not in
the changelog, and the offset check in each table value makes the replay idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import faust
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP

logger = logging.getLogger(__name__)


class FlushingConsumer(aiokafka_driver.Consumer):
    """The aiokafka consumer of Faust, flushing the producer before it commits offsets."""

    async def _commit_tps(self, tps: Iterable[TP], start_new_transaction: bool) -> bool:
        # Everything sent so far (changelogs, delta batches, graph changes) is delivered, or
        # this raises and the offsets stay uncommitted: at-least-once, never at-most-once.
        await self.app.producer.flush()
        committed: bool = await super()._commit_tps(tps, start_new_transaction)
        return committed


class FlushingTransport(aiokafka_driver.Transport):
    """The aiokafka transport, with the flushing consumer."""

    Consumer = FlushingConsumer


class MeeseeksApp(faust.App):
    """A Faust app whose consumer commits only what the producer has delivered."""

    def _new_transport(self) -> Any:
        transport = super()._new_transport()
        if type(transport) is aiokafka_driver.Transport:
            return FlushingTransport(self.conf.broker_consumer, self)
        # Another driver: keep Faust's consumer, but say what that costs.
        logger.warning(
            "transport %s is not aiokafka: table writes may be lost if a worker is killed "
            "between an offset commit and the changelog flush",
            type(transport).__name__,
        )
        return transport
