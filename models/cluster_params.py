"""The knobs of data-store cluster recognition, with defaults that suit an estate of services."""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import MeeseeksError

DEFAULT_EXCLUDED_PORTS = frozenset(
    {22, 25, 53, 80, 88, 123, 389, 443, 636, 3389, 5985, 5986, 8080, 8301, 8443, 9090, 9100}
)
"""Remote access, name, time, directory, web and metrics ports, and Consul's LAN gossip (every
host's agent): never a data store's members."""


class ClusterParamsError(MeeseeksError, ValueError):
    """A clustering threshold is out of range; the message names it and its valid range."""


@dataclass(frozen=True, slots=True)
class ClusterParams:
    """Thresholds for turning address-level traffic into data-store clusters."""

    min_answered: int = 1
    """Answered connections a server port needs before it counts as listening; 0 trusts SYNs
    alone (for mirrors that only see one direction)."""
    min_members: int = 2
    """Smallest cluster; a lone server is a standalone store, not a cluster."""
    jaccard_threshold: float = 0.5
    """Client-set similarity (Jaccard over client nodes) at which servers without peer traffic
    join each other or a cluster."""
    min_shared_clients: int = 2
    """Shared client nodes needed as well: one shared client (a monitoring or backup agent)
    links unrelated servers."""
    max_client_fanout: int = 100
    """A client node reaching more servers of one engine than this is infrastructure
    (monitoring, backup) and is left out of client-set similarity."""
    keep_id_share: float = 0.5
    """Share of an old cluster's members a new cluster must keep to inherit its id."""
    excluded_ports: frozenset[int] = DEFAULT_EXCLUDED_PORTS
    """Server ports never considered, whatever the traffic."""
    unknown_port_floor: int = 1024
    """Ports below this that the catalogue does not name are system services, not stores."""
    unknown_unattributed_only: bool = True
    """Cluster unknown engines only among servers the inventory does not name: a named service
    on an unknown port is most likely an ordinary service that its node already groups."""

    def __post_init__(self) -> None:
        if not 0.0 < self.jaccard_threshold <= 1.0:
            raise ClusterParamsError(
                f"jaccard_threshold={self.jaccard_threshold} is outside (0, 1]"
            )
        if not 0.0 < self.keep_id_share <= 1.0:
            raise ClusterParamsError(f"keep_id_share={self.keep_id_share} is outside (0, 1]")
        if self.min_members < 2:
            raise ClusterParamsError(
                f"min_members={self.min_members}: a cluster has at least 2 members"
            )
        if self.max_client_fanout < 2:
            raise ClusterParamsError(
                f"max_client_fanout={self.max_client_fanout} proposes no pairs"
            )
