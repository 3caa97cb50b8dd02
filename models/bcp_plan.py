"""The plan for a failure scenario: what to restore, in which order, how much to add, how long.

``plan_failure`` is pure: the scope, its condensed order, the scale-up of every node in scope,
the schedule and the flows' timings, all from a ``BcpEstate`` and a ``Scenario``. The bring-up
lists the steps that need something (instances to start, or a dependency being restored);
the shutdown lists the steps with instances in what fails, dependents first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from models.bcp_capacity import Action, ScaleUp, scale_up
from models.bcp_model import BcpError, BcpEstate, Scenario
from models.bcp_order import Ordering, keep, order
from models.bcp_scope import Scope, bcp_scope
from models.bcp_timing import FlowTiming, Schedule, flow_timings, schedule

_STARTS = frozenset({Action.SCALE, Action.START})


@dataclass(frozen=True, slots=True)
class BcpPlan:
    scenario: Scenario
    scope: Scope
    ordering: Ordering
    bring_up: tuple[tuple[int, ...], ...]
    """Waves of step ids to restore, dependencies first."""
    shutdown: tuple[tuple[int, ...], ...]
    """Waves of step ids that lose instances, dependents first."""
    scale_ups: Mapping[str, ScaleUp]
    """Every node in scope, by name."""
    durations: Mapping[int, float]
    """Per step: the slowest startup among members that start instances."""
    schedule: Schedule
    flows: tuple[FlowTiming, ...]
    """Flows with something to restore, by name."""
    unaffected_flows: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def late_flows(self) -> tuple[FlowTiming, ...]:
        return tuple(flow for flow in self.flows if flow.meets_rto is False)

    @property
    def ready_at(self) -> float:
        """When the last restored step is ready."""
        return max((self.schedule.ready_at[s] for w in self.bring_up for s in w), default=0.0)


def zone_load(estate: BcpEstate) -> dict[str, dict[str, float]]:
    """Observed attempts per second into each zone of each server, summed over its edges."""
    load: defaultdict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    for edge in estate.edges:
        for zone, rate in edge.server_zone_rates.items():
            load[edge.server][zone] += rate
    return {name: dict(zones) for name, zones in load.items()}


def check_scenario(estate: BcpEstate, scenario: Scenario) -> None:
    zones = estate.zones
    unknown = sorted(scenario.failed_zones - zones)
    if unknown:
        raise BcpError(
            f"zone {', '.join(unknown)} has no instances in the estate; "
            f"known zones: {', '.join(sorted(zones)) or 'none (no instance counts)'}"
        )
    missing = sorted(scenario.failed_services - set(estate.services))
    if missing:
        raise BcpError(f"service {', '.join(missing[:5])} is not in the graph")


def plan_failure(estate: BcpEstate, scenario: Scenario) -> BcpPlan:
    check_scenario(estate, scenario)
    scope = bcp_scope(estate, scenario.follow_undeclared)
    ordering = order(scope.graph)
    load = zone_load(estate)
    all_zones = estate.zones
    needs = {
        name: scale_up(
            estate.services[name],
            load.get(name, {}),
            scenario.failed_zones,
            all_zones,
            name in scenario.failed_services,
        )
        for name in sorted(scope.nodes)
    }
    durations: dict[int, float] = {}
    affected: set[int] = set()
    for step_id in ordering.dependencies_first():
        step = ordering.steps[step_id]
        starting = [name for name in step.services if needs[name].action in _STARTS]
        durations[step_id] = max(
            (estate.services[name].startup_seconds or 0.0 for name in starting), default=0.0
        )
        own = any(needs[name].action is not Action.NONE for name in step.services)
        if own or any(dep in affected for dep in ordering.dag.successors(step_id)):
            affected.add(step_id)
    losing = {step.id for step in ordering.steps if any(needs[name].lost for name in step.services)}
    timed = schedule(ordering, durations)
    members: defaultdict[str, set[str]] = defaultdict(set)
    for name in scope.flow_members:
        for flow in estate.services[name].flows:
            members[flow].add(name)
    touched = {
        flow
        for flow, names in members.items()
        if any(ordering.step_of[n] in affected for n in names)
    }
    rto = {
        flow: min(
            (r for n in names if (r := estate.services[n].rto_seconds) is not None), default=None
        )
        for flow, names in members.items()
    }
    timings = flow_timings(
        ordering,
        timed,
        durations,
        {flow: frozenset(names) for flow, names in members.items() if flow in touched},
        rto,
    )
    return BcpPlan(
        scenario=scenario,
        scope=scope,
        ordering=ordering,
        bring_up=keep(ordering.bring_up, affected),
        shutdown=keep(ordering.shutdown, losing),
        scale_ups=needs,
        durations=durations,
        schedule=timed,
        flows=tuple(timings),
        unaffected_flows=tuple(sorted(set(members) - touched)),
        warnings=tuple(_warnings(estate, scenario, scope, needs, rto)),
    )


def _warnings(
    estate: BcpEstate,
    scenario: Scenario,
    scope: Scope,
    needs: Mapping[str, ScaleUp],
    rto: Mapping[str, float | None],
) -> list[str]:
    def some(names: list[str]) -> str:
        return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    out = []
    if not scope.flow_members:
        out.append("no service belongs to a BCP flow: annotate flows in the BCP overlay")
    outside = sorted(scenario.failed_services - scope.nodes)
    if outside:
        out.append(f"failing service(s) outside the BCP scope, not planned: {some(outside)}")
    if scope.undeclared:
        edges = [edge.describe() for edge in scope.undeclared]
        out.append(
            f"{len(edges)} observed edge(s) from the scope are in no overlay and were not "
            f"followed ({some(edges)}); declare them essential or optional, or plan with "
            "--follow-undeclared"
        )
    for action, text in (
        (Action.UNKNOWN, "have no instance counts (inventory) and could not be sized"),
        (Action.STRANDED, "lose every instance and no zone survives to run them"),
    ):
        names = [n for n, need in needs.items() if need.action is action]
        if names:
            out.append(f"{len(names)} service(s) {text}: {some(names)}")
    untimed = [
        n
        for n, need in needs.items()
        if need.action in _STARTS and estate.services[n].startup_seconds is None
    ]
    if untimed:
        out.append(
            f"{len(untimed)} service(s) to start have no startup time, counted as 0 s "
            f"(ready times are lower bounds): {some(untimed)}"
        )
    no_rto = sorted(flow for flow, value in rto.items() if value is None)
    if no_rto:
        out.append(f"{len(no_rto)} flow(s) have no RTO on any member: {some(no_rto)}")
    return out
