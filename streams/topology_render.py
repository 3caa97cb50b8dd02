"""Rich tables of graph-view answers, shared by ``meeseeks topology`` and ``meeseeks analyze``.

Functions take the JSON bodies the query API returns (so the CLI renders exactly what a
worker said) and return renderables; the CLI modules print them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text


def when(ts: float | None) -> str:
    """Epoch seconds as UTC time, to the second; '-' when unknown."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def ratio(answered: int, attempts: int) -> str:
    """Answered over attempts as a percentage, capped at 100; '-' without attempts."""
    return "-" if not attempts else f"{min(1.0, answered / attempts):.0%}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _more(body: Mapping[str, Any], shown: int, total_field: str, what: str) -> Text | None:
    """A note under a cut list: how much is shown, and how to see the rest."""
    if not body.get("truncated"):
        return None
    total = body.get(total_field)
    of = f" of {total}" if total is not None else ""
    return Text(f"showing {shown}{of} {what}: raise --limit to see more", style="yellow")


def edges_table(edges: Sequence[Mapping[str, Any]], title: str = "edges") -> Table:
    """client, server, port, attempts, answered, ratio (of all attempts), status, rate."""
    table = Table(title=title, title_justify="left")
    for column in ("client", "server"):
        table.add_column(column, overflow="fold")
    for column in ("port", "attempts", "answered", "ratio"):
        table.add_column(column, justify="right")
    table.add_column("status")
    table.add_column("SYN/s", justify="right")
    table.add_column("last seen")
    for edge in edges:
        status = edge["status"]
        table.add_row(
            edge["client"],
            edge["server"],
            str(edge["port"]),
            str(edge["attempts"]),
            str(edge["answered"]),
            ratio(edge["answered"], edge["attempts"]),
            Text(status, style="dim" if status == "stale" else ""),
            _rate(edge.get("rate")),
            when(edge.get("last_seen")),
        )
    return table


def nodes_table(nodes: Sequence[Mapping[str, Any]], title: str = "nodes") -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("node", "kind", "zone", "instances", "first seen"):
        table.add_column(column, overflow="fold")
    for node in nodes:
        instances = node.get("instances")
        table.add_row(
            node["name"],
            node["kind"],
            node.get("zone") or "-",
            "-" if instances is None else str(instances),
            when(node.get("first_seen")),
        )
    return table


def topology_view(body: Mapping[str, Any]) -> RenderableType:
    parts: list[RenderableType] = [nodes_table(body["nodes"]), edges_table(body["edges"])]
    more = _more(body, len(body["edges"]), "total_edges", "edges")
    if more is not None:
        parts.append(more)
    return Group(*parts)


def neighbours_view(body: Mapping[str, Any]) -> RenderableType:
    table = Table(title=f"neighbours of {body['node']['name']}", title_justify="left")
    for column in ("direction", "hops", "node", "kind"):
        table.add_column(column, overflow="fold")
    for direction in ("downstream", "upstream"):
        for node in body[direction]:
            table.add_row(direction, str(node["distance"]), node["name"], node.get("kind", "-"))
    parts: list[RenderableType] = [table, edges_table(body["edges"], "edges walked")]
    more = _more(body, len(body["edges"]), "total_edges", "edges")
    if more is not None:
        parts.append(more)
    return Group(*parts)


def clusters_view(body: Mapping[str, Any]) -> RenderableType:
    table = Table(title="clusters", title_justify="left")
    if not body["clusters"]:
        return Text("no data-store clusters recognised")
    for column in ("cluster", "engine", "members", "ports", "clients", "attempts", "status"):
        table.add_column(column, overflow="fold")
    for cluster in body["clusters"]:
        table.add_row(
            cluster["cluster"],
            cluster["engine"],
            ", ".join(cluster["members"]),
            ", ".join(str(port) for port in cluster["ports"]),
            ", ".join(cluster["clients"]) or "-",
            str(cluster["attempts"]),
            cluster["status"],
        )
    more = _more(body, len(body["clusters"]), "total", "clusters")
    return table if more is None else Group(table, more)


def anomalies_view(body: Mapping[str, Any]) -> RenderableType:
    table = Table(title="anomalies", title_justify="left")
    if not body["anomalies"]:
        return Text("no anomalies raised")
    for column in ("severity", "kind", "subject", "window", "message"):
        table.add_column(column, overflow="fold")
    for anomaly in body["anomalies"]:
        severity = anomaly["severity"]
        table.add_row(
            Text(severity, style="bold red" if severity == "critical" else "yellow"),
            anomaly["kind"],
            anomaly.get("edge") or anomaly.get("node") or "-",
            when(anomaly.get("window_start")),
            anomaly["message"],
        )
    more = _more(body, len(body["anomalies"]), "total", "anomalies")
    return table if more is None else Group(table, more)


def unattributed_view(body: Mapping[str, Any]) -> RenderableType:
    table = Table(title="unattributed addresses, busiest first", title_justify="left")
    if not body["unattributed"]:
        return Text("no unattributed addresses: the inventory knows every address seen")
    table.add_column("address", overflow="fold")
    for column in ("attempts in", "answered", "ports", "clients", "top clients", "calls out"):
        table.add_column(column, overflow="fold")
    for row in body["unattributed"]:
        top = ", ".join(f"{c['client']} ({c['attempts']})" for c in row["top_clients"])
        table.add_row(
            row["address"],
            str(row["attempts"]),
            str(row["answered"]),
            ", ".join(str(port) for port in row["ports"]) or "-",
            str(row["clients"]),
            top or "-",
            str(row["outgoing_attempts"]),
        )
    more = _more(body, len(body["unattributed"]), "total", "addresses")
    return table if more is None else Group(table, more)


def edge_view(body: Mapping[str, Any]) -> RenderableType:
    facts = Table(title=f"{body['client']} -> {body['server']}:{body['port']}", show_header=False)
    facts.add_column("field")
    facts.add_column("value")
    for field in ("status", "attempts", "answered", "late_events", "client_instances", "rate"):
        facts.add_row(field, str(body.get(field)))
    facts.add_row("first seen", when(body.get("first_seen")))
    facts.add_row("last seen", when(body.get("last_seen")))
    history = Table(title="closed windows, oldest first", title_justify="left")
    for column in ("start", "attempts", "answered", "ratio", "client instances"):
        history.add_column(column)
    for window in body.get("history", []):
        history.add_row(
            when(window["start"]),
            str(window["attempts"]),
            str(window["answered"]),
            ratio(window["answered"], window["attempts"]),
            str(window["client_instances"]),
        )
    return Group(facts, history)
