"""Application services: names, tiers, ports, instances in two zones, and how the inventory says so.

Most services declare one address per instance (IPv4 and IPv6 on one host); a fifth declare a
pod block per zone instead, so attribution goes through the longest-prefix path. A service's
callers reach it over IPv6 when ``ipv6`` is set, and through its VIP when it has one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final

from bench.estate import addressing
from bench.estate.model import ZONES, Endpoint, EstateParams, OwnerEntry

DOMAINS: Final = (
    "orders", "payments", "checkout", "catalog", "search", "cart", "users", "auth", "billing",
    "shipping", "stock", "pricing", "reviews", "ratings", "notify", "email", "sms", "media",
    "images", "video", "recommend", "ads", "analytics", "reports", "fraud", "risk", "ledger",
    "invoices", "accounts", "profiles", "sessions", "gateway", "geo", "tax", "loyalty",
    "coupons", "returns", "warehouse", "fulfilment", "support", "chat", "feeds", "social",
    "audit", "config", "flags", "identity", "consent", "partners", "quotes",
)  # fmt: skip
ROLES: Final = ("api", "worker", "web", "svc", "backend", "grpc", "sync", "jobs")
SERVICE_PORTS: Final = {8080: 35, 50051: 15, 8443: 10, 443: 10, 8000: 10, 3000: 8, 9000: 7, 5000: 5}
"""Ports services listen on, with weights; 3000, 5000 and 9000 are also data-store ports."""
TIER_SHARES: Final = (0.1, 0.3, 0.35, 0.25)
"""Edge, front, middle and leaf services: calls go from a tier to the tiers below it."""


@dataclass
class Instance:
    """One host or pod group of a service; ``v6`` is None for IPv4-only hosts."""

    name: str
    zone: str
    v4: str
    v6: str | None
    start: float
    end: float
    valid_from: float | None = None
    """Inventory bounds of a host entry (an address handed over during a deployment)."""
    valid_until: float | None = None
    in_block: bool = True
    """Covered by the service's pod block (pod services only; a moved-in host is not)."""


@dataclass
class Service:
    """One application service and everything the traffic and the inventory need of it."""

    name: str
    unit: int
    port: int
    tier: int
    pods: bool = False
    ipv6: bool = False
    vip: str | None = None
    vip_all_ports: bool = False
    instances: list[Instance] = field(default_factory=list)

    def servers(self, ipv6: bool = False) -> tuple[Endpoint, ...]:
        """The endpoints callers connect to directly (both families when ``ipv6``)."""
        found = [self._endpoint(i, i.v4) for i in self.instances]
        if ipv6:
            found += [self._endpoint(i, i.v6) for i in self.instances if i.v6 is not None]
        return tuple(found)

    def clients(self, ipv6: bool = False) -> tuple[Endpoint, ...]:
        """One source endpoint per instance: its IPv6 address when asked and it has one."""
        return tuple(
            self._endpoint(i, i.v6 if ipv6 and i.v6 is not None else i.v4) for i in self.instances
        )

    def _endpoint(self, instance: Instance, address: str | None) -> Endpoint:
        assert address is not None
        return Endpoint(address, self.name, instance.zone, instance.start, instance.end)

    def owner_entries(self) -> list[OwnerEntry]:
        """The inventory items: a pod block (v4 and v6) per zone, or one per host."""
        blocks = [i for i in self.instances if self.pods and i.in_block]
        entries = [
            OwnerEntry(
                (addressing.block_v4(self.unit, z), addressing.block_v6(self.unit, z)),
                self.name,
                f"{self.name}-pods-{z}",
                z,
            )
            for z in sorted({i.zone for i in blocks})
        ]
        entries += [
            OwnerEntry(
                (i.v4,) if i.v6 is None else (i.v4, i.v6),
                self.name,
                i.name,
                i.zone,
                i.valid_from,
                i.valid_until,
            )
            for i in self.instances
            if i not in blocks
        ]
        return entries


def service_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct names like ``orders-api``; numbered once the combinations run out."""
    combos = [f"{domain}-{role}" for domain in DOMAINS for role in ROLES]
    rng.shuffle(combos)
    return [
        combos[n % len(combos)] + (f"-{n // len(combos) + 1}" if n >= len(combos) else "")
        for n in range(count)
    ]


def build_services(rng: random.Random, params: EstateParams, units: list[int]) -> list[Service]:
    """The application services, tiered, with instances spread over the zones."""
    names = service_names(rng, params.services)
    ports, weights = list(SERVICE_PORTS), list(SERVICE_PORTS.values())
    bounds = _tier_bounds(params.services)
    services = []
    for n, name in enumerate(names):
        tier = next(t for t, bound in enumerate(bounds) if n < bound)
        service = Service(
            name=name,
            unit=units.pop(0),
            port=rng.choices(ports, weights)[0],
            tier=tier,
            pods=rng.random() < 0.2,
        )
        add_instances(rng, service, params)
        services.append(service)
    return services


def _tier_bounds(count: int) -> list[int]:
    bounds, total = [], 0.0
    for share in TIER_SHARES:
        total += share
        bounds.append(max(1, round(total * count)))
    bounds[-1] = count
    return bounds


def add_instances(rng: random.Random, service: Service, params: EstateParams) -> None:
    """Instances alternate between the zones; one service in five lives in a single zone."""
    count = min(addressing.MAX_HOSTS, max(1, params.instances + rng.choice((-1, 0, 0, 1))))
    first = rng.randrange(2)
    single = rng.random() < 0.2
    hosts = dict.fromkeys(ZONES, 0)
    for k in range(count):
        zone = ZONES[first if single else (first + k) % 2]
        hosts[zone] += 1
        host = hosts[zone]
        name = f"{service.name}-pods-{zone}" if service.pods else f"{service.name}-{k + 1}"
        service.instances.append(
            Instance(
                name=name,
                zone=zone,
                v4=addressing.host_v4(service.unit, zone, host),
                v6=addressing.host_v6(service.unit, zone, host),
                start=params.start,
                end=params.end,
            )
        )
