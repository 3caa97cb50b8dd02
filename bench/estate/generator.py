"""Build a whole estate from its parameters: services, calls, VIPs, stores, and the noise.

One random stream, consumed in a fixed order, so a seed always gives the same estate. Besides
the calls between services and their data stores the estate has what makes real captures hard:
VIPs in front of some services (a load balancer behind them), addresses handed from one service
to another mid-run, a dependency that never answers, a monitoring service that checks every
declared endpoint a few times, callers of an outside SaaS, and a port scanner.
"""

from __future__ import annotations

import logging
import random
from typing import Final

from bench.estate import addressing
from bench.estate.dependencies import Dependency, build_dependencies, log_uniform
from bench.estate.model import (
    UNATTRIBUTED,
    ZONES,
    Endpoint,
    Estate,
    EstateParams,
    Flow,
    Move,
    Probe,
    VipEntry,
    unattributed,
)
from bench.estate.noise import scan
from bench.estate.services import Instance, Service, build_services
from bench.estate.stores import StoreBuilder

logger = logging.getLogger(__name__)

DRAIN: Final = 5.0
"""Seconds between the old owner's last connection and the hand-over (and after, the new's)."""
HEALTH_PERIODS: Final = (120.0, 180.0, 300.0)
EXTERNAL_PORT: Final = 443
FOREVER: Final = 1e12
DOWN: Final = "ledger-legacy"
"""The dependency that is down for the whole run."""


def generate(params: EstateParams) -> Estate:
    """The estate of ``params``; the same parameters always give the same estate."""
    rng = random.Random(f"estate:{params.seed}")
    units = list(range(addressing.MAX_UNITS))
    services = build_services(rng, params, units)
    calls = build_dependencies(rng, services)
    down = _infra(params, units, DOWN, 8080)
    monitoring = _infra(params, units, "monitoring", 9100)
    balancer = _infra(params, units, "edge-lb", 443)
    estate = Estate(params)
    estate.vips = _vips(rng, services)
    _ipv6(rng, services, calls)
    estate.moves = _moves(rng, params, services)
    stores = StoreBuilder(rng, params, services, units).build()
    estate.flows = [_call(call) for call in calls]
    estate.flows += _balanced(services, calls, balancer)
    estate.flows += _failing(rng, services, down)
    estate.flows += _external(rng, services)
    estate.flows += stores.flows
    estate.stores = stores.stores
    every = [*services, down, monitoring, balancer]
    estate.owners = [entry for s in every for entry in s.owner_entries()] + stores.owners
    estate.services = list(dict.fromkeys(entry.service for entry in estate.owners))
    estate.probes = _health_checks(rng, monitoring, [*services, down], stores.monitored)
    estate.down = [down.name]
    estate.scans = [scan(rng, params, estate)]
    logger.info(
        "estate: %d services, %d flows, %d stores",
        len(estate.services),
        len(estate.flows),
        len(estate.stores),
    )
    return estate


def _infra(params: EstateParams, units: list[int], name: str, port: int) -> Service:
    """A service with one host in each zone."""
    service = Service(name=name, unit=units.pop(0), port=port, tier=3)
    for k, zone in enumerate(ZONES):
        v4, v6 = (
            addressing.host_v4(service.unit, zone, 1),
            addressing.host_v6(service.unit, zone, 1),
        )
        service.instances.append(
            Instance(f"{name}-{k + 1}", zone, v4, v6, params.start, params.end)
        )
    return service


def _vips(rng: random.Random, services: list[Service]) -> list[VipEntry]:
    """A VIP for about one service in six with two instances or more; the first: every port."""
    entries: list[VipEntry] = []
    for service in services:
        if len(service.instances) >= 2 and rng.random() < 1 / 6:
            service.vip = f"{addressing.VIP_NET}.{len(entries) + 1}"
            service.vip_all_ports = not entries
            port = None if service.vip_all_ports else service.port
            entries.append(VipEntry(service.vip, port, service.name))
    return entries


def _health_checks(
    rng: random.Random,
    monitoring: Service,
    services: list[Service],
    stores: list[tuple[tuple[Endpoint, ...], int]],
) -> list[Probe]:
    """Monitoring checks every declared endpoint: services on their port, stores on theirs."""
    targets = [(s.servers(), s.port, s.name not in DOWN) for s in services]
    targets += [
        (tuple(m for m in ms if not m.node.startswith(UNATTRIBUTED)), p, True) for ms, p in stores
    ]
    return [
        Probe(monitoring.clients(), servers, port, rng.choice(HEALTH_PERIODS), answered)
        for servers, port, answered in targets
        if servers
    ]


def _ipv6(rng: random.Random, services: list[Service], calls: list[Dependency]) -> None:
    """About one called service in eight (at least one) is reached over IPv6 by its callers."""
    called = {c.server.name for c in calls if c.server.vip is None}
    candidates = [s for s in services if s.name in called]
    for service in rng.sample(candidates, min(len(candidates), max(1, len(candidates) // 8))):
        service.ipv6 = True


def _moves(rng: random.Random, params: EstateParams, services: list[Service]) -> list[Move]:
    """Addresses handed over mid-run: from a pod service first, then from host services."""
    moves: list[Move] = []
    donors = [s for s in services if len(s.instances) >= 2]
    donors.sort(key=lambda s: not s.pods)
    donors = donors[: max(1, params.services // 60)]
    takers = [s for s in services if s not in donors]
    for donor in donors:
        taker = rng.choice(takers)
        old = donor.instances[-1]
        at = float(round(params.start + rng.uniform(0.35, 0.65) * (params.end - params.start)))
        old.end = at - DRAIN
        if not donor.pods:
            old.valid_until = at
        taker.instances.append(
            Instance(
                name=f"{taker.name}-{len(taker.instances) + 1}",
                zone=old.zone,
                v4=old.v4,
                v6=None,
                start=at + DRAIN,
                end=params.end,
                valid_from=at,
                in_block=False,
            )
        )
        moves.append(Move(old.v4, donor.name, taker.name, at))
    return moves


def _call(call: Dependency) -> Flow:
    server = call.server
    ipv6 = server.ipv6 and server.vip is None
    if server.vip is not None:
        vip = Endpoint(server.vip, server.name, None, 0.0, FOREVER)
        servers: tuple[Endpoint, ...] = (vip,)
    else:
        servers = server.servers(ipv6)
    per_client = call.per_minute / len(call.client.instances)
    return Flow(call.label, call.client.clients(ipv6), servers, server.port, per_client)


def _balanced(services: list[Service], calls: list[Dependency], balancer: Service) -> list[Flow]:
    """The load balancer opens one backend connection per connection to the VIP."""
    flows = []
    for service in services:
        if service.vip is not None:
            rate = sum(c.per_minute for c in calls if c.server is service)
            per_client = max(rate, 0.2) / len(balancer.instances)
            flows.append(
                Flow("lb", balancer.clients(), service.servers(), service.port, per_client)
            )
    return flows


def _failing(rng: random.Random, services: list[Service], down: Service) -> list[Flow]:
    """Callers of the dependency that is down: every SYN goes out three times, none answered."""
    middle = [s for s in services if s.tier in (1, 2)] or services
    callers = rng.sample(middle, min(len(middle), rng.randint(1, 2)))
    return [
        Flow(
            "down",
            caller.clients(),
            down.servers(),
            down.port,
            log_uniform(rng, 1.0, 6.0) / len(caller.instances),
            answered=False,
            tries=3,
        )
        for caller in callers
    ]


def _external(rng: random.Random, services: list[Service]) -> list[Flow]:
    """A few services call a SaaS API outside the estate, whose addresses nobody declares."""
    hosts = [f"{addressing.EXTERNAL_NET}.{k}" for k in (10, 11, 12)]
    endpoints = tuple(Endpoint(h, unattributed(h), None, 0.0, FOREVER) for h in hosts)
    callers = rng.sample(services, max(1, len(services) // 20))
    return [
        Flow(
            "external",
            caller.clients(),
            endpoints,
            EXTERNAL_PORT,
            log_uniform(rng, 0.5, 8.0) / len(caller.instances),
        )
        for caller in callers
    ]
