"""The accuracy table and, when something is off, the first edges and clusters that differ."""

from __future__ import annotations

from typing import Final

from rich.console import Console
from rich.table import Table

from bench.estate.accuracy import Accuracy, EdgeScore

SHOWN: Final = 10
"""Differences listed per kind: enough to see a pattern, short enough to read."""


def print_report(result: Accuracy, console: Console) -> None:
    params = result.params
    console.print(
        f"estate: {params['services']} services, {params['instances']} instances per service, "
        f"{params['minutes']} minutes, seed {params['seed']}; analysed in {result.seconds:.1f}s"
    )
    console.print(
        f"frames: truth {result.frames[0]}, read {result.frames[1]}; "
        f"SYN+SYN-ACK: truth {result.events[0]}, decoded {result.events[1]}"
    )
    table = Table(title="accuracy against the truth")
    for column in ("measure", "value", "target", "result"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    edges, clusters = result.edges, result.clusters
    for name, value, target, passed in result.checks():
        verdict = "[green]PASS[/]" if passed else "[red]FAIL[/]"
        table.add_row(name, f"{value:.4f}", f">= {target:.2f}", verdict)
    table.add_row(
        f"edges >= {edges.floor} attempts", f"{edges.truth} truth / {edges.observed} seen", "", ""
    )
    table.add_row("  attempts and answered exact", f"{edges.exact_rate:.4f}", "", "")
    table.add_row("all edges: precision", f"{result.all_edges.precision:.4f}", "", "")
    table.add_row("all edges: recall", f"{result.all_edges.recall:.4f}", "", "")
    table.add_row("clusters", f"{clusters.recovered} of {clusters.truth}", "", "")
    table.add_row("  same engine", f"{clusters.same_engine} of {clusters.recovered}", "", "")
    table.add_row("  clusters found beyond the truth", str(len(clusters.spurious)), "", "")
    windowed = result.stream_clusters
    table.add_row(
        "stream cluster stage, end of run",
        f"{windowed.recovered} of {windowed.truth} (+{len(windowed.spurious)})",
        "",
        "",
    )
    console.print(table)
    _differences(edges, console)
    for cluster, nearest in clusters.missed[:SHOWN]:
        console.print(
            f"missed cluster {cluster['engine']} {cluster['name']} {cluster['members']}; "
            f"closest found: {nearest}"
        )
    for found in clusters.spurious[:SHOWN]:
        console.print(f"cluster not in the truth: {found.node} {sorted(found.members)}")


def _differences(edges: EdgeScore, console: Console) -> None:
    for key in edges.missing[:SHOWN]:
        console.print(f"missing edge {key}")
    for key in edges.spurious[:SHOWN]:
        console.print(f"edge not in the truth {key}")
    for key, expected, observed in edges.miscounted[:SHOWN]:
        console.print(f"miscounted edge {key}: truth {expected}, graph {observed}")
