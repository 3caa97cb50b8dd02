"""A worker process on the project's app factory consumes, updates a RocksDB table and serves it."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from config.local_kafka import free_port

from .worker_process import WorkerProcess, python_command

APP = Path(__file__).with_name("faust_counter_app.py")
WORDS = {"alpha": 7, "beta": 3, "gamma": 12}


@pytest.fixture
def counter_worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[tuple[WorkerProcess, str]]:
    topic = f"words-{uuid.uuid4().hex[:8]}"
    port = free_port()
    worker = WorkerProcess(
        command=python_command(str(APP), "worker", "-l", "info", "--web-port", str(port)),
        env={
            "COUNTER_TOPIC": topic,
            "MEESEEKS_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "MEESEEKS_APP_ID": f"counter-{uuid.uuid4().hex[:8]}",
            "MEESEEKS_DATA_DIR": str(tmp_path / "data"),
            "MEESEEKS_WEB_PORT": str(port),
            "MEESEEKS_TABLE_STORE": "rocksdb://",
            "PYTHONPATH": str(APP.parents[2]),
        },
        web_port=port,
        log_path=tmp_path / "worker.log",
    )
    worker.start()
    try:
        yield worker, topic
    finally:
        worker.stop()


async def test_worker_counts_words_and_serves_the_table(
    kafka_bootstrap: str, counter_worker: tuple[WorkerProcess, str]
) -> None:
    worker, topic = counter_worker
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for word, times in WORDS.items():
            for _ in range(times):
                await producer.send(topic, word.encode(), key=word.encode())
        await producer.flush()
    finally:
        await producer.stop()

    for word, times in WORDS.items():
        body = await worker.wait_until(
            f"/counts/{word}/", lambda b, n=times: b.get("count") == n, timeout=120
        )
        assert body == {"word": word, "count": times}
    status, body = await worker.get_json("/counts/never-sent/")
    assert (status, body) == (200, {"word": "never-sent", "count": 0})


async def test_sigkill_mid_stream_does_not_double_count(
    kafka_bootstrap: str, counter_worker: tuple[WorkerProcess, str]
) -> None:
    """Exactly-once: a worker killed with SIGKILL and restarted ends with exact counts."""
    worker, topic = counter_worker
    total = 6000
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(total):
            # Same key for all: a table key must live on the partition of the events updating it.
            await producer.send(topic, b"delta", key=b"delta")
            if i == total // 3:
                await producer.flush()
                await worker.wait_until("/counts/delta/", lambda b: b.get("count", 0) > 0)
                worker.stop(signal.SIGKILL)
                worker.start()
        await producer.flush()
    finally:
        await producer.stop()
    await worker.wait_until("/counts/delta/", lambda b: b.get("count") == total, timeout=180)
    await asyncio.sleep(5)  # a double count would show up as more than `total` by now
    status, body = await worker.get_json("/counts/delta/")
    assert (status, body) == (200, {"word": "delta", "count": total})
