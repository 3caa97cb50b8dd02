"""Attribution: turn one connection event into an edge between the services behind its ends.

On the wire a SYN goes client to server and a SYN-ACK comes back server to client; both are
attributed to the same edge (client, server, server port) so that attempts and answers meet.
A load-balancer VIP on the server side stands for the service behind it, and an address
nobody owns becomes a node of its own so that its traffic is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from models.connection import ConnectionEvent, Kind
from models.inventory import Inventory
from models.topology import EdgeKey, Owner, unattributed_node

EDGE_KEY_CACHE_SIZE = 65_536


@dataclass(frozen=True, slots=True)
class Attributed:
    """A connection event seen as a service-to-service edge."""

    edge: EdgeKey
    """Client node, server node (service names or unattributed nodes) and server port."""
    client: Owner | None
    """Who owned the client address at the event's time; None when nobody did."""
    server: Owner | None
    """Who owned the server address (or the VIP) at the event's time; None when nobody did."""
    kind: Kind
    """Whether the event was the client's SYN or the server's SYN-ACK."""
    ts: float
    """Capture time of the event, epoch seconds."""


_SYN, _SYN_ACK = Kind.SYN, Kind.SYN_ACK  # an enum member read from its class runs Python code


def attribute(event: ConnectionEvent, inventory: Inventory) -> Attributed:
    """Attribute ``event`` with the inventory as it stood at the event's time."""
    if event.kind == _SYN:
        client_address, server_address, port = event.src, event.dst, event.dport
        kind = _SYN
    else:
        client_address, server_address, port = event.dst, event.src, event.sport
        kind = _SYN_ACK
    ts = event.ts
    client = inventory.owner_at(client_address, ts)
    server = inventory.server_at(server_address, port, ts)
    edge = _edge_key(
        client.service if client is not None else unattributed_node(client_address),
        server.service if server is not None else unattributed_node(server_address),
        port,
    )
    return Attributed(edge, client, server, kind, ts)


@lru_cache(maxsize=EDGE_KEY_CACHE_SIZE)
def _edge_key(client: str, server: str, port: int) -> EdgeKey:
    # Edge keys repeat endlessly and are immutable: sharing them saves a dataclass build per event.
    return EdgeKey(client, server, port)
