"""A throwaway single-node broker for the publish measurement, started and always stopped.

It runs from the jars ``make kafka-jars`` fetched into .kafka/, on free ports and in a
temporary directory, so it never touches a developer's `make kafka-up` broker or its data.
The benchmark starts it only after the decode-only runs, so an idle JVM cannot slow those.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from config.local_kafka import LocalKafka, free_port

log = logging.getLogger(__name__)


@contextmanager
def throwaway_broker(root: Path) -> Iterator[str]:
    """Bootstrap address of a fresh broker; stopped and deleted on exit."""
    run_dir = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    broker = LocalKafka(
        home=root / ".kafka",
        version=os.environ.get("MEESEEKS_KAFKA_VERSION", "3.9.2"),
        port=free_port(),
        controller_port=free_port(),
        run_dir=run_dir,
    )
    try:
        state = broker.start()
        asyncio.run(broker.wait_ready(state))
        log.info("benchmark broker ready on %s", state.bootstrap)
        yield state.bootstrap
    finally:
        broker.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """Create the topic up front, so the timed run does not wait for auto-creation."""

    async def create() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, partitions, replication_factor=1)])
        finally:
            await admin.close()

    asyncio.run(create())
