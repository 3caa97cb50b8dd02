"""Time to restore: earliest ready times through the bring-up order, and each flow's RTO.

A step starts once every step it depends on is ready and takes as long as its slowest member
that has instances to start (a cycle's members start together). The ready time of a step is
therefore the longest path of durations through the condensed DAG down to it, the critical
path method: one pass in dependency order, keeping for each step the dependency that made it
wait longest, so the path behind any ready time can be walked back. A flow is restored when
its last member is ready; its RTO is the smallest RTO declared among its members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.bcp_order import Ordering


@dataclass(frozen=True, slots=True)
class PathStep:
    step: int
    label: str
    """The service, or the cycle's members in braces."""
    duration: float
    ready_at: float


@dataclass(frozen=True, slots=True)
class FlowTiming:
    flow: str
    rto_seconds: float | None
    """Smallest RTO among the flow's members; None when none declares one."""
    ready_at: float
    """Seconds after the start of the recovery when the last member is ready."""
    critical_path: tuple[PathStep, ...]
    """The chain of steps that makes ``ready_at``, dependencies first."""

    @property
    def meets_rto(self) -> bool | None:
        return None if self.rto_seconds is None else self.ready_at <= self.rto_seconds

    @property
    def late_by(self) -> float:
        return 0.0 if self.rto_seconds is None else max(0.0, self.ready_at - self.rto_seconds)


@dataclass(frozen=True, slots=True)
class Schedule:
    ready_at: Mapping[int, float]
    """Per step, seconds after the recovery starts."""
    start_at: Mapping[int, float]
    via: Mapping[int, int | None]
    """The dependency that made each step wait longest (None: nothing to wait for; the
    lowest id wins a tie)."""


def schedule(ordering: Ordering, durations: Mapping[int, float]) -> Schedule:
    """Earliest start and ready times of every step (``durations`` by step id, default 0)."""
    ready: dict[int, float] = {}
    start: dict[int, float] = {}
    via: dict[int, int | None] = {}
    for step in ordering.dependencies_first():
        latest: int | None = None
        begin = 0.0
        for dependency in sorted(ordering.dag.successors(step)):
            if ready[dependency] > begin:
                latest, begin = dependency, ready[dependency]
        start[step], via[step] = begin, latest
        ready[step] = begin + durations.get(step, 0.0)
    return Schedule(ready, start, via)


def critical_path(
    ordering: Ordering, plan: Schedule, durations: Mapping[int, float], last: int
) -> tuple[PathStep, ...]:
    """The chain of waits that ends at step ``last``, dependencies first."""
    path: list[PathStep] = []
    current: int | None = last
    while current is not None:
        label = ordering.steps[current].label
        path.append(PathStep(current, label, durations.get(current, 0.0), plan.ready_at[current]))
        current = plan.via[current]
    return tuple(reversed(path))


def flow_timings(
    ordering: Ordering,
    plan: Schedule,
    durations: Mapping[int, float],
    members: Mapping[str, frozenset[str]],
    rto: Mapping[str, float | None],
) -> list[FlowTiming]:
    """One timing per flow (by name) from its members' ready times and RTOs."""
    timings = []
    for flow in sorted(members):
        steps = {ordering.step_of[name] for name in members[flow] if name in ordering.step_of}
        if not steps:
            continue
        # The latest member; ties go to the lowest step id so plans are reproducible.
        last = min(steps, key=lambda step: (-plan.ready_at[step], step))
        timings.append(
            FlowTiming(
                flow,
                rto.get(flow),
                plan.ready_at[last],
                critical_path(ordering, plan, durations, last),
            )
        )
    return timings
