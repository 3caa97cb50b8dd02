"""Hand-built estates for the BCP tests: short names, explicit numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from models.bcp_model import BcpEstate, BcpService, DependencyEdge


def svc(
    name: str,
    zones: Mapping[str, int] | None = None,
    *,
    level: int | None = None,
    rto: float | None = None,
    startup: float | None = None,
    flows: Iterable[str] = (),
    datastore: bool = False,
) -> BcpService:
    return BcpService(
        name,
        dict(zones if zones is not None else {"a": 1, "b": 1}),
        criticality=level,
        criticality_label=None if level is None else f"P{level}",
        rto_seconds=rto,
        startup_seconds=startup,
        flows=frozenset(flows),
        datastore=datastore,
        annotated=level is not None or bool(flows),
    )


def dep(
    client: str,
    server: str,
    essential: bool | None = True,
    *,
    port: int = 80,
    rate: float = 1.0,
    seen: float | None = 1000.0,
) -> DependencyEdge:
    return DependencyEdge(client, server, port, essential, rate, seen)


def estate(
    services: Iterable[BcpService],
    edges: Iterable[DependencyEdge],
    at: float = 1000.0,
    since: float | None = None,
) -> BcpEstate:
    return BcpEstate.of(services, edges, at, since)
