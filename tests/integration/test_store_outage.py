"""Fault: the graph store is unavailable for 30 seconds while the sink runs.

The outage is real, not simulated: another connection holds SQLite's exclusive lock on the
store's file for 30 s, so every write of the sink waits out the busy timeout and fails. The
sink must keep its batch, back off, retry, and end with the store of an undisturbed run.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bench.sink.topic import publish
from sinks.sqlite_store import SqliteGraphStore

from .test_graph_sink import messages, settings_for, sink_into, snapshot

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 30.0


def hold_exclusive_lock(path: Path, locked: threading.Event, seconds: float) -> None:
    """Lock the database file against every other connection for ``seconds``."""
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(seconds)
        holder.execute("COMMIT")
    finally:
        holder.close()


async def test_the_store_down_for_30_seconds_loses_nothing(
    kafka_bootstrap: str, topic_name: str, tmp_path: Path
) -> None:
    await publish(kafka_bootstrap, topic_name, messages(), partitions=4)
    settings = settings_for(kafka_bootstrap, topic_name)
    with SqliteGraphStore(tmp_path / "reference.sqlite") as reference:
        await sink_into(settings, reference, f"{topic_name}-reference")
        expected = snapshot(reference)

    path = tmp_path / "locked.sqlite"
    with SqliteGraphStore(path) as store:
        locked = threading.Event()
        holder = threading.Thread(
            target=hold_exclusive_lock, args=(path, locked, OUTAGE_SECONDS), daemon=True
        )
        holder.start()
        assert await asyncio.to_thread(locked.wait, 10), "could not take the SQLite lock"
        started = time.monotonic()
        sink = await sink_into(settings, store, f"{topic_name}-sink")
        took = time.monotonic() - started
        await asyncio.to_thread(holder.join, 10)
        assert sink.retries >= 1, "the sink never saw the outage"
        assert took >= OUTAGE_SECONDS - 1, f"the sink finished in {took:.1f}s, inside the outage"
        assert snapshot(store) == expected
