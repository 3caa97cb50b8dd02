"""Address-level traffic, the input of clustering, and the index clustering reads it through.

Clusters are a property of addresses (a Redis node is one address, whatever service owns it), so
the wiring feeds attributed events aggregated per client address, server address and port. The
index answers the questions clustering asks: what does an address listen on, who connects to
it, and where does it connect to.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from models.cluster_params import ClusterParams
from models.topology import unattributed_node

Listener = tuple[str, int]
"""A server address and a port it listens on."""


@dataclass(frozen=True, slots=True)
class AddressObservation:
    """Connections from one client address to one server address and port, over a window."""

    client_address: str
    """Client IP address."""
    client_node: str
    """Graph node of the client address (service name or unattributed node)."""
    server_address: str
    """Server IP address."""
    server_node: str
    """Graph node of the server address."""
    server_port: int
    """Server TCP port."""
    attempts: int
    """SYNs from the client to the server port."""
    answered: int
    """SYN-ACKs from the server port back to the client."""


@dataclass(frozen=True, slots=True)
class TrafficIndex:
    """Observations folded into lookups; only listening server ports are kept."""

    listening: Mapping[str, frozenset[int]]
    """Server address to the ports it answered on (or was asked on, with ``min_answered=0``)."""
    clients: Mapping[Listener, frozenset[str]]
    """Listening server port to the client addresses that connected to it."""
    outgoing: Mapping[str, frozenset[Listener]]
    """Client address to the listening server ports it connected to."""
    nodes: Mapping[str, str]
    """Address to its graph node: the node seen with most attempts, ties to the smallest name."""

    @classmethod
    def build(
        cls, observations: Iterable[AddressObservation], params: ClusterParams
    ) -> TrafficIndex:
        """Sum repeated observations, then keep ports that look like listeners."""
        answered: Counter[Listener] = Counter()
        flows: defaultdict[Listener, set[str]] = defaultdict(set)
        votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for seen in observations:
            if seen.attempts <= 0 and seen.answered <= 0:
                continue
            listener = (seen.server_address, seen.server_port)
            answered[listener] += seen.answered
            flows[listener].add(seen.client_address)
            votes[seen.server_address][seen.server_node] += seen.attempts + 1
            votes[seen.client_address][seen.client_node] += seen.attempts + 1
        listening: defaultdict[str, set[int]] = defaultdict(set)
        clients: dict[Listener, frozenset[str]] = {}
        outgoing: defaultdict[str, set[Listener]] = defaultdict(set)
        for listener, sources in flows.items():
            address, port = listener
            if port in params.excluded_ports or answered[listener] < params.min_answered:
                continue
            listening[address].add(port)
            clients[listener] = frozenset(sources)
            for source in sources:
                outgoing[source].add(listener)
        return cls(
            listening={address: frozenset(ports) for address, ports in listening.items()},
            clients=clients,
            outgoing={address: frozenset(found) for address, found in outgoing.items()},
            nodes={address: _winner(counts) for address, counts in votes.items()},
        )

    def listens(self, address: str, port: int) -> bool:
        return port in self.listening.get(address, frozenset())

    def node(self, address: str) -> str:
        """The address's node; an address never observed is nobody's."""
        return self.nodes.get(address) or unattributed_node(address)


def _winner(counts: Counter[str]) -> str:
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
