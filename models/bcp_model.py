"""What the BCP planner and checks read: services, dependency edges and a failure scenario.

Plain frozen values, built by adapters from the graph store and its overlays or from a JSON
topology and an annotations file, so the planning logic never knows where they came from.
A missing annotation stays ``None`` (unknown), never a made-up default: the plan and the
checks say what they could not judge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from models.errors import MeeseeksError


class BcpError(MeeseeksError):
    """BCP input that cannot be planned or checked as given; the message says what to fix."""


_EMPTY: Mapping[str, float] = MappingProxyType({})


def _frozen_counts(name: str, counts: Mapping[str, float]) -> Mapping[str, float]:
    if not counts:
        return _EMPTY
    for zone, count in counts.items():
        if not zone or not math.isfinite(count) or count < 0:
            raise BcpError(f"{name}: zone {zone!r} has {count!r}; use a zone name and a count >= 0")
    return MappingProxyType(dict(sorted(counts.items())))


@dataclass(frozen=True, slots=True)
class BcpService:
    """A node of the graph (service or data-store cluster) with what the overlays say of it."""

    name: str
    zone_instances: Mapping[str, int] = field(default_factory=dict)
    """Instances per zone today (inventory); empty when unknown."""
    criticality: int | None = None
    """Rank of the criticality level, 0 the most critical; None when not annotated."""
    criticality_label: str | None = None
    """The level as the overlay spells it (``P0``, ``tier-1``, ...)."""
    rto_seconds: float | None = None
    """Recovery time objective."""
    startup_seconds: float | None = None
    """Time from starting an instance to it serving."""
    flows: frozenset[str] = frozenset()
    """BCP flows the service belongs to."""
    datastore: bool = False
    """A data-store cluster rather than an application service."""
    annotated: bool = False
    """The BCP overlay mentions this node at all."""
    zones: frozenset[str] = field(init=False, compare=False, repr=False)
    """Zones with at least one instance (derived from ``zone_instances``)."""

    def __post_init__(self) -> None:
        counts = _frozen_counts(self.name, self.zone_instances)
        if any(count != int(count) for count in counts.values()):
            raise BcpError(f"{self.name}: instance counts must be whole numbers")
        object.__setattr__(self, "zone_instances", counts)
        object.__setattr__(self, "zones", frozenset(z for z, n in counts.items() if n > 0))
        for label, value in (("rto", self.rto_seconds), ("startup", self.startup_seconds)):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise BcpError(f"{self.name}: {label} {value!r} must be a duration >= 0 seconds")
        object.__setattr__(self, "flows", frozenset(self.flows))

    @property
    def instances(self) -> int:
        return int(sum(self.zone_instances.values()))


@dataclass(frozen=True, slots=True)
class DependencyEdge:
    """A client depending on a server: observed traffic, a BCP annotation, or both."""

    client: str
    server: str
    port: int | None = None
    """Server port; None for an annotation that names no port (any port)."""
    essential: bool | None = None
    """True essential, False optional, None when no overlay mentions the edge."""
    rate: float = 0.0
    """Recent connection attempts per second (0 when not observed)."""
    last_seen: float | None = None
    """Event time of the last observed attempt; None for an edge never observed."""
    server_zone_rates: Mapping[str, float] = field(default_factory=dict)
    """Observed attempts per second into each zone of the server; empty when unknown."""

    def __post_init__(self) -> None:
        rates = _frozen_counts(f"{self.client} -> {self.server}", self.server_zone_rates)
        object.__setattr__(self, "server_zone_rates", rates)

    @property
    def observed(self) -> bool:
        return self.last_seen is not None

    def describe(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.client} -> {self.server}{port}"


@dataclass(frozen=True, slots=True)
class BcpEstate:
    """The graph the planner and the checks work on."""

    services: Mapping[str, BcpService]
    edges: tuple[DependencyEdge, ...]
    at: float = 0.0
    """Event time the observations are current to (the graph's newest change)."""
    observed_since: float | None = None
    """Event time the observation started; None when unknown (no unobserved-edge check)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "services", MappingProxyType(dict(self.services)))
        object.__setattr__(self, "edges", tuple(self.edges))

    @classmethod
    def of(
        cls,
        services: Iterable[BcpService],
        edges: Iterable[DependencyEdge],
        at: float = 0.0,
        observed_since: float | None = None,
    ) -> BcpEstate:
        """Services by name; an edge end nobody described becomes a bare service."""
        by_name = {service.name: service for service in services}
        edge_list = tuple(edges)
        for edge in edge_list:
            for name in (edge.client, edge.server):
                if name not in by_name:
                    by_name[name] = BcpService(name)
        return cls(by_name, edge_list, at, observed_since)

    @property
    def zones(self) -> frozenset[str]:
        """Every zone any node has instances in."""
        return frozenset(zone for s in self.services.values() for zone in s.zones)

    @property
    def flows(self) -> frozenset[str]:
        return frozenset(flow for s in self.services.values() for flow in s.flows)


@dataclass(frozen=True, slots=True)
class Scenario:
    """What fails: whole zones, and/or services in every zone."""

    failed_zones: frozenset[str] = frozenset()
    failed_services: frozenset[str] = frozenset()
    follow_undeclared: bool = False
    """Treat observed edges no overlay mentions as essential (a cautious plan)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "failed_zones", frozenset(self.failed_zones))
        object.__setattr__(self, "failed_services", frozenset(self.failed_services))
        if not self.failed_zones and not self.failed_services:
            raise BcpError("a scenario needs a failing zone or failing services (--fail-zone Z)")

    def describe(self) -> str:
        parts = []
        if self.failed_zones:
            parts.append("zone " + ", ".join(sorted(self.failed_zones)) + " fails")
        if self.failed_services:
            parts.append("services " + ", ".join(sorted(self.failed_services)) + " fail")
        return " and ".join(parts)
