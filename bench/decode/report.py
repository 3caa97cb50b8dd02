"""Turn the raw figures into rates, ratios and PASS/FAIL per target; print them, save them.

Rates are events per CPU-second of the measured process ("per core"); wall-clock rates are
shown next to them for the reader who wants to know what a stopwatch says.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

DPKT_TARGET: Final = 15.0
PUBLISH_TARGET: Final = 0.5
MEMORY_TOLERANCE: Final = 0.10


@dataclass(frozen=True)
class Check:
    """One target or correctness check."""

    name: str
    measured: str
    required: str
    passed: bool


def rate(figures: dict[str, Any], clock: str = "cpu_s") -> float:
    """Events per second of ``clock`` (CPU or wall seconds)."""
    seconds = float(figures[clock])
    return figures["events"] / seconds if seconds > 0 else 0.0


def checks(results: dict[str, Any]) -> list[Check]:
    """The issue's targets, then the correctness checks made in the same run."""
    fast, dpkt = results["fast"], results["dpkt"]
    expected = results["capture"]["syn"] + results["capture"]["syn_ack"]
    speedup = rate(fast) / rate(dpkt)
    found = [Check("decoder >= 15x dpkt baseline", f"{speedup:.1f}x", ">= 15x", speedup >= 15)]
    if results.get("publish"):
        share = rate(results["publish"]) / rate(fast)
        found.append(
            Check("decode+publish >= 1/2 decode-only", f"{share:.2f}", ">= 0.50", share >= 0.5)
        )
    if results.get("memory"):
        small = results["memory"]["small"]["peak_rss_kib"]
        big = results["memory"]["big"]["peak_rss_kib"]
        growth = big / small - 1
        found.append(
            Check("peak memory flat (big vs small file)", f"{growth:+.1%}", "within 10%",
                  abs(growth) <= MEMORY_TOLERANCE)
        )  # fmt: skip
    found.append(_equal("fast decoder events = generated SYN + SYN-ACK", fast["events"], expected))
    same = fast["digest"] == dpkt["digest"]
    found.append(
        Check(f"dpkt baseline = fast decoder, first {dpkt['packets']:,} packets",
              f"{dpkt['digest']['events']:,} events, digests {'equal' if same else 'differ'}",
              "same events", same)
    )  # fmt: skip
    if results.get("tshark"):
        found.append(_equal("tshark lines = generated", results["tshark"]["events"], expected))
    if results.get("memory"):
        for size in ("small", "big"):
            streamed = results["memory"][size]
            found.append(
                _equal(f"streamed events ({streamed['packets']:,} packets) = generated",
                       streamed["events"], streamed["expected_events"])
            )  # fmt: skip
    if results.get("publish"):
        published = results["publish"]["published_events"]
        found.append(_equal("events acknowledged by Kafka = generated", published, expected))
    return found


def _equal(name: str, measured: int, expected: int) -> Check:
    return Check(name, f"{measured:,}", f"{expected:,}", measured == expected)


def _rows(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    rows = [
        ("fast decoder (capture.decoder), decode only", results["fast"]),
        ("dpkt baseline, decode only", results["dpkt"]),
    ]
    if results.get("tshark"):
        rows.append(("tshark -Y 'tcp.flags.syn==1' -T fields", results["tshark"]))
    if results.get("memory"):
        rows.append(("fast decoder, read + decode (PcapSource)", results["memory"]["small"]))
    if results.get("publish"):
        rows.append(("meeseeks capture --file -> Kafka", results["publish"]))
    return rows


def print_report(results: dict[str, Any], console: Console) -> None:
    """The figures table, the memory table and the targets, as the benchmark's output."""
    fast_rate = rate(results["fast"])
    table = Table(title="Decoding: events per second (per core = per CPU-second)")
    for column in ("measurement", "packets", "events", "CPU s", "wall s"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for column in ("events/s per core", "events/s wall", "decoder is N x faster"):
        table.add_column(column, justify="right")
    for name, figures in _rows(results):
        events_rate = rate(figures)
        table.add_row(
            name,
            f"{figures.get('packets', results['capture']['packets']):,}",
            f"{figures['events']:,}",
            f"{figures['cpu_s']:.2f}",
            f"{figures['wall_s']:.2f}",
            f"{events_rate:,.0f}",
            f"{rate(figures, 'wall_s'):,.0f}",
            f"{fast_rate / events_rate:.1f}x",
        )
    console.print(table)
    if results.get("tshark"):
        tshark = results["tshark"]
        console.print(
            f"tshark used {tshark['cpu_s'] / tshark['wall_s']:.2f} cores on average; the fast "
            f"decoder is {fast_rate / rate(tshark, 'wall_s'):.1f}x tshark's wall-clock rate."
        )
    if (results.get("publish") or {}).get("runs"):
        runs = results["publish"]["runs"]
        seconds = ", ".join(f"{run['cpu_s']:.2f}" for run in runs)
        messages = ", ".join(f"{run['kafka_messages']:,}" for run in runs)
        console.print(
            f"decode+publish runs: CPU s {seconds} (median taken); Kafka messages {messages}."
        )
    if results.get("publish") and results.get("memory"):
        read_rate = rate(results["memory"]["small"])
        console.print(
            f"decode+publish runs at {rate(results['publish']) / read_rate:.2f} of the "
            f"read+decode rate; reading the pcap alone makes read+decode "
            f"{read_rate / fast_rate:.2f} of decode-only."
        )
    if results.get("memory"):
        memory = Table(title="Peak resident memory (VmHWM)")
        memory.add_column("run")
        for column in ("packets", "peak RSS MiB"):
            memory.add_column(column, justify="right")
        for size in ("small", "big"):
            figures = results["memory"][size]
            memory.add_row(
                f"streamed decode, {size} file",
                f"{figures['packets']:,}",
                f"{figures['peak_rss_kib'] / 1024:.1f}",
            )
        if results.get("publish"):
            publish = results["publish"]
            peak = publish["peak_rss_kib"] / 1024
            memory.add_row("decode + publish", f"{publish['packets']:,}", f"{peak:.1f}")
        console.print(memory)
    targets = Table(title="Targets and checks")
    for column in ("check", "measured", "required", "result"):
        targets.add_column(column)
    for check in checks(results):
        verdict = "[green]PASS[/green]" if check.passed else "[red]FAIL[/red]"
        targets.add_row(check.name, check.measured, check.required, verdict)
    console.print(targets)


def save(results: dict[str, Any], out_dir: Path) -> Path:
    """Write the raw figures plus the derived checks as JSON; return the file."""
    stamp = results["date"].replace(":", "").replace("-", "").split("+")[0]
    path = out_dir / f"decode-bench-{stamp}.json"
    document = {**results, "checks": [asdict(check) for check in checks(results)]}
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
