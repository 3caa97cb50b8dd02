"""`make bench-soak`: ``python -m bench.soak [--minutes M] [--rate R] [--quick] ...``.

Exit status 0 when memory levelled off, lag stayed bounded and the load was offered; else 1.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench.soak.publisher import BATCH_DELAY_SECONDS
from bench.soak.report import print_report, save
from bench.soak.runner import ROOT, Options, run

QUICK = {"minutes": 1.0, "burst_events": 20_000, "services": 1_200, "edges": 3_000}
"""--quick: a one-minute smoke run on a tenth of the estate (the verdicts mean little)."""


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description="A steady load of connection events at half the measured maximum through a "
        "throwaway broker and one real worker; the worker's memory and its consumer lag are "
        "sampled, and the run passes when memory levels off and lag stays bounded.",
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    parser.add_argument(
        "--rate", type=float, help="events per second (default: half the burst's maximum)"
    )
    parser.add_argument(
        "--burst-events", type=int, default=200_000, help="warm-up events that measure the maximum"
    )
    parser.add_argument(
        "--batch-delay-ms",
        type=float,
        default=BATCH_DELAY_SECONDS * 1000,
        help="longest wait of an event in a shard batch (MEESEEKS_CAPTURE_BATCH_DELAY_MS)",
    )
    parser.add_argument("--services", type=int, default=12_000, help="services in the estate")
    parser.add_argument("--edges", type=int, default=30_000, help="service edges in the estate")
    parser.add_argument(
        "--stock-settings",
        action="store_true",
        help="keep the worker's stock stale time, history and cluster retention",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds the burst may take")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="1 minute on a tenth of the estate")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    sizes = (args.minutes, args.interval, args.burst_events, args.batch_delay_ms, args.services,
             args.edges)  # fmt: skip
    if min(sizes) <= 0:
        parser.error("durations and sizes must be positive")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be positive")
    if args.minutes * 60 / args.interval < 5:
        parser.error("the soak needs at least 6 samples: lengthen --minutes or shorten --interval")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    # SIGTERM unwinds like Ctrl-C, so the worker and the broker are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(width=None if sys.stdout.isatty() else 140)
    options = Options(
        minutes=args.minutes,
        interval=args.interval,
        rate=args.rate,
        burst_events=args.burst_events,
        batch_delay=args.batch_delay_ms / 1000,
        services=args.services,
        edges=args.edges,
        stock_settings=args.stock_settings,
        timeout=args.timeout,
        seed=args.seed,
    )
    results = run(options, console.log)
    results["command"] = " ".join(["python -m bench.soak", *(argv or sys.argv[1:])])
    print_report(results, console)
    console.print(f"samples and figures: {save(results, args.out.resolve())}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
