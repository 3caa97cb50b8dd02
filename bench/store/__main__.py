"""`make bench-store`: ``python -m bench.store [--repeats N] [--batch N] [--single-sample N]``.

Exit status 0 when batches beat single-row upserts at least 20 times on every estate.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.store.measure import run_repeat
from bench.store.report import passed, print_report, save
from bench.store.workload import Estate, stream

ROOT = Path(__file__).resolve().parents[2]


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store",
        description="Upsert rate of the SQLite graph store, batched against single rows, "
        "for the 12,000-service / 30,000-edge estate and ten times it.",
    )
    parser.add_argument("--services", type=int, default=12_000)
    parser.add_argument("--edges", type=int, default=30_000)
    parser.add_argument("--scale-factor", type=int, default=10, help="the big estate's factor")
    parser.add_argument("--skip-scale", action="store_true", help="no ten-times estate")
    parser.add_argument("--batch", type=int, default=1000, help="changes per batch")
    parser.add_argument(
        "--single-sample", type=int, default=2000, help="changes applied one per transaction"
    )
    parser.add_argument("--slices", type=int, default=10, help="runs the sample is taken in")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, help="folder for the store file (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    if (
        min(args.services, args.edges, args.batch, args.single_sample, args.slices, args.repeats)
        < 1
    ):
        parser.error("sizes must be positive")
    return args


def measure(estate: Estate, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    changes = stream(estate)
    repeats = [
        run_repeat(changes, folder, args.batch, args.single_sample, args.slices)
        for _ in range(args.repeats)
    ]
    batched = statistics.median(repeat.batched_per_s for repeat in repeats)
    single = statistics.median(repeat.single_per_s for repeat in repeats)
    return {
        "services": estate.services,
        "edges": estate.edges,
        "changes": len(changes),
        "batched_per_s": batched,
        "single_per_s": single,
        "ratio": batched / single,
        "single_stream_s": len(changes) / single,
        "batched_stream_s": len(changes) / batched,
        "file_bytes": repeats[-1].file_bytes,
        "repeats": [asdict(repeat) for repeat in repeats],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    estates = [Estate(args.services, args.edges, args.seed)]
    if not args.skip_scale:
        factor = args.scale_factor
        estates.append(Estate(args.services * factor, args.edges * factor, args.seed))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="store-bench-", dir=args.dir) as folder:
        measured = []
        for estate in estates:
            console.print(f"estate {estate.services:,} services / {estate.edges:,} edges ...")
            measured.append(measure(estate, args, Path(folder)))
    results: dict[str, Any] = {
        "date": time.time(),
        "command": "python -m bench.store " + " ".join(sys.argv[1:] if argv is None else argv),
        "options": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(args).items()
        },
        "machine": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "estates": measured,
    }
    print_report(results, console)
    console.print(f"figures: {save(results, args.out)}")
    return 0 if passed(results) else 1


if __name__ == "__main__":
    sys.exit(main())
