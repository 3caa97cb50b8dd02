"""A plan and the findings for people: rich tables and Graphviz DOT.

Both read the JSON bodies (``plan_to_dict``, finding dicts), so the CLI renders a plan it
computed and one a worker answered with the same way.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

_ACTION_STYLE = {
    "start": "bold",
    "scale": "",
    "none": "dim",
    "unknown": "yellow",
    "stranded": "red",
}


def span(seconds: float | None) -> str:
    """Seconds as ``1h 05m``, ``12m 30s`` or ``45s``; '-' when unknown."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def _zones(counts: Mapping[str, Any]) -> str:
    return " ".join(f"{zone}:{count}" for zone, count in counts.items()) or "-"


def plan_view(body: Mapping[str, Any]) -> RenderableType:
    """Summary, bring-up waves, flows against their RTO, scale-up, shutdown, warnings."""
    summary = body["summary"]
    head = Text.assemble(
        ("BCP plan: ", "bold"),
        f"{body['scenario']['description']}; {summary['scope_services']} services in scope, "
        f"{summary['steps_to_restore']} steps in {summary['bring_up_waves']} waves, "
        f"{summary['instances_to_add']} instances to add, ready after {span(summary['ready_at'])}; "
        f"{summary['late_flows']} of {summary['flows']} flows miss their RTO",
    )
    parts: list[RenderableType] = [head, bring_up_table(body), flows_table(body)]
    parts.append(scale_table(body["scale_up"]))
    parts.append(shutdown_table(body))
    if body["cycles"]:
        cycles = "; ".join("{" + ", ".join(members) + "}" for members in body["cycles"])
        parts.append(Text(f"cycles, each brought up as one step: {cycles}", style="yellow"))
    parts.extend(Text(f"warning: {warning}", style="yellow") for warning in body["warnings"])
    return Group(*parts)


def bring_up_table(body: Mapping[str, Any]) -> Table:
    table = Table(title="bring-up (dependencies first; a wave's steps can run in parallel)")
    table.add_column("wave", justify="right")
    for column in ("step", "action", "add"):
        table.add_column(column, overflow="fold")
    table.add_column("start", justify="right")
    table.add_column("ready", justify="right")
    for wave in body["bring_up"]:
        for step in wave["steps"]:
            actions = sorted(set(step["actions"].values()))
            adds = "; ".join(f"{name} +{_zones(add)}" for name, add in step["add"].items())
            label = ", ".join(step["services"])
            table.add_row(
                str(wave["wave"]),
                Text(("cycle: " if step["cycle"] else "") + label),
                Text("/".join(actions), style=_ACTION_STYLE.get(actions[0], "")),
                adds or "-",
                span(step["start_at"]),
                span(step["ready_at"]),
            )
    return table


def flows_table(body: Mapping[str, Any]) -> Table:
    table = Table(title="flows against their RTO (the critical path makes the ready time)")
    for column in ("flow", "RTO", "ready", "status", "critical path"):
        table.add_column(column, overflow="fold")
    for flow in body["flows"]:
        meets = flow["meets_rto"]
        status = (
            Text("no RTO", style="yellow")
            if meets is None
            else Text("ok", style="green")
            if meets
            else Text(f"LATE by {span(flow['late_by'])}", style="bold red")
        )
        path = " -> ".join(f"{p['label']} ({span(p['duration'])})" for p in flow["critical_path"])
        table.add_row(flow["flow"], span(flow["rto"]), span(flow["ready_at"]), status, path)
    for name in body["unaffected_flows"]:
        table.add_row(name, "-", "-", Text("unaffected", style="dim"), "-")
    return table


def scale_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="scale-up (instances per zone)")
    for column in ("service", "action", "today", "load share", "lost", "needed", "add"):
        table.add_column(column, overflow="fold")
    for row in rows:
        share = " ".join(f"{z}:{s:.0%}" for z, s in row["load_share"].items()) or "-"
        table.add_row(
            row["service"],
            Text(row["action"], style=_ACTION_STYLE.get(row["action"], "")),
            _zones(row["instances"]),
            f"{share} ({row['load_from']})",
            str(row["lost"]),
            _zones(row["needed"]),
            _zones({z: f"+{n}" for z, n in row["add"].items() if n}),
        )
    return table


def shutdown_table(body: Mapping[str, Any]) -> Table:
    table = Table(title="shutdown of what fails (dependents first)")
    table.add_column("wave", justify="right")
    table.add_column("steps", overflow="fold")
    for wave in body["shutdown"]:
        steps = "; ".join(", ".join(members) for members in wave["steps"])
        table.add_row(str(wave["wave"]), steps)
    return table


def findings_table(findings: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title=f"BCP and Data-DR findings ({len(findings)})")
    for column in ("severity", "kind", "subject", "message"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        severity = finding["severity"]
        table.add_row(
            Text(severity, style="bold red" if severity == "critical" else "yellow"),
            finding["kind"],
            finding["subject"],
            finding["message"],
        )
    return table


def _quoted(text: str) -> str:
    """A DOT string: JSON's escaping of quotes and backslashes is DOT's."""
    return json.dumps(text)


def plan_dot(body: Mapping[str, Any]) -> str:
    """The bring-up as a Graphviz digraph: one rank per wave, arrows from a dependency to
    what waits for it, cycles as boxes, each late flow's critical path in red."""
    late = {
        (a["step"], b["step"])
        for flow in body["flows"]
        if flow["meets_rto"] is False
        for a, b in itertools.pairwise(flow["critical_path"])
    }
    on_path = {step for pair in late for step in pair} | {
        flow["critical_path"][-1]["step"]
        for flow in body["flows"]
        if flow["meets_rto"] is False and flow["critical_path"]
    }
    lines = [
        "digraph bcp_plan {",
        "  rankdir=LR;",
        "  node [shape=ellipse, fontname=Helvetica];",
        f"  label={_quoted('BCP plan: ' + body['scenario']['description'])};",
    ]
    for wave in body["bring_up"]:
        lines.append(f"  subgraph wave_{wave['wave']} {{ rank=same;")
        for step in wave["steps"]:
            adds = ", ".join(f"{n} +{_zones(a)}" for n, a in step["add"].items())
            label = "\n".join(step["services"]) + f"\nready {span(step['ready_at'])}"
            label += f"\n{adds}" if adds else ""
            attrs = [f"label={_quoted(label)}"]
            if step["cycle"]:
                attrs.append("shape=box, style=dashed")
            if step["step"] in on_path:
                attrs.append("color=red")
            lines.append(f"    s{step['step']} [{', '.join(attrs)}];")
        lines.append("  }")
    for wave in body["bring_up"]:
        for step in wave["steps"]:
            for dependency in step["depends_on"]:
                red = " [color=red, penwidth=2]" if (dependency, step["step"]) in late else ""
                lines.append(f"  s{dependency} -> s{step['step']}{red};")
    lines.append("}")
    return "\n".join(lines) + "\n"
