"""One repeat of the store benchmark: the whole stream into a fresh store, mostly in batches,
with a sample of it applied one change per transaction, timed apart.

The SQLite store (the default backend: WAL, synchronous=FULL) takes the estate's stream in
order. ``slices`` evenly spaced runs of the stream, ``sample`` changes in all, go through
``apply_change`` (one transaction, one fsync each); everything else goes through
``apply_changes`` in batches of ``batch``. Both paths thus see the same mixture of changes
(node, edge and cluster inserts and updates) against the same growing tables, in one run.
Times are wall clock (``perf_counter``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from models.graph_change import GraphChange
from sinks.sqlite_store import SqliteGraphStore


@dataclass(frozen=True, slots=True)
class Repeat:
    """What one repeat applied and how fast, in changes per second."""

    batched_changes: int
    batched_per_s: float
    single_changes: int
    single_per_s: float
    file_bytes: int


def sample_spans(total: int, sample: int, slices: int) -> list[tuple[int, int]]:
    """``slices`` (start, end) runs of about ``sample / slices`` changes, evenly spread."""
    sample = min(sample, total)
    slices = max(1, min(slices, sample))
    length = sample // slices
    step = total // slices
    return [(i * step + (step - length) // 2, i * step + (step - length) // 2 + length)
            for i in range(slices)]  # fmt: skip


def run_repeat(
    changes: list[GraphChange], folder: Path, batch: int, sample: int, slices: int
) -> Repeat:
    path = folder / "graph.sqlite"
    for leftover in folder.glob("graph.sqlite*"):
        leftover.unlink()
    batched_s = single_s = 0.0
    batched = singles = 0
    position = 0
    with SqliteGraphStore(path) as store:
        for start, end in [
            *sample_spans(len(changes), sample, slices),
            (len(changes), len(changes)),
        ]:
            began = time.perf_counter()
            for index in range(position, start, batch):
                store.apply_changes(changes[index : min(index + batch, start)])
            batched_s += time.perf_counter() - began
            batched += start - position
            began = time.perf_counter()
            for change in changes[start:end]:
                store.apply_change(change)
            single_s += time.perf_counter() - began
            singles += end - start
            position = end
        assert position == len(changes)
    size = sum(os.path.getsize(part) for part in folder.glob("graph.sqlite*"))
    return Repeat(batched, batched / batched_s, singles, singles / single_s, size)
