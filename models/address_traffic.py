"""Address-level traffic counted as events are attributed: the input of cluster recognition.

Clustering needs addresses, not services (a Redis node is an address whatever owns it), but
only for connections that could belong to a data store: a catalogued data-store port (or a
Redis bus port), or a server the inventory does not know (the unknown-engine rule). Keeping
only those keeps the cluster topic small next to the connection stream.
"""

from __future__ import annotations

from collections import Counter

from models.attribution import Attributed
from models.cluster_observations import AddressObservation
from models.connection import ConnectionEvent, Kind
from models.datastore_ports import REDIS_BUS_OFFSET, engines_for_port
from models.topology import is_unattributed

_Key = tuple[str, str, str, str, int]


_CANDIDATE_PORTS = frozenset(
    port
    for port in range(1 << 16)
    if engines_for_port(port) or engines_for_port(port - REDIS_BUS_OFFSET)
)
"""Catalogued data-store ports and their bus ports, looked up once per event."""
_SYN = Kind.SYN


def may_be_data_store(port: int, server_node: str) -> bool:
    """Whether a connection can tell anything about a data-store cluster."""
    return port in _CANDIDATE_PORTS or is_unattributed(server_node)


class AddressTraffic:
    """Attempts and answers per (client address, server address, port) since the last drain."""

    def __init__(self) -> None:
        self._attempts: Counter[_Key] = Counter()
        self._answered: Counter[_Key] = Counter()

    def add(self, event: ConnectionEvent, attributed: Attributed) -> None:
        edge = attributed.edge
        if not may_be_data_store(edge.port, edge.server):
            return
        if event.kind is _SYN:
            key = (event.src, edge.client, event.dst, edge.server, edge.port)
            self._attempts[key] += 1
        else:
            key = (event.dst, edge.client, event.src, edge.server, edge.port)
            self._answered[key] += 1

    def __len__(self) -> int:
        return len(self._attempts.keys() | self._answered.keys())

    def drain(self) -> list[AddressObservation]:
        """The counts so far, sorted, and a fresh start."""
        keys = sorted(self._attempts.keys() | self._answered.keys())
        found = [
            AddressObservation(*key, attempts=self._attempts[key], answered=self._answered[key])
            for key in keys
        ]
        self._attempts.clear()
        self._answered.clear()
        return found
