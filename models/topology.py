"""The vocabulary of the service graph shared by attribution, aggregation, clustering and anomalies.

Plain frozen dataclasses: the stream app wraps them in Faust records at its edge, the store and
the BCP planner read them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

UNATTRIBUTED_PREFIX = "unattributed:"
"""Node names of addresses the inventory does not know: ``unattributed:10.1.2.3``."""

CLUSTER_PREFIX = "cluster:"
"""Node names of recognised data-store clusters: ``cluster:redis:orders-cache``."""

KEY_SEPARATOR = "|"


def unattributed_node(address: str) -> str:
    """The node that stands for an address nobody owns, so its traffic is never lost."""
    return f"{UNATTRIBUTED_PREFIX}{address}"


def is_unattributed(node: str) -> bool:
    return node.startswith(UNATTRIBUTED_PREFIX)


@dataclass(frozen=True, slots=True)
class Owner:
    """Who stands behind an address at a given time, according to the inventory."""

    service: str
    """Service name, unique across the estate (a graph node)."""
    instance: str
    """Instance id within the service (host, pod or container name)."""
    zone: str | None
    """Availability zone or data centre; None when the inventory does not say."""


@dataclass(frozen=True, slots=True, order=True)
class EdgeKey:
    """A service-to-service edge: who connects, to whom, on which server port."""

    client: str
    """Client node (service name, cluster node or unattributed node)."""
    server: str
    """Server node."""
    port: int
    """Server TCP port."""

    def encode(self) -> str:
        """The table and Kafka key; names never contain the separator (the inventory checks)."""
        return f"{self.client}{KEY_SEPARATOR}{self.server}{KEY_SEPARATOR}{self.port}"

    @classmethod
    def decode(cls, text: str) -> EdgeKey:
        client, server, port = text.rsplit(KEY_SEPARATOR, 2)
        return cls(client, server, int(port))


@dataclass(frozen=True, slots=True)
class WindowStats:
    """One closed event-time window of one edge."""

    start: float
    """Window start, epoch seconds (a multiple of the window length)."""
    attempts: int
    """Connection attempts: SYNs from client to server seen in the window."""
    answered: int
    """Answered connections: SYN-ACKs from server to client seen in the window."""
    client_instances: int
    """Distinct client instances that attempted a connection in the window."""

    @property
    def answer_ratio(self) -> float | None:
        """Answered over attempts (capped at 1); None for a window without attempts."""
        if self.attempts == 0:
            return None
        return min(1.0, self.answered / self.attempts)
