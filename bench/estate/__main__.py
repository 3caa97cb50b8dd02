"""``python -m bench.estate generate|accuracy``: write an estate, or score the product on one.

``accuracy`` exits 1 when a target is missed, so CI can gate on it. Given size options it
first (re)generates the estate in ``--dir`` unless the truth there was made with the same ones.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from rich.console import Console

from bench.estate.model import EstateParams
from bench.estate.writer import TRUTH, write_estate

SIZES = ("services", "instances", "minutes", "seed", "clusters")


def _size_options(parser: argparse.ArgumentParser) -> None:
    default = EstateParams()
    for name, help_text in (
        ("services", f"application services (default {default.services})"),
        ("instances", f"typical instances per service (default {default.instances})"),
        ("minutes", f"minutes of traffic (default {default.minutes})"),
        ("seed", f"random seed (default {default.seed})"),
        ("clusters", "data-store clusters (default: one per eight services, at least 3)"),
    ):
        parser.add_argument(f"--{name}", type=int, help=help_text)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.estate",
        description="A synthetic estate (inventory, ERSPAN capture, truth) and the accuracy of "
        "the service graph and data-store clusters built from it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser(
        "generate", help="write inventory.yaml, capture.pcap, truth.json"
    )
    generate.add_argument("--out", type=Path, required=True, help="directory to write into")
    _size_options(generate)
    accuracy = commands.add_parser("accuracy", help="analyse an estate and score it")
    accuracy.add_argument("--dir", type=Path, required=True, help="a generated estate")
    _size_options(accuracy)
    accuracy.add_argument("--json", action="store_true", help="also print the scores as JSON")
    return parser.parse_args(argv)


def _params(args: argparse.Namespace) -> EstateParams:
    """The sizes given, the defaults for the others."""
    given = {name: getattr(args, name) for name in SIZES if getattr(args, name) is not None}
    return EstateParams(**given)


def _wanted(args: argparse.Namespace) -> bool:
    """Whether ``accuracy`` was given sizes, so the estate must be (re)generated first."""
    return any(getattr(args, name) is not None for name in SIZES)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bench").setLevel(logging.INFO)
    console = Console(width=None if sys.stdout.isatty() else 120)
    try:
        params = _params(args)
    except ValueError as exc:
        print(f"python -m bench.estate: {exc}", file=sys.stderr)
        return 2
    if args.command == "generate":
        truth = write_estate(args.out, params)
        frames = truth.frames
        print(
            f"{args.out}: {sum(frames.values())} frames, {len(truth.attempts)} edges, "
            f"{len(truth.estate.stores)} data stores"
        )
        return 0
    if _wanted(args):
        path = args.dir / TRUTH
        known = json.loads(path.read_text())["params"] if path.exists() else None
        if known != asdict(params):
            write_estate(args.dir, params)
    from bench.estate.accuracy import measure
    from bench.estate.report import print_report

    result = measure(args.dir)
    print_report(result, console)
    if args.json:
        checks = [
            {"measure": m, "value": v, "target": t, "passed": p} for m, v, t, p in result.checks()
        ]
        print(json.dumps({"params": dict(result.params), "checks": checks}, indent=2))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
