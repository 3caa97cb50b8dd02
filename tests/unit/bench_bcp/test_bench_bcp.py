"""The BCP benchmark's estate is deterministic and its consistency checks catch broken plans."""

from __future__ import annotations

from dataclasses import replace

from bench.bcp.estate import build
from bench.bcp.verify import check_plan
from models.bcp_build import build_estate
from models.bcp_model import Scenario
from models.bcp_order import Step
from models.bcp_plan import BcpPlan, plan_failure

FAIL_A = Scenario(frozenset({"a"}))


def planned(services: int = 600) -> tuple[BcpPlan, object, list[frozenset[str]]]:
    synthetic = build(services, seed=3)
    estate = build_estate(
        synthetic.rows, synthetic.notes, synthetic.zone_counts, synthetic.address_zones.get
    )
    return plan_failure(estate, FAIL_A), estate, synthetic.cycles


def test_the_estate_is_the_same_for_the_same_seed_and_has_cycles_and_stores() -> None:
    first, second = build(600, seed=3), build(600, seed=3)

    assert first.rows == second.rows
    assert first.notes == second.notes
    assert first.cycles == second.cycles
    assert len(first.rows.clusters) == 12
    assert len(first.cycles) >= 5
    assert 2.0 <= len(first.rows.edges) / 600 <= 3.0


def test_a_real_plan_passes_every_check() -> None:
    plan, estate, cycles = planned()

    problems = check_plan(plan, estate, cycles)  # type: ignore[arg-type]

    assert problems == {name: [] for name in problems}
    assert plan.ordering.cycles, "the estate should put some cycle in scope"


def test_a_wave_out_of_order_is_caught() -> None:
    plan, estate, cycles = planned()
    swapped = replace(
        plan,
        ordering=replace(plan.ordering, bring_up=tuple(reversed(plan.ordering.bring_up))),
    )

    problems = check_plan(swapped, estate, cycles)  # type: ignore[arg-type]

    assert problems["dependency before dependent"]


def test_a_cycle_split_in_two_is_caught() -> None:
    plan, estate, cycles = planned()
    cycle = plan.ordering.cycles[0]
    first, rest = cycle.services[0], cycle.services[1:]
    steps = list(plan.ordering.steps)
    steps[cycle.id] = Step(cycle.id, rest)
    step_of = {**plan.ordering.step_of, first: len(steps)}
    steps.append(Step(len(steps), (first,)))
    broken = replace(plan, ordering=replace(plan.ordering, steps=tuple(steps), step_of=step_of))

    problems = check_plan(broken, estate, cycles)  # type: ignore[arg-type]

    assert problems["every cycle reported"]
