"""Times the graph sink from a loaded graph-changes topic into a fresh store, three ways.

- ``read only``: the sink with a store that accepts and keeps nothing: Kafka, decoding and
  commits, the ceiling the store's cost is measured against;
- ``sink, SQLite``: the sink as shipped (its batch size and wait) into a fresh SQLite file;
- ``one change per batch``: the same sink with batches of one change (a transaction and an
  offset commit per change), on the first ``single_changes`` changes only, because it is slow.

Each is repeated ``repeats`` times with a new consumer group (and a new SQLite file); the
median run counts. Timing runs from the sink's start until it has committed the topic's end.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.sink.topic import change_messages, publish
from bench.store.workload import Estate, stream
from config.settings import Settings, load_settings
from models.graph_change import GraphChange
from sinks.graph_sink import run_sink
from sinks.metrics import SinkMetrics
from sinks.sqlite_store import SqliteGraphStore

PARTITIONS = 4


@dataclass(frozen=True)
class Options:
    services: int = 12_000
    edges: int = 30_000
    batch_changes: int = 2000
    batch_wait_ms: int = 500
    single_changes: int = 3000
    repeats: int = 3
    seed: int = 1


class NullStore:
    """Accepts every batch and keeps nothing: what the sink costs without a store."""

    def apply_changes(self, changes: Sequence[GraphChange]) -> None:
        return None


def run(bootstrap: str, options: Options) -> dict[str, Any]:
    """Load the topics, then time each way ``options.repeats`` times."""
    changes = stream(Estate(options.services, options.edges, options.seed))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    topic, head = f"bench-sink-{stamp}", f"bench-sink-{stamp}-head"
    started = time.perf_counter()
    asyncio.run(publish(bootstrap, topic, change_messages(changes), PARTITIONS))
    head_changes = changes[: options.single_changes]
    asyncio.run(publish(bootstrap, head, change_messages(head_changes), PARTITIONS))
    load_s = time.perf_counter() - started
    base = load_settings(
        kafka_bootstrap=bootstrap,
        sink_batch_changes=options.batch_changes,
        sink_batch_wait_ms=options.batch_wait_ms,
    )
    read = _sink(base, topic, "read", options.repeats, sqlite=False)
    batched = _sink(base, topic, "sqlite", options.repeats, sqlite=True)
    single_settings = load_settings(**{**base.model_dump(), "sink_batch_changes": 1})
    single = _sink(single_settings, head, "single", options.repeats, sqlite=True)
    return {
        "date": time.time(),
        "options": options.__dict__,
        "changes": len(changes),
        "load_s": load_s,
        "read_only": read,
        "sink_sqlite": batched,
        "one_per_batch": single,
        "batched_over_single": batched["changes_per_s"] / single["changes_per_s"],
    }


def _sink(
    settings: Settings, topic: str, label: str, repeats: int, *, sqlite: bool
) -> dict[str, Any]:
    runs = []
    for attempt in range(repeats):
        settings_here = load_settings(**{**settings.model_dump(), "graph_changes_topic": topic})
        group = f"{topic}-{label}-{attempt}"
        with tempfile.TemporaryDirectory(prefix="bench-sink-") as folder:
            runs.append(asyncio.run(_timed(settings_here, group, Path(folder), sqlite=sqlite)))
    median = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {
        "runs": runs,
        "seconds": median["seconds"],
        "written": median["written"],
        "changes_per_s": median["written"] / median["seconds"],
        "batches": median["batches"],
        "store_share": median["store_write_s"] / median["seconds"],
        "join_s": statistics.median(r["join_s"] for r in runs),
    }


async def _timed(settings: Settings, group: str, folder: Path, *, sqlite: bool) -> dict[str, Any]:
    metrics = SinkMetrics.create()
    store: Any = SqliteGraphStore(folder / "graph.sqlite") if sqlite else NullStore()
    started = time.perf_counter()
    try:
        sink = await run_sink(
            settings, store, asyncio.Event(), group_id=group, until_caught_up=True, metrics=metrics
        )
    finally:
        if sqlite:
            store.close()
    ended = time.perf_counter()
    first = sink.first_records_at if sink.first_records_at is not None else ended
    # Timed from the first records: a new group's join (the broker's initial rebalance
    # delay, 3 s by default) is the same for every way and says nothing about the sink.
    seconds = ended - first
    write_s = metrics.registry.get_sample_value("meeseeks_sink_write_seconds_sum") or 0.0
    return {
        "seconds": seconds,
        "join_s": first - started,
        "written": sink.written,
        "skipped": sink.skipped,
        "batches": sink.batches,
        "store_write_s": write_s,
        "size_bytes": (folder / "graph.sqlite").stat().st_size if sqlite else None,
    }
