"""The JSON form of a plan: what the CLI prints with ``--format json`` and HTTP answers with.

Versioned and ordered: waves in order, steps by id inside a wave, services by name, so two
plans of the same graph compare equal as text.
"""

from __future__ import annotations

from typing import Any

from models.bcp_capacity import Action, ScaleUp
from models.bcp_plan import BcpPlan
from models.bcp_timing import FlowTiming

PLAN_VERSION = 1


def scale_row(need: ScaleUp) -> dict[str, Any]:
    return {
        "service": need.service,
        "action": need.action.value,
        "instances": dict(need.today),
        "load_share": {zone: round(share, 6) for zone, share in need.load_share.items()},
        "load_from": "traffic" if need.observed_load else "instances",
        "lost": need.lost,
        "needed": dict(need.needed),
        "add": need.add,
    }


def _step(plan: BcpPlan, step_id: int, wave: int, restored: set[int]) -> dict[str, Any]:
    step = plan.ordering.steps[step_id]
    return {
        "step": step_id,
        "wave": wave,
        "depends_on": sorted(d for d in plan.ordering.dag.successors(step_id) if d in restored),
        "services": list(step.services),
        "cycle": step.cycle,
        "actions": {name: plan.scale_ups[name].action.value for name in step.services},
        "add": {
            name: add
            for name in step.services
            if (add := plan.scale_ups[name].add) and any(add.values())
        },
        "duration": plan.durations[step_id],
        "start_at": plan.schedule.start_at[step_id],
        "ready_at": plan.schedule.ready_at[step_id],
    }


def _flow(timing: FlowTiming) -> dict[str, Any]:
    return {
        "flow": timing.flow,
        "rto": timing.rto_seconds,
        "ready_at": timing.ready_at,
        "meets_rto": timing.meets_rto,
        "late_by": timing.late_by,
        "critical_path": [
            {"step": p.step, "label": p.label, "duration": p.duration, "ready_at": p.ready_at}
            for p in timing.critical_path
        ],
    }


def plan_to_dict(plan: BcpPlan) -> dict[str, Any]:
    scenario = plan.scenario
    restored = {s for wave in plan.bring_up for s in wave}
    return {
        "v": PLAN_VERSION,
        "scenario": {
            "failed_zones": sorted(scenario.failed_zones),
            "failed_services": sorted(scenario.failed_services),
            "follow_undeclared": scenario.follow_undeclared,
            "description": scenario.describe(),
        },
        "summary": {
            "scope_services": len(plan.scope.nodes),
            "flow_members": len(plan.scope.flow_members),
            "steps_to_restore": len(restored),
            "bring_up_waves": len(plan.bring_up),
            "shutdown_waves": len(plan.shutdown),
            "cycles": len(plan.ordering.cycles),
            "instances_to_add": sum(need.total_add for need in plan.scale_ups.values()),
            "ready_at": plan.ready_at,
            "flows": len(plan.flows),
            "late_flows": len(plan.late_flows),
        },
        "bring_up": [
            {"wave": n, "steps": [_step(plan, s, n, restored) for s in wave]}
            for n, wave in enumerate(plan.bring_up, 1)
        ],
        "shutdown": [
            {"wave": n, "steps": [list(plan.ordering.steps[s].services) for s in wave]}
            for n, wave in enumerate(plan.shutdown, 1)
        ],
        "cycles": [list(step.services) for step in plan.ordering.cycles],
        "scale_up": [
            scale_row(need) for need in plan.scale_ups.values() if need.action is not Action.NONE
        ],
        "flows": [_flow(timing) for timing in plan.flows],
        "unaffected_flows": list(plan.unaffected_flows),
        "undeclared_edges": [
            {"client": e.client, "server": e.server, "port": e.port} for e in plan.scope.undeclared
        ],
        "warnings": list(plan.warnings),
    }
