"""``meeseeks analyze CAPTURE --inventory FILE``: the service graph of one capture, no broker."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings, with_overrides
from models.errors import MeeseeksError
from models.query_input import MAX_LIMIT

if TYPE_CHECKING:
    from streams.analyze import Analysis

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


class AnalyzeError(MeeseeksError):
    """The capture or the options cannot be analysed as given."""


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="build the service graph of one capture file, in-process (no Kafka)",
        description=(
            "Decode CAPTURE (pcap or pcapng of ERSPAN/GRE mirrored traffic), attribute its "
            "SYNs and SYN-ACKs with the inventory FILE and aggregate them with the stream's "
            "own stages; print the edges, data-store clusters and unattributed addresses."
        ),
    )
    parser.add_argument("capture", type=Path, metavar="CAPTURE", help="pcap or pcapng file")
    parser.add_argument(
        "--inventory", type=Path, required=True, metavar="FILE", help="inventory .yaml or .csv"
    )
    parser.add_argument(
        "--window", type=float, help="window length in seconds (default MEESEEKS_WINDOW_SECONDS)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--limit", type=int, default=MAX_LIMIT, help=f"most rows per table (default {MAX_LIMIT})"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from config.inventory_file import load_inventory_file
    from models.inventory import Inventory
    from streams.analyze import analyze_capture
    from streams.topology import anomaly_params_from, edge_params_from

    if args.window is not None and not (math.isfinite(args.window) and 0 < args.window <= 86400):
        raise AnalyzeError(f"--window {args.window} must be between 0 and 86400 seconds")
    settings = with_overrides(settings, window_seconds=args.window)
    inventory = Inventory(load_inventory_file(args.inventory))
    analysis = analyze_capture(
        args.capture, inventory, edge_params_from(settings), anomaly_params_from(settings)
    )
    if args.json:
        print(json.dumps(report(analysis, args.limit), indent=2, sort_keys=True))
    else:
        show(analysis, args.capture, args.limit, settings.window_seconds)
    return 0


def report(analysis: Analysis, limit: int) -> dict[str, object]:
    """The JSON document of ``--json``: the same bodies the worker API answers with."""
    view = analysis.view
    return {
        "capture": analysis.summary(),
        "topology": view.topology(limit=limit),
        "clusters": view.clusters(limit),
        "unattributed": view.unattributed(limit),
        "anomalies": view.anomalies(limit=limit),
    }


def show(analysis: Analysis, capture: Path, limit: int, window: float) -> None:
    from rich.console import Console

    from streams import topology_render as render

    console = Console()
    summary = analysis.summary()
    skipped = ", ".join(f"{reason} {count}" for reason, count in summary["skipped"].items())
    console.print(
        f"[bold]{capture}[/]: {analysis.frames} frames, {analysis.events} SYN/SYN-ACK events "
        f"from {render.when(analysis.first_ts)} to {render.when(analysis.last_ts)} UTC, "
        f"{window:g}s windows"
    )
    if skipped:
        console.print(f"frames without an event: {skipped}")
    body = analysis.view.topology(limit=limit)
    console.print(render.edges_table(body["edges"]))
    console.print(render.clusters_view(analysis.view.clusters(limit)))
    console.print(render.unattributed_view(analysis.view.unattributed(limit)))
    anomalies = analysis.view.anomalies(limit=limit)
    if anomalies["anomalies"]:
        console.print(render.anomalies_view(anomalies))
