"""The estate as plain data: who owns which address, who connects to whom, what the truth holds.

The generator fills these in from a seed; the traffic sampler and the writers only read them.
An address acts for a node over an interval (an ``Endpoint``), so an address handed from one
service to another during a deployment is two endpoints with disjoint lifetimes, and the truth
names every connection's ends without asking the product's attribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

START: Final = 1_714_557_600
"""2024-05-01T10:00:00Z: the first second of every generated estate (a window boundary)."""
ZONES: Final = ("a", "b")
UNATTRIBUTED: Final = "unattributed:"


def unattributed(address: str) -> str:
    """The node the stream names an address nobody owns after."""
    return f"{UNATTRIBUTED}{address}"


@dataclass(frozen=True, slots=True)
class EstateParams:
    """The knobs: size, duration and seed. Everything else follows from them."""

    services: int = 24
    """Application services (data stores, monitoring and the load balancer come on top)."""
    instances: int = 3
    """Typical instances per service; each service gets this many, give or take one."""
    minutes: int = 10
    """Length of the mirrored traffic."""
    seed: int = 1
    clusters: int | None = None
    """Data-store clusters to build (engines in turn); None: one per eight services, at least 3."""

    def __post_init__(self) -> None:
        limits = {"services": (6, 800), "instances": (1, 30), "minutes": (1, 24 * 60)}
        for name, (low, high) in limits.items():
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"{name}={getattr(self, name)} is outside {low}..{high}")
        if self.clusters is not None and not 0 <= self.clusters <= 100:
            raise ValueError(f"clusters={self.clusters} is outside 0..100")

    @property
    def cluster_count(self) -> int:
        return self.clusters if self.clusters is not None else max(3, self.services // 8)

    @property
    def start(self) -> float:
        return float(START)

    @property
    def end(self) -> float:
        return float(START + 60 * self.minutes)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One address acting for one node (service or unattributed address) over [start, end)."""

    address: str
    node: str
    zone: str | None
    start: float
    end: float

    @property
    def ipv6(self) -> bool:
        return ":" in self.address


@dataclass(frozen=True, slots=True)
class Flow:
    """Connections from each client endpoint to one of the servers, as a Poisson process.

    Each connection picks a server endpoint active at its time, of the client's address family,
    preferring the client's zone. ``tries`` SYNs go out when nobody answers (retransmissions);
    an answered connection is one SYN and one SYN-ACK.
    """

    label: str
    """What the traffic stands for: call, pool, vip, lb, peer, store, down, external, ..."""
    clients: tuple[Endpoint, ...]
    servers: tuple[Endpoint, ...]
    port: int
    per_minute: float
    """Connections per minute from each client endpoint."""
    answered: bool = True
    tries: int = 1
    at_least_once: bool = False
    """Every client endpoint connects at least once (long-lived peer links seen reopening)."""


@dataclass(frozen=True, slots=True)
class Probe:
    """Health checks: every client endpoint connects to every server endpoint once a period."""

    clients: tuple[Endpoint, ...]
    servers: tuple[Endpoint, ...]
    port: int
    period: float
    answered: bool = True


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """One SYN of a sweep: answered by a listener, refused (RST) by a live host, else silence."""

    address: str
    port: int
    node: str
    answers: bool
    refuses: bool


@dataclass(frozen=True, slots=True)
class Scan:
    """A port scanner: one SYN to each target, ``spacing`` seconds apart."""

    source: Endpoint
    targets: tuple[ScanTarget, ...]
    start: float
    spacing: float


@dataclass(frozen=True, slots=True)
class Store:
    """A data store: the truth of a cluster when it has two members or more."""

    engine: str
    """The product's engine label: redis, cassandra, ..., or unknown:<port>."""
    name: str
    members: tuple[str, ...]
    member_nodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OwnerEntry:
    """One owner item of the inventory file."""

    addresses: tuple[str, ...]
    service: str
    instance: str
    zone: str | None
    valid_from: float | None = None
    valid_until: float | None = None


@dataclass(frozen=True, slots=True)
class VipEntry:
    """One VIP item of the inventory file; no port: every port."""

    address: str
    port: int | None
    service: str
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """An address handed from one service to another at ``at`` (a deployment)."""

    address: str
    old: str
    new: str
    at: float


@dataclass
class Estate:
    """Everything the writers need; the truth's edges come from sampling the traffic."""

    params: EstateParams
    owners: list[OwnerEntry] = field(default_factory=list)
    vips: list[VipEntry] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    scans: list[Scan] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    down: list[str] = field(default_factory=list)
    """Services whose instances never answer."""
    services: list[str] = field(default_factory=list)
    """Every service the inventory names."""
