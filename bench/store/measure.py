"""One repeat of the store benchmark: batches over the whole stream, then single rows, same file.

Batches: a fresh SQLite file (the default backend, WAL, synchronous=FULL) takes the estate's
whole stream in batches of ``batch``, one transaction each. Single rows: on that full store,
``sample`` fresh edge updates, one ``apply_change`` (one transaction, one fsync) each; the
same number of other fresh updates are then batched on the same store, so the two paths are
also compared on identical work. Times are wall clock (``perf_counter``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench.store.workload import Estate, updates
from models.graph_change import GraphChange
from sinks.sqlite_store import SqliteGraphStore


@dataclass(frozen=True, slots=True)
class Repeat:
    """Changes per second of each path in one repeat."""

    stream_changes: int
    stream_batched_per_s: float
    single_per_s: float
    sample_batched_per_s: float
    file_bytes: int


def run_repeat(
    estate: Estate, changes: list[GraphChange], folder: Path, batch: int, sample: int
) -> Repeat:
    path = folder / "graph.sqlite"
    for leftover in folder.glob("graph.sqlite*"):
        leftover.unlink()
    with SqliteGraphStore(path) as store:
        started = time.perf_counter()
        for index in range(0, len(changes), batch):
            store.apply_changes(changes[index : index + batch])
        batched = len(changes) / (time.perf_counter() - started)
        fresh = updates(estate, 2 * sample, changes[-1].at)
        singles, batches = fresh[:sample], fresh[sample:]
        started = time.perf_counter()
        for change in singles:
            store.apply_change(change)
        single = sample / (time.perf_counter() - started)
        started = time.perf_counter()
        for index in range(0, sample, batch):
            store.apply_changes(batches[index : index + batch])
        sample_batched = sample / (time.perf_counter() - started)
    size = sum(os.path.getsize(part) for part in folder.glob("graph.sqlite*"))
    return Repeat(len(changes), batched, single, sample_batched, size)
