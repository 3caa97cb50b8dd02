"""The session's Kafka broker: a throwaway KRaft node, or MEESEEKS_TEST_KAFKA when set.

There is no skip here on purpose: when the broker cannot start, every integration test errors
with the reason, so CI never passes on an untested path.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.local_kafka import LocalKafka, free_port, wait_for_kafka

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a Kafka broker that answers metadata requests."""
    external = os.environ.get("MEESEEKS_TEST_KAFKA")
    if external:
        asyncio.run(wait_for_kafka(external, timeout=30))
        yield external
        return
    broker = LocalKafka(
        home=ROOT / ".kafka",
        version=os.environ.get("MEESEEKS_KAFKA_VERSION", "3.9.2"),
        port=free_port(),
        controller_port=free_port(),
        heap="512m",
        run_dir=tmp_path_factory.mktemp("kafka"),
    )
    state = broker.start()
    try:
        asyncio.run(broker.wait_ready(state))
        yield state.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def topic_name() -> str:
    """A fresh topic name, so tests sharing the session broker never see each other's data."""
    return f"test-{uuid.uuid4().hex[:12]}"
