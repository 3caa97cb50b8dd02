"""The BCP checks' Prometheus metrics, registered on the registry they are given.

Labels are bounded: finding kinds and severities, transitions, run results, and zones (an
estate has a handful; past ``MAX_ZONES`` the rest are summed into ``other``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from models.anomaly_record import Severity
from models.anomaly_tracker import TransitionKind
from models.bcp_finding import FindingKind

MAX_ZONES = 16
RUN_RESULTS = ("ok", "failed")


@dataclass(frozen=True)
class BcpMetrics:
    findings_active: Gauge
    transitions: Counter
    runs: Counter
    last_success: Gauge
    run_seconds: Gauge
    flows_missing_rto: Gauge
    dr_events: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> BcpMetrics:
        metrics = cls(
            findings_active=Gauge(
                "meeseeks_bcp_findings_active",
                "BCP and Data-DR findings of the last check run, by kind and severity.",
                ["kind", "severity"],
                registry=registry,
            ),
            transitions=Counter(
                "meeseeks_bcp_finding_transitions_total",
                "Findings raised, updated and resolved, by kind.",
                ["kind", "transition"],
                registry=registry,
            ),
            runs=Counter(
                "meeseeks_bcp_check_runs_total",
                "Runs of the BCP checks, by result (failed: the store could not be read).",
                ["result"],
                registry=registry,
            ),
            last_success=Gauge(
                "meeseeks_bcp_check_last_success_timestamp_seconds",
                "Wall-clock time of the last check run that completed.",
                registry=registry,
            ),
            run_seconds=Gauge(
                "meeseeks_bcp_check_duration_seconds",
                "How long the last check run took: reading the store, checks and zone plans.",
                registry=registry,
            ),
            flows_missing_rto=Gauge(
                "meeseeks_bcp_flows_missing_rto",
                "BCP flows whose plan for a failure of the zone misses their RTO, by zone.",
                ["zone"],
                registry=registry,
            ),
            dr_events=Counter(
                "meeseeks_bcp_dr_events_published_total",
                "Data-DR finding events sent to the DR-events topic.",
                registry=registry,
            ),
        )
        for kind in FindingKind:
            for severity in Severity:
                metrics.findings_active.labels(kind.value, severity.value).set(0)
            for transition in TransitionKind:
                metrics.transitions.labels(kind.value, transition.value)
        for result in RUN_RESULTS:
            metrics.runs.labels(result)
        return metrics

    def set_findings(self, counts: Mapping[tuple[str, str], int]) -> None:
        for (kind, severity), count in counts.items():
            self.findings_active.labels(kind, severity).set(count)

    def set_late_flows(self, by_zone: Mapping[str, int]) -> None:
        self.flows_missing_rto.clear()
        zones = sorted(by_zone)
        for zone in zones[:MAX_ZONES]:
            self.flows_missing_rto.labels(zone).set(by_zone[zone])
        if len(zones) > MAX_ZONES:
            self.flows_missing_rto.labels("other").set(sum(by_zone[z] for z in zones[MAX_ZONES:]))
