"""The continuous BCP checks: where the overlay and the observed graph disagree, or the estate
would not survive a zone failure. Pure: an estate in, findings out, the same every time.

- criticality inversion: an essential dependency less critical than its client (warning), or
  with a longer RTO, which makes the client's RTO impossible (critical);
- undeclared dependency: recent traffic from a BCP service (one in the BCP scope) over an edge
  no overlay mentions;
- unobserved dependency: an essential edge without traffic for the whole learning period,
  judged only once the observation has lasted that long;
- single zone: a node of the BCP scope (critical) or a data-store cluster (warning) with every
  instance in one zone;
- cross-zone dependency: an essential edge from a zone where the server has no instance.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.anomaly_record import Severity
from models.bcp_finding import BcpFinding, FindingKind
from models.bcp_model import BcpEstate, BcpService, DependencyEdge
from models.bcp_scope import bcp_scope


@dataclass(frozen=True, slots=True)
class CheckParams:
    learning_seconds: float = 86400.0
    """How long an essential edge may stay silent, and how recent traffic counts as current."""


def edge_subject(edge: DependencyEdge) -> str:
    return f"{edge.client}|{edge.server}|{'*' if edge.port is None else edge.port}"


def check_estate(estate: BcpEstate, params: CheckParams) -> list[BcpFinding]:
    """Every finding of the estate, by dedup key."""
    scope = bcp_scope(estate).nodes
    found = [
        *criticality_inversions(estate),
        *declaration_gaps(estate, scope, params),
        *zone_risks(estate, scope),
    ]
    return sorted(found, key=lambda finding: finding.dedup_key)


def criticality_inversions(estate: BcpEstate) -> list[BcpFinding]:
    out = []
    for edge in estate.edges:
        if edge.essential is not True or edge.client == edge.server:
            continue
        client, server = estate.services[edge.client], estate.services[edge.server]
        values: dict[str, float] = {}
        reasons = []
        if (
            client.criticality is not None
            and server.criticality is not None
            and server.criticality > client.criticality
        ):
            values.update(client_level=client.criticality, server_level=server.criticality)
            reasons.append(f"{_level(server)} under {_level(client)}")
        if (
            client.rto_seconds is not None
            and server.rto_seconds is not None
            and server.rto_seconds > client.rto_seconds
        ):
            values.update(client_rto=client.rto_seconds, server_rto=server.rto_seconds)
            reasons.append(
                f"RTO {server.rto_seconds:g}s above the client's {client.rto_seconds:g}s"
            )
        if reasons:
            out.append(
                BcpFinding(
                    FindingKind.CRITICALITY_INVERSION,
                    edge_subject(edge),
                    Severity.CRITICAL if "client_rto" in values else Severity.WARNING,
                    f"{edge.describe()} is essential but its server is less critical: "
                    + "; ".join(reasons),
                    values,
                )
            )
    return out


def _level(service: BcpService) -> str:
    return service.criticality_label or f"level {service.criticality}"


def declaration_gaps(
    estate: BcpEstate, scope: frozenset[str], params: CheckParams
) -> list[BcpFinding]:
    learned = (
        estate.observed_since is not None
        and estate.at - estate.observed_since >= params.learning_seconds
    )
    out = []
    for edge in estate.edges:
        recent = edge.last_seen is not None and estate.at - edge.last_seen < params.learning_seconds
        if (
            edge.essential is None
            and recent
            and edge.client in scope
            and edge.client != edge.server
        ):
            out.append(
                BcpFinding(
                    FindingKind.UNDECLARED_DEPENDENCY,
                    edge_subject(edge),
                    Severity.WARNING,
                    f"{edge.describe()} carries traffic ({edge.rate:.3g}/s) but no overlay says "
                    "whether it is essential or optional",
                    {"rate": edge.rate, "last_seen": edge.last_seen or 0.0},
                )
            )
        elif edge.essential is True and learned and not recent:
            silent = estate.at - (edge.last_seen if edge.last_seen is not None else 0.0)
            never = edge.last_seen is None
            out.append(
                BcpFinding(
                    FindingKind.UNOBSERVED_DEPENDENCY,
                    edge_subject(edge),
                    Severity.WARNING,
                    f"{edge.describe()} is declared essential but "
                    + ("was never observed" if never else f"has been silent for {silent:.0f}s"),
                    {
                        "last_seen": edge.last_seen or 0.0,
                        "learning_seconds": params.learning_seconds,
                    },
                )
            )
    return out


def zone_risks(estate: BcpEstate, scope: frozenset[str]) -> list[BcpFinding]:
    out = []
    for name, service in sorted(estate.services.items()):
        in_scope = name in scope
        if not (in_scope or service.datastore) or len(service.zones) != 1:
            continue
        (zone,) = service.zones
        out.append(
            BcpFinding(
                FindingKind.SINGLE_ZONE,
                name,
                Severity.CRITICAL if in_scope else Severity.WARNING,
                f"{name} runs all {service.instances} instance(s) in zone {zone}: "
                "a failure of that zone takes it down",
                {"instances": service.instances},
            )
        )
    for edge in estate.edges:
        if edge.essential is not True or edge.client == edge.server:
            continue
        client, server = estate.services[edge.client], estate.services[edge.server]
        if not client.zones or not server.zones:
            continue
        stranded = sorted(client.zones - server.zones)
        if stranded:
            out.append(
                BcpFinding(
                    FindingKind.CROSS_ZONE_DEPENDENCY,
                    edge_subject(edge),
                    Severity.WARNING,
                    f"{edge.describe()} is essential but the server has no instance in zone "
                    f"{', '.join(stranded)} where the client runs: those calls cross zones",
                    {"zones_without_server": len(stranded)},
                )
            )
    return out
