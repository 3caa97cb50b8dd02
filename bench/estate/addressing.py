"""Where addresses come from: one /26 and one /64 per service and zone, fixed ranges for the rest.

Zone a is 10.10.0.0/16 and 2001:db8:a::/48, zone b 10.20.0.0/16 and 2001:db8:b::/48; unit
``n`` (a service or a data store, in generation order) owns the n-th /26 and /64 of each. Things
nobody owns live elsewhere, so no inventory entry ever covers them by accident.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Final

from bench.estate.model import OwnerEntry

MAX_UNITS: Final = 1024
"""/26 blocks in a /16: services plus data stores plus infrastructure."""
MAX_HOSTS: Final = 62
_V4_ZONE: Final = {"a": 10, "b": 20}
_V6_ZONE: Final = {"a": "a", "b": "b"}

UNKNOWN_STORE_NET: Final = "10.30"
"""Servers of a store the inventory does not know."""
SCANNER: Final = "10.99.0.66"
"""The port scanner, a host nobody declared."""
DARK_NET: Final = "10.40.0"
"""A /24 with no hosts at all: the scanner's SYNs there go unanswered."""
EXTERNAL_NET: Final = "203.0.113"
"""A SaaS provider outside the estate (TEST-NET-3)."""
VIP_NET: Final = "10.50.0"


def host_v4(unit: int, zone: str, host: int) -> str:
    """The ``host``-th address (1-based) of a unit's /26 in ``zone``."""
    _check(unit, host)
    return f"10.{_V4_ZONE[zone]}.{unit // 4}.{(unit % 4) * 64 + host}"


def host_v6(unit: int, zone: str, host: int) -> str:
    _check(unit, host)
    return str(ipaddress.ip_address(f"2001:db8:{_V6_ZONE[zone]}:{unit:x}::{host:x}"))


def block_v4(unit: int, zone: str) -> str:
    _check(unit, 1)
    return f"10.{_V4_ZONE[zone]}.{unit // 4}.{(unit % 4) * 64}/26"


def block_v6(unit: int, zone: str) -> str:
    _check(unit, 1)
    return str(ipaddress.ip_network(f"2001:db8:{_V6_ZONE[zone]}:{unit:x}::/64"))


def _check(unit: int, host: int) -> None:
    if not 0 <= unit < MAX_UNITS or not 1 <= host <= MAX_HOSTS:
        raise ValueError(f"unit {unit} host {host}: the estate is too big for its address plan")


class StaticOwners:
    """Who the time-less inventory entries name for an address: host entry, then longest block.

    Only for addresses the generator did not place itself (scan targets inside service blocks);
    time-bounded entries are left out and the generator keeps such addresses out of scans.
    """

    def __init__(self, owners: Iterable[OwnerEntry]) -> None:
        self._hosts: dict[str, str] = {}
        self._blocks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = []
        self.bounded: set[str] = set()
        for entry in owners:
            for address in entry.addresses:
                if entry.valid_from is not None or entry.valid_until is not None:
                    self.bounded.add(address)
                elif "/" in address:
                    self._blocks.append((ipaddress.ip_network(address), entry.service))
                else:
                    self._hosts[address] = entry.service
        self._blocks.sort(key=lambda pair: -pair[0].prefixlen)

    def service(self, address: str) -> str | None:
        found = self._hosts.get(address)
        if found is not None:
            return found
        parsed = ipaddress.ip_address(address)
        for network, service in self._blocks:
            if parsed.version == network.version and parsed in network:
                return service
        return None
