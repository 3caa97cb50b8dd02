"""Hand-built address-level traffic for clustering tests."""

from __future__ import annotations

from collections.abc import Iterable

from models.cluster_observations import AddressObservation
from models.topology import unattributed_node


def seen(
    client: str,
    server: str,
    port: int,
    *,
    client_node: str | None = None,
    server_node: str | None = None,
    attempts: int = 10,
    answered: int | None = None,
) -> AddressObservation:
    """One client address connecting to one server port; nodes default to unattributed."""
    return AddressObservation(
        client_address=client,
        client_node=client_node or unattributed_node(client),
        server_address=server,
        server_node=server_node or unattributed_node(server),
        server_port=port,
        attempts=attempts,
        answered=attempts if answered is None else answered,
    )


def served(
    servers: Iterable[str],
    port: int,
    clients: Iterable[tuple[str, str]],
    *,
    server_node: str | None = None,
) -> list[AddressObservation]:
    """Every (address, node) client connecting to every server on ``port``."""
    clients = list(clients)
    return [
        seen(address, server, port, client_node=node, server_node=server_node)
        for server in servers
        for address, node in clients
    ]


def mesh(
    members: Iterable[str], port: int, *, server_node: str | None = None
) -> list[AddressObservation]:
    """Every member connecting to every other member on ``port`` (a bus, gossip, election)."""
    members = list(members)
    return [
        seen(a, b, port, client_node=server_node, server_node=server_node)
        for a in members
        for b in members
        if a != b
    ]


def app(name: str, subnet: str, count: int = 3) -> list[tuple[str, str]]:
    """``count`` instances of service ``name`` as (address, node) pairs in ``subnet``.x."""
    return [(f"{subnet}.{host}", name) for host in range(1, count + 1)]


def ips(subnet: str, count: int, first: int = 1) -> list[str]:
    return [f"{subnet}.{host}" for host in range(first, first + count)]
