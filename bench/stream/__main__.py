"""`make bench-stream`: ``python -m bench.stream [--events N] [--naive-events N] ...``.

Exit status 0 when Meeseeks is at least 10 times the naive pipeline, 1 otherwise.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench.stream.report import passed, print_report, save
from bench.stream.runner import ROOT, Options, run

QUICK = {"events": 40_000, "naive_events": 5_000, "services": 1_200, "edges": 3_000,
         "queries": 10, "repeats": 1}  # fmt: skip
"""--quick: a smoke run of every step on a tenth of the estate (figures are noise)."""


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stream",
        description="Events per second from the events topic to the edge table through a "
        "throwaway broker and a real worker, against a naive Faust pipeline; worker memory "
        "and query latency at production size and ten times it.",
    )
    parser.add_argument("--events", type=int, default=500_000, help="Meeseeks' events")
    parser.add_argument("--naive-events", type=int, default=50_000, help="the naive run's events")
    parser.add_argument("--services", type=int, default=12_000, help="production estate size")
    parser.add_argument("--edges", type=int, default=30_000, help="production edge count")
    parser.add_argument("--scale-factor", type=int, default=10, help="the big estate's factor")
    parser.add_argument(
        "--event-rate", type=float, default=10_000.0, help="events per second of event time"
    )
    parser.add_argument("--queries", type=int, default=50, help="requests per query kind")
    parser.add_argument(
        "--repeats", type=int, default=3, help="Meeseeks and naive runs, one after the other"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per wait")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-scale", action="store_true", help="no ten-times estate")
    parser.add_argument("--quick", action="store_true", help="a tenth of the estate, few events")
    parser.add_argument(
        "--profile-worker", type=Path, help="cProfile the Meeseeks worker into this file"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    sizes = (args.events, args.naive_events, args.services, args.edges, args.queries, args.repeats)
    if min(sizes) < 1:
        parser.error("sizes must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(width=None if sys.stdout.isatty() else 140)
    options = Options(
        events=args.events,
        naive_events=args.naive_events,
        services=args.services,
        edges=args.edges,
        scale_factor=args.scale_factor,
        event_rate=args.event_rate,
        queries=args.queries,
        skip_scale=args.skip_scale,
        repeats=args.repeats,
        timeout=args.timeout,
        seed=args.seed,
        profile=args.profile_worker.resolve() if args.profile_worker else None,
    )
    results = run(options, console.log)
    results["command"] = " ".join(["python -m bench.stream", *(argv or sys.argv[1:])])
    print_report(results, console)
    console.print(f"raw figures: {save(results, args.out.resolve())}")
    return 0 if passed(results) else 1


if __name__ == "__main__":
    sys.exit(main())
