"""The graph sink against the real broker and the real SQLite store.

Replaying the topic (a new consumer group, the same or a fresh store) gives identical store
contents; a store outage in the middle of the stream, with the sink stopped and restarted
during it, loses nothing.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bench.sink.topic import Message, change_messages, publish
from bench.store.workload import Estate, stream
from config.settings import Settings, load_settings
from models.graph_change import ChangeType, EntityKind, GraphChange
from sinks.errors import StoreUnavailableError
from sinks.graph_sink import GraphSink, run_sink
from sinks.metrics import SinkMetrics
from sinks.sqlite_store import SqliteGraphStore

pytestmark = pytest.mark.integration

ESTATE = Estate(services=120, edges=400, seed=7)
BAD: list[Message] = [
    (b"junk", b"not json"),
    (b"tombstone", None),
    (b"old", b'{"v": 0, "kind": "node"}'),
]


def changes() -> list[GraphChange]:
    """The estate's stream, then every tenth edge stale and every twentieth back again."""
    base = stream(ESTATE)
    edges = [c for c in base if c.kind is EntityKind.EDGE and c.change is ChangeType.UPDATED]
    last = max(c.at for c in base)
    later: list[GraphChange] = []
    for index, change in enumerate(edges[::10]):
        stale = {**change.payload, "status": "stale"}
        later.append(
            GraphChange(EntityKind.EDGE, ChangeType.STALE, change.key, last + 1 + index, stale)
        )
    for index, change in enumerate(edges[::20]):
        back = {**change.payload, "attempts": 999}
        at = last + 1000 + index
        later.append(GraphChange(EntityKind.EDGE, ChangeType.REACTIVATED, change.key, at, back))
    return base + later


def messages() -> list[Message]:
    out = change_messages(changes())
    for offset, bad in enumerate(BAD):  # spread the malformed ones through the stream
        out.insert(len(out) // (len(BAD) + 1) * (offset + 1), bad)
    return out


def snapshot(store: SqliteGraphStore) -> dict[str, Any]:
    return {"nodes": store.nodes(), "edges": store.edges(), "clusters": store.clusters()}


def settings_for(bootstrap: str, topic: str) -> Settings:
    return load_settings(
        kafka_bootstrap=bootstrap,
        graph_changes_topic=topic,
        sink_batch_changes=100,
        sink_batch_wait_ms=50,
        sink_retry_max_backoff_s=0.2,
    )


async def sink_into(
    settings: Settings, store: Any, group: str, stop: asyncio.Event | None = None
) -> GraphSink:
    return await asyncio.wait_for(
        run_sink(
            settings,
            store,
            stop or asyncio.Event(),
            group_id=group,
            until_caught_up=True,
            metrics=SinkMetrics.create(),
        ),
        timeout=90,
    )


def expected_edges(all_changes: Sequence[GraphChange]) -> dict[str, tuple[int, bool]]:
    """Per edge key: attempts and staleness of its newest change."""
    newest: dict[str, GraphChange] = {}
    for change in all_changes:
        if change.kind is EntityKind.EDGE and change.at >= newest.get(change.key, change).at:
            newest[change.key] = change
    return {key: (c.payload["attempts"], c.change is ChangeType.STALE) for key, c in newest.items()}


async def test_replaying_the_topic_changes_nothing(
    kafka_bootstrap: str, topic_name: str, tmp_path: Path
) -> None:
    await publish(kafka_bootstrap, topic_name, messages(), partitions=4)
    settings = settings_for(kafka_bootstrap, topic_name)

    with SqliteGraphStore(tmp_path / "one.sqlite") as store:
        first = await sink_into(settings, store, f"{topic_name}-a")
        once = snapshot(store)
        again = await sink_into(settings, store, f"{topic_name}-b")
        twice = snapshot(store)
    with SqliteGraphStore(tmp_path / "fresh.sqlite") as fresh:
        await sink_into(settings, fresh, f"{topic_name}-c")
        elsewhere = snapshot(fresh)

    total = len(changes())
    assert (first.written, first.skipped) == (total, len(BAD))
    assert (again.written, again.skipped) == (total, len(BAD))
    assert first.batches >= total // 100
    assert twice == once
    assert elsewhere == once
    stored = {row["key"]: (row["attempts"], row["stale"]) for row in once["edges"]}
    assert stored == expected_edges(changes())
    assert len(once["clusters"]) == ESTATE.clusters
    assert len([n for n in once["nodes"] if n["kind"] == "service"]) == ESTATE.services


class FlakyStore:
    """The real store, whose writes fail from the ``fail_from``-th call for ``failures`` calls."""

    def __init__(self, store: SqliteGraphStore, fail_from: int, failures: int) -> None:
        self.store = store
        self.fail_from = fail_from
        self.failures = failures
        self.calls = 0
        self.failed = 0
        self.on_failure: list[Any] = []
        self._lock = threading.Lock()

    def apply_changes(self, changes: Sequence[GraphChange]) -> None:
        with self._lock:
            self.calls += 1
            failing = self.calls >= self.fail_from and self.failed < self.failures
            if failing:
                self.failed += 1
        if failing:
            for callback in self.on_failure:
                callback(self.failed)
            raise StoreUnavailableError("cannot open the SQLite store: disk I/O error")
        self.store.apply_changes(changes)


async def test_a_store_outage_mid_stream_loses_nothing(
    kafka_bootstrap: str, topic_name: str, tmp_path: Path
) -> None:
    await publish(kafka_bootstrap, topic_name, messages(), partitions=4)
    settings = settings_for(kafka_bootstrap, topic_name)
    group = f"{topic_name}-sink"
    with SqliteGraphStore(tmp_path / "reference.sqlite") as reference:
        await sink_into(settings, reference, f"{topic_name}-reference")
        expected = snapshot(reference)

    with SqliteGraphStore(tmp_path / "flaky.sqlite") as real:
        flaky = FlakyStore(real, fail_from=4, failures=6)
        # The sink is stopped after the 4th failed write, in the middle of the outage ...
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        flaky.on_failure.append(lambda failed: failed == 4 and loop.call_soon_threadsafe(stop.set))
        stopped = await sink_into(settings, flaky, group, stop)
        assert stopped.retries == 4
        assert snapshot(real) != expected  # only the batches before the outage are in
        # ... and a new sink of the same group resumes from the last committed batch.
        resumed = await sink_into(settings, flaky, group)
        assert resumed.retries == 2
        assert flaky.failed == 6
        assert snapshot(real) == expected
    # Every change was written by one of the two sinks; none skipped but the malformed ones.
    assert stopped.written + resumed.written >= len(changes())
    assert stopped.skipped + resumed.skipped >= len(BAD)
