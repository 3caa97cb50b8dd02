"""The planner's estate from graph rows and overlay annotations, wherever they were read.

Rows are the graph store's read shapes or the query API's (``status`` "stale" or ``stale``
true mean the same). Annotations are in the overlays' normal form: durations in seconds,
timestamps as ISO 8601 text, the criticality as one of the overlay's enum values, which are
ordered most critical first.

Data-store clusters are planned as one node: an edge to a member on the cluster's ports is an
edge to the cluster (as in the clustered view), peer traffic inside a cluster is left out,
and a member that is nothing but the store (a standalone engine's service, an unknown
address) is folded into the cluster on every port and both ends. A cluster without its own
BCP annotation takes its folded members' (the most critical level, the shortest RTO, the
longest startup, every flow). Its instances are its member addresses per zone when the
inventory can place them, else its members' instances.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.bcp_inventory import member_zones, summed_zones
from models.bcp_model import BcpError, BcpEstate, BcpService, DependencyEdge
from models.cluster_view import ClusterMembership, is_internal_edge, rewrite_edge
from models.graph_clustered import membership_of
from models.topology import CLUSTER_PREFIX, KEY_SEPARATOR, EdgeKey

DEFAULT_LEVELS = ("P0", "P1", "P2", "P3")
DEPENDENCY_VALUES = {"essential": True, "optional": False}


@dataclass(frozen=True, slots=True)
class GraphRows:
    nodes: Sequence[Mapping[str, Any]] = ()
    edges: Sequence[Mapping[str, Any]] = ()
    clusters: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True, slots=True)
class BcpNotes:
    """The BCP overlay's annotations: node fields by name, edge fields by encoded edge key."""

    nodes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    edges: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    levels: Sequence[str] = DEFAULT_LEVELS
    """Criticality values, most critical first (the overlay's enum order)."""


def number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def cluster_records(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Cluster rows of either shape by node name, with ``status`` as the clustered view reads."""
    out = {}
    for row in rows:
        name = row.get("id") or row.get("cluster")
        if isinstance(name, str) and name.startswith(CLUSTER_PREFIX):
            stale = row.get("stale") is True or row.get("status") == "stale"
            out[name] = {**row, "status": "stale" if stale else "active"}
    return out


def build_estate(
    rows: GraphRows,
    notes: BcpNotes,
    zone_counts: Mapping[str, Mapping[str, int]] | None = None,
    zone_of: Callable[[str], str | None] | None = None,
) -> BcpEstate:
    """``zone_counts``: instances per zone per service (inventory); ``zone_of``: the zone of an
    address, for cluster members. Without them, node rows' ``zone`` and ``instances`` serve."""
    clusters = cluster_records(rows.clusters)
    membership = membership_of(clusters)
    folded = membership.clients
    services = {}
    for row in rows.nodes:
        name = row.get("name")
        if isinstance(name, str) and not name.startswith(CLUSTER_PREFIX):
            counts = (zone_counts or {}).get(name) or _row_zones(row)
            services[name] = _service(name, notes.nodes.get(name), notes.levels, counts)
    for name, record in clusters.items():
        if record["status"] == "stale":
            continue
        members = [n for n in record.get("member_nodes") or () if folded.get(n) == name]
        counts = member_zones(record.get("members") or (), zone_of) if zone_of else {}
        if not counts:
            counts = summed_zones(services[n].zone_instances for n in members if n in services)
        annotation = notes.nodes.get(name) or _merged(
            [notes.nodes.get(n) for n in members], notes.levels
        )
        services[name] = _service(name, annotation, notes.levels, counts, datastore=True)
    for member in folded:
        services.pop(member, None)
    edges = _edges(rows.edges, notes.edges, membership)
    times = [t for row in rows.edges for t in (number(row.get("last_seen")),) if t is not None]
    starts = [t for row in rows.edges for t in (number(row.get("first_seen")),) if t is not None]
    return BcpEstate.of(
        services.values(),
        edges,
        at=max(times, default=0.0),
        observed_since=min(starts, default=None),
    )


def _row_zones(row: Mapping[str, Any]) -> dict[str, int]:
    zone, count = row.get("zone"), number(row.get("instances"))
    return {zone: int(count)} if isinstance(zone, str) and zone and count else {}


def _service(
    name: str,
    note: Mapping[str, Any] | None,
    levels: Sequence[str],
    counts: Mapping[str, int],
    datastore: bool = False,
) -> BcpService:
    note = note or {}
    label = note.get("criticality")
    label = label if isinstance(label, str) else None
    flows = note.get("flows")
    return BcpService(
        name,
        counts,
        criticality=levels.index(label) if label in levels else None,
        criticality_label=label,
        rto_seconds=number(note.get("rto")),
        startup_seconds=number(note.get("startup_time")),
        flows=frozenset(f for f in flows if isinstance(f, str))
        if isinstance(flows, list)
        else frozenset(),
        datastore=datastore,
        annotated=bool(note),
    )


def _merged(notes: Sequence[Mapping[str, Any] | None], levels: Sequence[str]) -> dict[str, Any]:
    """One annotation for a cluster from its members': the most demanding of each field."""
    present = [note for note in notes if note]
    out: dict[str, Any] = {}
    labels = [n["criticality"] for n in present if n.get("criticality") in levels]
    if labels:
        out["criticality"] = min(labels, key=levels.index)
    for key, pick in (("rto", min), ("startup_time", max)):
        values = [v for n in present if (v := number(n.get(key))) is not None]
        if values:
            out[key] = pick(values)
    flows = sorted({f for n in present for f in n.get("flows") or () if isinstance(f, str)})
    if flows:
        out["flows"] = flows
    return out


class _Merged:
    """What the observed and declared edges behind one planner edge add up to."""

    __slots__ = ("marks", "rate", "seen", "zones")

    def __init__(self) -> None:
        self.marks: set[bool | None] = set()
        self.rate = 0.0
        self.seen: float | None = None
        self.zones: dict[str, float] = {}

    def add(self, essential: bool | None, row: Mapping[str, Any] | None) -> None:
        self.marks.add(essential)
        if row is None:
            return
        self.rate += number(row.get("rate")) or 0.0
        seen = number(row.get("last_seen"))
        if seen is not None and (self.seen is None or seen > self.seen):
            self.seen = seen
        for zone, rate in (row.get("server_zone_rates") or {}).items():
            self.zones[zone] = self.zones.get(zone, 0.0) + (number(rate) or 0.0)

    @property
    def essential(self) -> bool | None:
        return True if True in self.marks else (False if False in self.marks else None)


def _edges(
    rows: Iterable[Mapping[str, Any]],
    notes: Mapping[str, Mapping[str, Any]],
    membership: ClusterMembership,
) -> list[DependencyEdge]:
    """Observed and declared edges, rewritten to clusters and merged per rewritten key."""
    merged: dict[tuple[str, str, int], _Merged] = {}
    members, folded = membership.member_of, membership.clients

    def add(client: str, server: str, port: int, note: Any, row: Any) -> None:
        if client in members or server in members:  # the rest keep their names
            side = rewrite_edge(EdgeKey(client, server, port), membership)
            if is_internal_edge(side):
                return
            client = folded.get(side.client, side.client)
            server = folded.get(side.server, side.server)
        if client == server:
            return
        entry = merged.get((client, server, port))
        if entry is None:
            entry = merged[(client, server, port)] = _Merged()
        entry.add(_essential(note), row)

    observed = set()
    for row in rows:
        client, server, port = row.get("client"), row.get("server"), row.get("port")
        if not (isinstance(client, str) and isinstance(server, str) and isinstance(port, int)):
            raise BcpError(f"an edge row needs client, server and port: {dict(row)!r:.200}")
        encoded = f"{client}{KEY_SEPARATOR}{server}{KEY_SEPARATOR}{port}"
        observed.add(encoded)
        add(client, server, port, notes.get(encoded), row)
    for encoded, note in notes.items():
        if encoded not in observed:
            try:
                declared = EdgeKey.decode(encoded)
            except ValueError as exc:
                raise BcpError(
                    f"BCP edge annotation {encoded!r:.200} is not an edge key client|server|port"
                ) from exc
            add(declared.client, declared.server, declared.port, note, None)
    return [
        DependencyEdge(client, server, port, e.essential, e.rate, e.seen, e.zones)
        for (client, server, port), e in sorted(merged.items(), key=lambda item: item[0])
    ]


def _essential(note: Mapping[str, Any] | None) -> bool | None:
    return None if not note else DEPENDENCY_VALUES.get(str(note.get("dependency")))
