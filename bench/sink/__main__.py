"""``make bench-sink``: ``python -m bench.sink [--services N] [--edges N] [--quick]``.

Loads a production-size graph-change stream onto a throwaway broker, times the graph sink
writing it into a fresh SQLite store (and, as baselines, reading it into no store and writing
one change per batch), prints the table and saves the figures in bench/out/.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.decode.broker import throwaway_broker
from bench.sink.runner import Options, run

ROOT = Path(__file__).resolve().parents[2]


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sink",
        description="Graph changes per second from the graph-changes topic into the store.",
    )
    parser.add_argument("--services", type=int, default=12_000)
    parser.add_argument("--edges", type=int, default=30_000)
    parser.add_argument("--batch-changes", type=int, default=2000, help="the sink's batch size")
    parser.add_argument("--single-changes", type=int, default=3000, help="one-per-batch run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tenth of the estate, 1 repeat")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    if args.quick:
        args.services, args.edges, args.single_changes, args.repeats = 1200, 3000, 500, 1
    return args


def report(results: dict[str, Any]) -> str:
    lines = [
        f"{results['changes']:,} graph changes ({results['options']['services']:,} services, "
        f"{results['options']['edges']:,} edges), 4 partitions; median of "
        f"{results['options']['repeats']} runs, timed from the first records",
        f"{'way':<26} {'changes':>9} {'batches':>8} {'seconds':>8} {'changes/s':>10} "
        f"{'store %':>8} {'join s':>7}",
    ]
    for label, key in (
        ("read only (no store)", "read_only"),
        ("sink, SQLite", "sink_sqlite"),
        ("one change per batch", "one_per_batch"),
    ):
        row = results[key]
        lines.append(
            f"{label:<26} {row['written']:>9,} {row['batches']:>8,} {row['seconds']:>8.2f} "
            f"{row['changes_per_s']:>10,.0f} {row['store_share']:>8.0%} {row['join_s']:>7.1f}"
        )
    lines.append(
        f"batched / one per batch: {results['batched_over_single']:.1f}x changes per second"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    options = Options(
        services=args.services,
        edges=args.edges,
        batch_changes=args.batch_changes,
        single_changes=args.single_changes,
        repeats=args.repeats,
    )
    with throwaway_broker(ROOT) as bootstrap:
        results = run(bootstrap, options)
    print(report(results))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(results["date"]))
    path = args.out / f"sink-bench-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
