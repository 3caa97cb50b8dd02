"""Print the stream benchmark's tables and the 10x verdict; save the raw figures as JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

TARGET: Final = 10.0


def passed(results: dict[str, Any]) -> bool:
    return bool(results["ratio"] >= TARGET)


def _mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:,.0f}"


def print_report(results: dict[str, Any], console: Console) -> None:
    repeats = len(results.get("ratios", [])) or 1
    rates = Table(
        title="Events per second, topic to table (one worker, from its first message; "
        f"the median of {repeats} run{'s' if repeats > 1 else ''} each)"
    )
    for column in ("pipeline", "events", "Kafka msgs", "wall s", "events/s", "worker CPU s",
                   "events/CPU s", "peak RSS MiB"):  # fmt: skip
        rates.add_column(column, justify="left" if column == "pipeline" else "right")
    rows = [("Meeseeks", results["meeseeks"]), ("naive Faust (1 msg + 1 update per event)",
                                                 results["naive"])]  # fmt: skip
    if results.get("meeseeks_scaled"):
        rows.append((f"Meeseeks, estate x{results['options']['scale_factor']}",
                     results["meeseeks_scaled"]))  # fmt: skip
    for name, figures in rows:
        per_cpu = figures["events_per_cpu_s"]
        rates.add_row(
            name,
            f"{figures['events']:,}",
            f"{figures['messages']:,}",
            f"{figures['from_first_s']:.1f}",
            f"{figures['events_per_s']:,.0f}",
            f"{figures['cpu_s']:.1f}",
            "-" if per_cpu is None else f"{per_cpu:,.0f}",
            _mib(figures["memory_after_events"]["hwm_kib"]),
        )
    console.print(rates)
    sizes = Table(title="Worker memory and query latency (ms, client side, sequential requests)")
    for column in ("graph", "RSS MiB", "peak MiB", "query", "first", "median", "p95", "max",
                   "statuses"):  # fmt: skip
        sizes.add_column(column, justify="left" if column in ("graph", "query") else "right")
    for point in results["sizes"]:
        label = f"{point['nodes']:,} nodes / {point['edges']:,} edges"
        memory = point["memory"]
        for n, (query, figures) in enumerate(point["queries"].items()):
            sizes.add_row(
                label if n == 0 else "",
                _mib(memory["rss_kib"]) if n == 0 else "",
                _mib(memory["hwm_kib"]) if n == 0 else "",
                query,
                f"{figures['first_ms']:.1f}",
                f"{figures['median_ms']:.1f}",
                f"{figures['p95_ms']:.1f}",
                f"{figures['max_ms']:.1f}",
                " ".join(f"{code}x{count}" for code, count in sorted(figures["statuses"].items())),
            )
    console.print(sizes)
    verdict = "[green]PASS[/green]" if passed(results) else "[red]FAIL[/red]"
    each = ", ".join(f"{ratio:.1f}x" for ratio in results.get("ratios", []))
    console.print(
        f"Meeseeks / naive: {results['ratio']:.1f}x events per second, the median of the runs' "
        f"ratios ({each}) (target >= {TARGET:.0f}x): {verdict}"
    )


def save(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(results["date"]))
    path = out_dir / f"stream-bench-{stamp}.json"
    # default=str: options hold paths (--profile-worker).
    path.write_text(
        json.dumps({**results, "passed": passed(results)}, indent=2, default=str) + "\n"
    )
    return path
