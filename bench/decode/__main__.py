"""`make bench-decode`: ``python -m bench.decode [--packets N] [--skip-publish] ...``.

Exit status 0 when every target and check passed, 1 otherwise, so CI can gate on it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench.decode.report import checks, print_report, save
from bench.decode.runner import ROOT, Options, run

QUICK = {
    "packets": 20_000,
    "big_packets": 80_000,
    "dpkt_packets": 20_000,
    "repeats": 1,
    "dpkt_repeats": 1,
    "publish_repeats": 1,
}
"""--quick: a smoke run of every step in well under a minute (figures are noisy)."""


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.decode",
        description="Events per second per core of the fast decoder, a dpkt baseline and "
        "tshark over one generated ERSPAN capture; decode-and-publish to a throwaway local "
        "broker; peak memory on a small and a big capture.",
    )
    parser.add_argument("--packets", type=int, default=1_000_000, help="main capture size")
    parser.add_argument(
        "--big-packets", type=int, default=4_000_000, help="second capture, for peak memory"
    )
    parser.add_argument(
        "--dpkt-packets", type=int, default=200_000, help="the dpkt baseline decodes this prefix"
    )
    parser.add_argument("--repeats", type=int, default=3, help="fast decoder passes (median)")
    parser.add_argument("--dpkt-repeats", type=int, default=3, help="dpkt passes (median)")
    parser.add_argument(
        "--publish-repeats", type=int, default=3, help="decode-and-publish runs (median)"
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "out", help="captures and JSON results"
    )
    parser.add_argument("--skip-tshark", action="store_true")
    parser.add_argument("--skip-publish", action="store_true", help="no broker, no publish")
    parser.add_argument("--skip-memory", action="store_true", help="no big capture")
    parser.add_argument("--quick", action="store_true", help="20k packets, one pass each")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    sizes = (args.packets, args.big_packets, args.dpkt_packets)
    if min(*sizes, args.repeats, args.dpkt_repeats, args.publish_repeats) < 1:
        parser.error("sizes and repeat counts must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(width=None if sys.stdout.isatty() else 132)
    options = Options(
        packets=args.packets,
        big_packets=args.big_packets,
        dpkt_packets=args.dpkt_packets,
        repeats=args.repeats,
        dpkt_repeats=args.dpkt_repeats,
        publish_repeats=args.publish_repeats,
        seed=args.seed,
        out_dir=args.out.resolve(),
        skip_tshark=args.skip_tshark,
        skip_publish=args.skip_publish,
        skip_memory=args.skip_memory,
    )
    results = run(options, console.log)
    results["command"] = " ".join(["python -m bench.decode", *(argv or sys.argv[1:])])
    print_report(results, console)
    console.print(f"raw figures: {save(results, options.out_dir)}")
    return 0 if all(check.passed for check in checks(results)) else 1


if __name__ == "__main__":
    sys.exit(main())
