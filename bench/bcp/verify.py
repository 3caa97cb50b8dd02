"""Consistency of a plan on a graph too large to check by hand.

Each check recomputes its fact independently of the planner's own bookkeeping: the order
against every edge of the scope graph, the cycles against networkx's strongly connected
components and the generator's injected loops, the scope against its closure, the times
against their recurrence. Every problem is listed (first few per check).
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from models.bcp_capacity import Action
from models.bcp_model import BcpEstate
from models.bcp_plan import BcpPlan

LISTED = 5


def check_plan(
    plan: BcpPlan, estate: BcpEstate, injected: Iterable[frozenset[str]]
) -> dict[str, list[str]]:
    """Problems by check name; every list empty when the plan is consistent."""
    ordering, scope = plan.ordering, plan.scope
    step_of = ordering.step_of
    up = {s: n for n, wave in enumerate(ordering.bring_up) for s in wave}
    down = {s: n for n, wave in enumerate(ordering.shutdown) for s in wave}
    planned_up = {s: n for n, wave in enumerate(plan.bring_up) for s in wave}
    planned_down = {s: n for n, wave in enumerate(plan.shutdown) for s in wave}
    problems: dict[str, list[str]] = {
        "every step once": [],
        "dependency before dependent": [],
        "dependent shut down first": [],
        "every cycle reported": [],
        "scope closed": [],
        "restored steps planned": [],
        "ready times": [],
    }

    def report(check: str, text: str) -> None:
        if len(problems[check]) < LISTED:
            problems[check].append(text)
        elif len(problems[check]) == LISTED:
            problems[check].append("...")

    if sorted(up) != sorted(down) or len(up) != len(ordering.steps):
        report("every step once", f"{len(up)} up, {len(down)} down, {len(ordering.steps)} steps")
    for client, server in scope.graph.edges:
        a, b = step_of[client], step_of[server]
        if a == b:
            continue
        if not {a, b} <= up.keys() or not {a, b} <= down.keys():
            report("every step once", f"step of {client} or {server} is in no wave")
            continue
        if not up[b] < up[a]:
            report("dependency before dependent", f"{server} (wave {up[b]}) vs {client} ({up[a]})")
        if a in planned_up and b in planned_up and not planned_up[b] < planned_up[a]:
            report("dependency before dependent", f"plan: {server} not before {client}")
        if not down[a] < down[b]:
            report("dependent shut down first", f"{client} not before {server}")
        if a in planned_down and b in planned_down and not planned_down[a] < planned_down[b]:
            report("dependent shut down first", f"plan: {client} not before {server}")
    components = {frozenset(c) for c in nx.strongly_connected_components(scope.graph) if len(c) > 1}
    reported = {frozenset(step.services) for step in ordering.cycles}
    for missing in components - reported:
        report("every cycle reported", f"not reported: {sorted(missing)[:4]}")
    for extra in reported - components:
        report("every cycle reported", f"not a cycle: {sorted(extra)[:4]}")
    for loop in injected:
        if loop <= scope.nodes and len({step_of[name] for name in loop}) != 1:
            report("every cycle reported", f"injected loop split: {sorted(loop)}")
    for edge in estate.edges:
        followed = edge.essential is True or (
            plan.scenario.follow_undeclared and edge.essential is None
        )
        if followed and edge.client in scope.nodes and edge.server not in scope.nodes:
            report("scope closed", f"{edge.describe()} leaves the scope")
    for name, service in estate.services.items():
        if service.flows and name not in scope.nodes:
            report("scope closed", f"flow member {name} is not in the scope")
    acting = {
        step.id
        for step in ordering.steps
        if any(plan.scale_ups[name].action is not Action.NONE for name in step.services)
    }
    for step in acting - set(planned_up):
        report("restored steps planned", f"step {step} has instances to start but is not planned")
    for step in planned_up:
        for dependency in ordering.dag.successors(step):
            if dependency in acting and dependency not in planned_up:
                report("restored steps planned", f"step {dependency}, a dependency of {step}")
        deps = [plan.schedule.ready_at[d] for d in ordering.dag.successors(step)]
        start, ready = plan.schedule.start_at[step], plan.schedule.ready_at[step]
        if start != max(deps, default=0.0) or ready != start + plan.durations[step]:
            report("ready times", f"step {step}: start {start}, ready {ready}")
    return problems
