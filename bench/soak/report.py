"""Print the soak's figures and verdicts with rich; save the samples and figures as JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.soak.runner import MIN_LOAD_SHARE
from bench.soak.verdict import (
    MAX_LAG_RISE_SECONDS,
    MAX_LAG_SECONDS,
    MAX_RSS_GROWTH,
    MAX_RSS_SLOPE_PER_MINUTE,
)

SAMPLES_SHOWN_EVERY_S = 60.0


def _mib(kib: float) -> str:
    return f"{kib / 1024:,.1f}"


def _per_cpu(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:,.0f}"


def _loads(averages: Sequence[float]) -> str:
    return " ".join(f"{value:.1f}" for value in averages)


def _verdict(ok: bool) -> str:
    return "[green]PASS[/green]" if ok else "[red]FAIL[/red]"


def checks(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(check, measured, limit, passed) rows of the verdict table."""
    memory, lag, load = results["memory"], results["lag"], results["load"]
    return [
        ("RSS: mean of last third vs middle third", f"{memory['growth']:+.1%}",
         f"<= +{MAX_RSS_GROWTH:.0%}", memory["growth"] <= MAX_RSS_GROWTH),
        ("RSS: fitted slope over last half, per minute",
         f"{memory['slope_share_per_minute']:+.2%} ({memory['slope_kib_per_minute'] / 1024:+.2f} "
         "MiB)", f"<= +{MAX_RSS_SLOPE_PER_MINUTE:.0%}",
         memory["slope_share_per_minute"] <= MAX_RSS_SLOPE_PER_MINUTE),
        ("lag: max over last half, s", f"{lag['max_last_half_seconds']:.1f}",
         f"<= {MAX_LAG_SECONDS:.0f}", lag["max_last_half_seconds"] <= MAX_LAG_SECONDS),
        ("lag: fitted rise over last half, s", f"{lag['rise_last_half_seconds']:+.1f}",
         f"<= {MAX_LAG_RISE_SECONDS:.0f}", lag["rise_last_half_seconds"] <= MAX_LAG_RISE_SECONDS),
        ("load: achieved / soak rate", f"{load['share']:.1%}", f">= {MIN_LOAD_SHARE:.0%}",
         load["passed"]),
    ]  # fmt: skip


def print_report(results: dict[str, Any], console: Console) -> None:
    burst, memory, lag, load = results["burst"], results["memory"], results["lag"], results["load"]
    publisher = results["publisher"]
    summary = Table(title="Soak: one worker, steady load")
    summary.add_column("figure")
    summary.add_column("value", justify="right")
    rows = [
        ("burst (maximum)", f"{burst['events']:,} events in {burst['from_first_s']:.1f} s = "
         f"{burst['events_per_s']:,.0f} events/s"),
        ("soak rate", f"{results['soak_rate']:,.0f} events/s"
         + (" (given)" if results["options"]["rate"] else " (half the maximum)")),
        ("achieved rate", f"{load['achieved_rate']:,.0f} events/s"),
        ("events attributed per worker CPU second, burst / soak",
         f"{_per_cpu(burst['events_per_cpu_s'])} / {_per_cpu(results['soak_events_per_cpu_s'])}"),
        ("harness CPU (publisher and probes), share of one core",
         f"{publisher['harness_cpu_s'] / results['samples'][-1]['t_s']:.0%}"),
        ("publisher's batch delay", f"{results['options']['batch_delay'] * 1000:,.0f} ms"),
        ("events per Kafka message, burst / soak",
         f"{burst['events'] / burst['messages']:,.1f} / "
         f"{publisher['soak_events'] / max(publisher['soak_messages'], 1):,.1f}"),
        ("duration", f"{results['samples'][-1]['t_s'] / 60:.1f} min, "
         f"{len(results['samples'])} samples"),
        ("RSS start / middle third / last third / end / peak (MiB)",
         " / ".join(_mib(memory[k]) for k in ("start_kib", "middle_mean_kib", "last_mean_kib",
                                              "end_kib", "peak_kib"))),
        ("lag max, whole soak / last half (s, events + deltas topics)",
         f"{lag['max_seconds']:.1f} / {lag['max_last_half_seconds']:.1f}"),
        ("of which events topic, max (s of input)",
         f"{max(sample['lag_seconds'] for sample in results['samples']):.1f}"),
        ("load average at start / end (1, 5, 15 min)",
         f"{_loads(results['load_average_start'])} / {_loads(results['load_average_end'])}"),
    ]  # fmt: skip
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)
    console.print(_samples_table(results["samples"]))
    verdicts = Table(title="Verdicts")
    for column in ("check", "measured", "limit", "result"):
        verdicts.add_column(column, justify="left" if column == "check" else "right")
    for name, measured, limit, ok in checks(results):
        verdicts.add_row(name, measured, limit, _verdict(ok))
    console.print(verdicts)
    console.print(f"soak: {_verdict(bool(results['passed']))}")


def _samples_table(samples: list[dict[str, Any]]) -> Table:
    table = Table(title=f"Samples (one every {SAMPLES_SHOWN_EVERY_S:.0f} s shown; all in the JSON)")
    for column in ("t s", "RSS MiB", "events lag", "events lag s", "deltas lag msgs",
                   "deltas lag s", "lag s", "published/s", "applied/s", "worker CPU"):  # fmt: skip
        table.add_column(column, justify="right")
    next_shown = 0.0
    for n, sample in enumerate(samples):
        if sample["t_s"] + 1 < next_shown and n != len(samples) - 1:
            continue
        next_shown = sample["t_s"] + SAMPLES_SHOWN_EVERY_S
        applied = sample["apply_rate"]
        table.add_row(
            f"{sample['t_s']:.0f}",
            _mib(sample["rss_kib"]),
            f"{sample['lag_events']:,}",
            f"{sample['lag_seconds']:.1f}",
            f"{sample['deltas_lag_messages']:,}",
            f"{sample['deltas_lag_seconds']:.1f}",
            f"{sample['pipeline_lag_seconds']:.1f}",
            f"{sample['publish_rate']:,.0f}",
            "-" if applied is None else f"{applied:,.0f}",
            f"{sample['worker_cpu_share']:.0%}",
        )
    return table


def save(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(results["date"]))
    path = out_dir / f"soak-bench-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path
