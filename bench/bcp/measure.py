"""One estate size, measured in a process of its own so that its memory is its own."""

from __future__ import annotations

import gc
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, TypeVar

from bench.bcp.estate import build
from bench.bcp.verify import check_plan
from models.bcp_build import build_estate
from models.bcp_checks import CheckParams, check_estate
from models.bcp_model import BcpEstate, Scenario
from models.bcp_plan import BcpPlan, plan_failure
from models.bcp_plan_json import plan_to_dict

FAIL = Scenario(frozenset({"a"}))
_T = TypeVar("_T")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(repeat: int, work: Callable[[], _T]) -> tuple[_T, tuple[list[float], list[float]]]:
    """The result of the last run, and the wall and CPU seconds of every run."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        gc.collect()
        started, used = time.perf_counter(), time.process_time()
        result = work()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    assert result is not None
    return result, (wall, cpu)


def measure(services: int, edges_per_service: float, seed: int, repeat: int) -> dict[str, Any]:
    started = time.perf_counter()
    synthetic = build(services, edges_per_service, seed)
    generated_s = time.perf_counter() - started
    rss_inputs = _rss_mib()

    def estate() -> BcpEstate:
        return build_estate(
            synthetic.rows, synthetic.notes, synthetic.zone_counts, synthetic.address_zones.get
        )

    built, build_times = _timed(repeat, estate)
    plan: BcpPlan
    plan, plan_times = _timed(repeat, lambda: plan_failure(built, FAIL))
    body, json_times = _timed(repeat, lambda: plan_to_dict(plan))
    findings, check_times = _timed(repeat, lambda: check_estate(built, CheckParams(3600.0)))
    peak_rss = _rss_mib()
    tracemalloc.start()
    plan_failure(estate(), FAIL)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    problems = check_plan(plan, built, synthetic.cycles)
    verify_s = time.perf_counter() - started
    scope_cycles = [c for c in synthetic.cycles if c <= plan.scope.nodes]
    return {
        "services": services,
        "graph": {
            "nodes": len(synthetic.rows.nodes),
            "edges": len(synthetic.rows.edges),
            "clusters": len(synthetic.rows.clusters),
            "planner_nodes": len(built.services),
            "planner_edges": len(built.edges),
            "injected_cycles": len(synthetic.cycles),
            "injected_cycles_in_scope": len(scope_cycles),
        },
        "generate_s": generated_s,
        "seconds": {
            name: {
                "median": statistics.median(wall),
                "cpu_median": statistics.median(cpu),
                "all": wall,
                "cpu_all": cpu,
            }
            for name, (wall, cpu) in (
                ("build_estate", build_times),
                ("plan_failure", plan_times),
                ("plan_to_json", json_times),
                ("checks", check_times),
            )
        },
        "memory_mib": {
            "rss_after_inputs": rss_inputs,
            "peak_rss": peak_rss,
            "traced_peak_build_and_plan": traced_peak / 2**20,
        },
        "plan": body["summary"],
        "findings": len(findings),
        "verify_s": verify_s,
        "problems": problems,
        "consistent": not any(problems.values()),
    }
