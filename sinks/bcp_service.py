"""The BCP checks as a service: read the inputs, judge them, track what changed, export it.

One run reads the graph and overlays, runs the BCP and Data-DR checks, plans the failure of
every zone in turn (flows that would miss their RTO become a gauge per zone), and turns the
findings into raise/update/resolve events against the previous run. The worker calls it on
a timer; ``meeseeks bcp check`` calls it once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from models.anomaly_record import Severity
from models.bcp_checks import CheckParams, check_estate
from models.bcp_finding import BcpFinding, FindingEvent
from models.bcp_model import BcpEstate, Scenario
from models.bcp_plan import plan_failure
from models.bcp_tracker import FindingTracker
from models.dr_checks import check_backups
from sinks.bcp_metrics import BcpMetrics
from sinks.bcp_sources import BcpInputs

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckRun:
    at: float
    """Wall-clock time of the run."""
    findings: tuple[BcpFinding, ...]
    events: tuple[FindingEvent, ...]
    """What changed since the previous run of the same checker."""
    late_flows: dict[str, int]
    """Per zone: flows whose plan for that zone's failure misses their RTO."""

    @property
    def critical(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.CRITICAL)


def late_flows_by_zone(estate: BcpEstate) -> dict[str, int]:
    """Plan the failure of each zone alone; count the flows that miss their RTO."""
    return {
        zone: len(plan_failure(estate, Scenario(frozenset({zone}))).late_flows)
        for zone in sorted(estate.zones)
    }


def evaluate(inputs: BcpInputs, params: CheckParams, now: float) -> list[BcpFinding]:
    """Every finding of the inputs, BCP then Data-DR, each group in dedup-key order."""
    return [*check_estate(inputs.estate, params), *check_backups(inputs.stores, now)]


class BcpChecker:
    """Runs the checks and remembers what was raised, for events and the gauges."""

    def __init__(
        self,
        params: CheckParams,
        metrics: BcpMetrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.params = params
        self.metrics = metrics
        self.clock = clock
        self.tracker = FindingTracker()
        self.last: CheckRun | None = None

    def run(self, load: Callable[[], BcpInputs]) -> CheckRun:
        """Load the inputs and judge them; a load that fails is counted and raised again."""
        started = time.perf_counter()
        try:
            inputs = load()
        except Exception:
            if self.metrics is not None:
                self.metrics.runs.labels("failed").inc()
            raise
        now = self.clock()
        findings = evaluate(inputs, self.params, now)
        late = late_flows_by_zone(inputs.estate)
        events = self.tracker.observe(findings, now)
        run = CheckRun(now, tuple(findings), tuple(events), late)
        self.last = run
        if self.metrics is not None:
            self.metrics.runs.labels("ok").inc()
            self.metrics.set_findings(self.tracker.counts())
            self.metrics.set_late_flows(late)
            for event in events:
                kind, transition = event.finding.kind.value, event.transition.value
                self.metrics.transitions.labels(kind, transition).inc()
            self.metrics.last_success.set(now)
            self.metrics.run_seconds.set(time.perf_counter() - started)
        logger.info(
            "BCP checks: %d findings (%d critical), %d changes, flows late per zone %s",
            len(findings),
            run.critical,
            len(events),
            late,
        )
        return run
