"""The synthetic data centre the benchmark capture mirrors: switches, hosts, services, the mix.

Attributes that belong to a connection in real networks (which switch mirrors it, the access
VLAN, IPv4 or IPv6) are drawn once per client/server pair, so SYN and SYN-ACK of a pair look
alike; what varies per packet (its kind, the client's ephemeral port) is drawn per packet.
The proportions the issue asks for hold over the pool: a third of the pairs are VLAN-tagged,
and the packet kinds below give four SYN or SYN-ACK for one other TCP segment.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from enum import Enum
from typing import Final


class Erspan(Enum):
    """How a mirror session encapsulates: the fast decoder has a separate path for each."""

    II = "II"
    III = "III"
    III_SUBHEADER = "III+subheader"


class Shape(Enum):
    """What kind of TCP segment a mirrored packet carries."""

    SYN = "syn"
    SYN_ACK = "syn-ack"
    ACK = "ack"
    DATA = "data"


@dataclass(frozen=True)
class Mirror:
    """One ERSPAN session of one switch, exporting to the processor host."""

    address: str
    erspan: Erspan
    session: int

    @property
    def collector(self) -> str:
        """The processor host, in the switch's address family."""
        return "2001:db8:ff::2" if ":" in self.address else "192.0.2.2"


MIRRORS: Final = (
    Mirror("198.51.100.1", Erspan.II, 11),
    Mirror("198.51.100.2", Erspan.II, 12),
    Mirror("198.51.100.3", Erspan.II, 13),
    Mirror("198.51.100.4", Erspan.II, 14),
    Mirror("198.51.100.5", Erspan.III, 21),
    Mirror("198.51.100.6", Erspan.III, 22),
    Mirror("198.51.100.7", Erspan.III_SUBHEADER, 31),
    Mirror("198.51.100.8", Erspan.III_SUBHEADER, 32),
    Mirror("2001:db8:ff::9", Erspan.II, 15),
    Mirror("2001:db8:ff::a", Erspan.III, 23),
)
"""Half the sessions ERSPAN II, three in ten III, one in five of the switches exports over IPv6."""

ACCESS_VLANS: Final = (110, 120, 130, 210, 220, 310)
SERVICE_PORTS: Final = (
    (443, 30),
    (80, 8),
    (8080, 6),
    (5432, 10),
    (3306, 6),
    (6379, 8),
    (9092, 6),
    (27017, 4),
    (9200, 4),
    (5672, 4),
    (2181, 2),
    (11211, 3),
    (22, 5),
    (8443, 4),
)
"""(port, weight): web, databases, caches, brokers, SSH, as seen in a typical data centre."""

SHAPE_WEIGHTS: Final = (
    (Shape.SYN, 0.44),
    (Shape.SYN_ACK, 0.36),
    (Shape.ACK, 0.1),
    (Shape.DATA, 0.1),
)
"""Four fifths SYN or SYN-ACK (not every SYN is answered), one fifth other TCP."""

VLAN_SHARE: Final = 1 / 3
INNER_IPV6_SHARE: Final = 1 / 8
PAIRS: Final = 4096
CLIENTS: Final = 2500
SERVERS: Final = 400


@dataclass(frozen=True)
class Pair:
    """A client talking to one service of one server."""

    client: str
    server: str
    port: int
    vlan: int | None
    mirror: int
    """Index into MIRRORS."""

    @property
    def ipv6(self) -> bool:
        return ":" in self.client


def _host(rng: random.Random, ipv6: bool, server: bool) -> str:
    """A host address: servers in their own ranges, clients spread over many subnets."""
    if ipv6:
        net = 0xFD00_0000_0000_0000_0000_0000_0000_0000 | (0x5 if server else 0xC) << 96
        return str(ipaddress.IPv6Address(net | rng.randrange(1, 1 << 20)))
    if server:
        return f"10.200.{rng.randrange(0, 16)}.{rng.randrange(1, 255)}"
    return f"10.{rng.randrange(1, 64)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def address_pool(rng: random.Random) -> list[Pair]:
    """PAIRS distinct client/server pairs over CLIENTS clients and SERVERS servers per family."""
    ports = [port for port, _ in SERVICE_PORTS]
    weights = [weight for _, weight in SERVICE_PORTS]
    hosts: dict[tuple[bool, bool], list[str]] = {}
    for ipv6 in (False, True):
        hosts[ipv6, False] = [_host(rng, ipv6, server=False) for _ in range(CLIENTS)]
        hosts[ipv6, True] = [_host(rng, ipv6, server=True) for _ in range(SERVERS)]
    service = {server: rng.choices(ports, weights)[0] for server in hosts[False, True]}
    service.update({server: rng.choices(ports, weights)[0] for server in hosts[True, True]})
    seen: set[tuple[str, str]] = set()
    pairs: list[Pair] = []
    while len(pairs) < PAIRS:
        ipv6 = rng.random() < INNER_IPV6_SHARE
        client = rng.choice(hosts[ipv6, False])
        server = rng.choice(hosts[ipv6, True])
        if (client, server) in seen:
            continue
        seen.add((client, server))
        vlan = rng.choice(ACCESS_VLANS) if rng.random() < VLAN_SHARE else None
        pairs.append(Pair(client, server, service[server], vlan, rng.randrange(len(MIRRORS))))
    return pairs
