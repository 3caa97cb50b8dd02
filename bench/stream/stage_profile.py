"""The worker's per-message work without Kafka or Faust, under cProfile.

``python -m bench.stream.stage_profile [--events N] [--services S] [--edges E] [--top K]``

Runs what the two agents of ``streams.topology`` run for each message, in one process:
``decode_batch``, ``AttributionStage.process``, ``encode_delta_batch`` and
``decode_delta_batch`` (the edge-deltas topic), ``EdgeStage.process`` against a dict standing
in for the table (Faust's table would also serialize each stored value to JSON for the
changelog and RocksDB: ``json.dumps`` of every stored value is added to stand for that), and
``encode_change`` for each graph change. Prints events per second and the hot spots.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.stream.workload import (
    T0,
    TICK_AFTER_SECONDS,
    build_estate,
    events,
    inventory_csv,
    messages,
    tick_events,
)
from config.inventory_file import load_inventory_file
from models.anomaly_params import AnomalyParams
from models.connection_wire import decode_batch, encode_batch
from models.edge_params import EdgeParams
from models.inventory import Inventory
from streams.attribution_stage import AttributionStage
from streams.edge_stage import EdgeStage
from streams.partitioning import partition_of
from streams.records import decode_delta_batch, encode_change, encode_delta_batch

PARTITIONS = 4


class JsonTable(dict[str, Any]):
    """A dict that serializes every stored value, as Faust's table does for its changelog."""

    def __setitem__(self, key: str, value: Any) -> None:
        json.dumps(value)
        super().__setitem__(key, value)


def run(events_count: int, services: int, edges: int, seconds: float) -> dict[str, Any]:
    estate = build_estate(services, edges)
    traffic = events(estate, events_count, seconds)
    ticks = tick_events(estate, T0 + seconds + TICK_AFTER_SECONDS)
    wire = [
        (partition_of(m.key.decode(), PARTITIONS), encode_batch(m.events))
        for m in messages(traffic, ticks)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.csv"
        path.write_text(inventory_csv(estate))
        inventory = Inventory(load_inventory_file(path))
    attribution = AttributionStage(inventory, 60.0, PARTITIONS)
    stage = EdgeStage(EdgeParams(), AnomalyParams(window_seconds=60.0), PARTITIONS)
    table = JsonTable()
    offsets = dict.fromkeys(range(PARTITIONS), 0)
    counts = {"events": 0, "deltas": 0, "changes": 0}

    def work() -> None:
        for source, value in wire:
            batch = decode_batch(value)
            counts["events"] += len(batch)
            offset = offsets[source]
            offsets[source] += 1
            per_partition, nodes = attribution.process(batch, source, offset)
            counts["changes"] += len([encode_change(change) for change in nodes])
            for partition, delta_batch in per_partition.items():
                received = decode_delta_batch(encode_delta_batch(delta_batch))
                out = stage.process(received, partition, table)
                counts["deltas"] += out.applied_deltas
                counts["changes"] += len([encode_change(change) for change in out.changes])

    profiler = cProfile.Profile()
    started = time.process_time()
    profiler.runcall(work)
    cpu = time.process_time() - started
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
    return {
        **counts,
        "messages": len(wire),
        "edges_in_table": len(table),
        "cpu_seconds_profiled": cpu,
        "events_per_cpu_second_profiled": counts["events"] / cpu,
        "profile": text.getvalue(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream.stage_profile")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--services", type=int, default=12_000)
    parser.add_argument("--edges", type=int, default=30_000)
    parser.add_argument("--seconds", type=float, default=300.0)
    args = parser.parse_args(argv)
    result = run(args.events, args.services, args.edges, args.seconds)
    print(result.pop("profile"))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
