"""Which engine listens on each server port: the catalogue, corroborated by the address's ports.

A port one engine claims outright settles at once. A weak or shared port (9000, 7000, 4369)
needs support: another port of the same engine on the same address, listened on or connected
to (a ClickHouse replica fetches parts from its peers' 9009). A listener still undecided takes
the engine of the listeners it exchanges traffic with on that port (a fresh Cassandra node that
only gossips on 7000 with settled ones). Anything else is ``unknown:<port>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.cluster_observations import Listener, TrafficIndex
from models.cluster_params import ClusterParams
from models.datastore_ports import (
    REDIS_BUS_OFFSET,
    PortRole,
    engine_named,
    engines_for_port,
    is_ambiguous,
    unknown_engine,
)
from models.topology import is_unattributed

_REDIS = "redis"
_MAX_PORT = 65535


@dataclass(frozen=True, slots=True)
class Resolution:
    """The engine behind one listening server port."""

    engine: str
    """Catalogue engine name, or ``unknown:<port>``."""
    role: PortRole
    """Whether traffic to the port is client traffic or peer traffic between members."""


def resolve_engines(index: TrafficIndex, params: ClusterParams) -> dict[Listener, Resolution]:
    """Every listening server port that may belong to a data store, with its engine."""
    settled: dict[Listener, Resolution] = {}
    pending: dict[Listener, dict[str, PortRole]] = {}
    for address, ports in index.listening.items():
        evidence = ports | {port for _, port in index.outgoing.get(address, ())}
        for port in ports:
            candidates = _candidates(port, ports)
            if candidates:
                pick = _pick(port, candidates, evidence, ports)
                if pick is None:
                    pending[(address, port)] = candidates
                else:
                    settled[(address, port)] = pick
            elif _may_be_unknown_store(index, address, port, params):
                settled[(address, port)] = Resolution(unknown_engine(port), PortRole.CLIENT)
    late: dict[Listener, Resolution] = {}
    for listener, candidates in pending.items():
        found = _from_neighbours(index, listener, candidates, settled)
        if found is not None:
            late[listener] = found
        elif _may_be_unknown_store(index, *listener, params):
            late[listener] = Resolution(unknown_engine(listener[1]), PortRole.CLIENT)
    settled.update(late)
    return settled


def _may_be_unknown_store(
    index: TrafficIndex, address: str, port: int, params: ClusterParams
) -> bool:
    if port < params.unknown_port_floor:
        return False
    return not params.unknown_unattributed_only or is_unattributed(index.node(address))


def _open_to_redis(port: int) -> bool:
    """Whether a port may be a Redis Cluster client or bus port on a non-default number."""
    found = engines_for_port(port)
    return not found or is_ambiguous(port) or any(engine.name == _REDIS for engine in found)


def _bus_pair(client_port: int, ports: frozenset[int]) -> bool:
    bus_port = client_port + REDIS_BUS_OFFSET
    return (
        bus_port <= _MAX_PORT
        and client_port in ports
        and bus_port in ports
        and _open_to_redis(client_port)
        and _open_to_redis(bus_port)
    )


def _candidates(port: int, ports: frozenset[int]) -> dict[str, PortRole]:
    found: dict[str, PortRole] = {}
    for engine in engines_for_port(port):
        role = engine.role(port)
        if role is not None:
            found[engine.name] = role
    if _bus_pair(port, ports):
        found[_REDIS] = PortRole.CLIENT
    elif _bus_pair(port - REDIS_BUS_OFFSET, ports):
        found[_REDIS] = PortRole.PEER
    return found


def _pick(
    port: int, candidates: Mapping[str, PortRole], evidence: frozenset[int], ports: frozenset[int]
) -> Resolution | None:
    """The one candidate the address's other ports support; None when they cannot tell."""
    if len(candidates) == 1:
        ((name, role),) = candidates.items()
        engine = engine_named(name)
        if engine is None or port not in engine.weak_ports:
            return Resolution(name, role)
    support: dict[str, int] = {}
    for name in candidates:
        engine = engine_named(name)
        own = engine.ports if engine is not None else frozenset()
        others: set[int] = set()
        for other in candidates:
            other_engine = engine_named(other)
            if other != name and other_engine is not None:
                others |= other_engine.ports
        support[name] = len((evidence - {port}) & own - others)
        if name == _REDIS and (_bus_pair(port, ports) or _bus_pair(port - REDIS_BUS_OFFSET, ports)):
            support[name] += 1
    best = max(support.values())
    winners = [name for name, score in support.items() if score == best]
    if best == 0 or len(winners) != 1:
        return None
    return Resolution(winners[0], candidates[winners[0]])


def _from_neighbours(
    index: TrafficIndex,
    listener: Listener,
    candidates: Mapping[str, PortRole],
    settled: Mapping[Listener, Resolution],
) -> Resolution | None:
    """The engine of the settled listeners this one exchanges traffic with on the same port."""
    address, port = listener
    found: set[str] = set()
    neighbours = [(client, port) for client in index.clients.get(listener, ())]
    neighbours += [peer for peer in index.outgoing.get(address, ()) if peer[1] == port]
    for neighbour in neighbours:
        resolution = settled.get(neighbour)
        if resolution is not None and resolution.engine in candidates:
            found.add(resolution.engine)
    if len(found) != 1:
        return None
    (name,) = found
    return Resolution(name, candidates[name])
