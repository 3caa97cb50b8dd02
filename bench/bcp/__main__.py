"""`make bench-bcp`: ``python -m bench.bcp [--sizes 12000,120000] [--repeat 3] ...``.

Each estate size runs in a fresh process (its memory figures are its own). Exit status 0 when
every plan is consistent (PASS), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.bcp.measure import measure

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("build_estate", "plan_failure", "plan_to_json", "checks")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bcp",
        description="Plan a failure of zone a on simulated estates; time, memory, consistency.",
    )
    parser.add_argument("--sizes", default="12000,120000", help="services per estate")
    parser.add_argument("--edges-per-service", type=float, default=2.5)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per stage (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes is a comma-separated list of service counts")
    if min(args.sizes) < 100 or args.repeat < 1:
        parser.error("sizes start at 100 services; --repeat at 1")
    return args


def report(results: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="BCP plan of a zone failure (wall seconds / CPU seconds, medians)")
    for column in ("services", "edges", "scope", "steps", "waves", "cycles", *STAGES,
                   "peak RSS MiB", "traced MiB", "consistent"):  # fmt: skip
        table.add_column(column, justify="right")
    for r in results:
        plan = r["plan"]
        table.add_row(
            f"{r['services']:,}",
            f"{r['graph']['edges']:,}",
            f"{plan['scope_services']:,}",
            f"{plan['steps_to_restore']:,}",
            str(plan["bring_up_waves"]),
            str(plan["cycles"]),
            *(
                f"{r['seconds'][stage]['median']:.2f} / {r['seconds'][stage]['cpu_median']:.2f}"
                for stage in STAGES
            ),
            f"{r['memory_mib']['peak_rss']:,.0f}",
            f"{r['memory_mib']['traced_peak_build_and_plan']:,.0f}",
            "yes" if r["consistent"] else "[red]NO[/red]",
        )
    console.print(table)
    for r in results:
        for check, problems in r["problems"].items():
            for problem in problems:
                console.print(f"[red]{r['services']:,} services, {check}:[/red] {problem}")
    if len(results) > 1:
        small, big = results[0], results[-1]
        size = big["services"] / small["services"]
        cpu = {
            r["services"]: {k: v["cpu_median"] for k, v in r["seconds"].items()} for r in results
        }
        ratios = ", ".join(
            f"{stage} {cpu[big['services']][stage] / cpu[small['services']][stage]:.1f}x"
            for stage in STAGES
        )
        console.print(f"{size:.0f}x the services takes (CPU seconds): {ratios}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    context = multiprocessing.get_context("spawn")
    results = []
    for size in args.sizes:
        console.print(f"estate of {size:,} services ...")
        with context.Pool(1) as pool:
            results.append(
                pool.apply(measure, (size, args.edges_per_service, args.seed, args.repeat))
            )
    report(results, console)
    passed = all(r["consistent"] for r in results)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bcp-bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    options = {k: v for k, v in vars(args).items() if k != "out"}
    path.write_text(
        json.dumps({"options": options, "results": results, "passed": passed}, indent=2)
    )
    verdict = "[green]PASS[/green]" if passed else "[red]FAIL[/red]"
    console.print(f"every plan consistent: {verdict}; figures in {path.relative_to(ROOT)}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
