"""Print the store benchmark's table and verdict; save the figures as JSON in bench/out/."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

TARGET: Final = 20.0


def passed(results: dict[str, Any]) -> bool:
    return all(estate["ratio"] >= TARGET for estate in results["estates"])


def print_report(results: dict[str, Any], console: Console) -> None:
    options = results["options"]
    table = Table(
        title=f"SQLite store upserts, changes per second (median of {options['repeats']} repeats; "
        f"batches of {options['batch']:,})"
    )
    for column in ("estate", "changes", "batched", "single rows", "batched / single",
                   "stream batched", "stream single rows (extrapolated)", "file MiB"):  # fmt: skip
        table.add_column(column, justify="left" if column == "estate" else "right")
    for estate in results["estates"]:
        table.add_row(
            f"{estate['services']:,} services / {estate['edges']:,} edges",
            f"{estate['changes']:,}",
            f"{estate['batched_per_s']:,.0f}",
            f"{estate['single_per_s']:,.0f}",
            f"{estate['ratio']:.1f}x",
            f"{estate['batched_stream_s']:,.0f} s",
            f"{estate['single_stream_s']:,.0f} s",
            f"{estate['file_bytes'] / 2**20:,.0f}",
        )
    console.print(table)
    console.print(
        f"single rows: {options['single_sample']:,} changes of the stream per repeat, in "
        f"{options['slices']} evenly spread runs, one transaction each; the rest in batches; "
        "the whole stream's single-row time is extrapolated from the sample"
    )
    machine = results["machine"]
    before, after = machine["load_average_before"][0], machine["load_average_after"][0]
    console.print(
        f"machine: {machine['cpus']} CPUs, 1-minute load average {before:.1f} before and "
        f"{after:.1f} after (other work shares the disk and CPUs)"
    )
    for estate in results["estates"]:
        verdict = "[green]PASS[/green]" if estate["ratio"] >= TARGET else "[red]FAIL[/red]"
        console.print(
            f"{estate['edges']:,} edges: batched {estate['ratio']:.1f}x single rows "
            f"(target >= {TARGET:.0f}x): {verdict}"
        )


def save(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(results["date"]))
    path = out_dir / f"store-bench-{stamp}.json"
    path.write_text(json.dumps({**results, "passed": passed(results)}, indent=2) + "\n")
    return path
