"""Scale-up: the instances each surviving zone needs to carry the failed zones' share too.

For a service with ``N`` instances today and load share ``L_z`` per zone, the surviving zones
``S`` take the whole load in the proportions they carry today, and each zone keeps today's
average load per instance (the load of one of the ``N`` instances)::

    needed_z = ceil(N * L_z / sum(L_s for s in S))        for z in S
    add_z    = max(0, needed_z - n_z)

The load share is the observed attempts into each zone when the edges carry them, otherwise
the instance split (``L_z = n_z / N``). Survivors that carried no load at all share it by
their instance counts. A service with no instance in any surviving zone starts its ``N``
instances spread evenly over the surviving zones, ``ceil(N / |S|)`` each; a service that
fails as a whole restarts where it ran. Every count is rounded up: half an instance is one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from models.bcp_model import BcpService

_SLACK = 1e-9
"""Float noise below which a product is taken as whole (6.000000001 instances are 6)."""


class Action(StrEnum):
    """What a service needs in the scenario."""

    NONE = "none"
    """No instance lost: it keeps running."""
    SCALE = "scale"
    """Some instances lost: add instances in the surviving zones."""
    START = "start"
    """Every instance lost: start them in the surviving zones (or again, for a failed service)."""
    UNKNOWN = "unknown"
    """No instance counts: the plan cannot size it."""
    STRANDED = "stranded"
    """Every instance lost and no zone survives to run it."""


@dataclass(frozen=True, slots=True)
class ScaleUp:
    service: str
    action: Action
    today: Mapping[str, int]
    """Instances per zone today."""
    load_share: Mapping[str, float]
    """Share of the load per zone today, summing to 1 (empty without instances)."""
    observed_load: bool
    """The share comes from observed traffic, not from the instance split."""
    lost: int
    """Instances in the failed zones (all of them for a failed service)."""
    needed: Mapping[str, int] = field(default_factory=dict)
    """Instances each zone that runs the service must have after the failure."""

    @property
    def add(self) -> dict[str, int]:
        """Instances to start per zone."""
        return {z: max(0, n - self.today.get(z, 0)) for z, n in self.needed.items()}

    @property
    def total_add(self) -> int:
        return sum(self.add.values())


def _round_up(value: float) -> int:
    return math.ceil(value - _SLACK)


def load_share(
    today: Mapping[str, int], observed: Mapping[str, float]
) -> tuple[dict[str, float], bool]:
    """Observed rates per zone when any are positive, else the instance split."""
    rates = {z: r for z, r in observed.items() if r > 0}
    if rates:
        total = sum(rates.values())
        return {z: rates.get(z, 0.0) / total for z in sorted(set(today) | set(rates))}, True
    count = sum(today.values())
    if count == 0:
        return {}, False
    return {z: n / count for z, n in today.items()}, False


def scale_up(
    service: BcpService,
    observed: Mapping[str, float],
    failed_zones: frozenset[str],
    all_zones: frozenset[str],
    service_failed: bool = False,
) -> ScaleUp:
    """The service's needs when ``failed_zones`` (and, if ``service_failed``, itself) fail."""
    today = dict(service.zone_instances)
    share, from_traffic = load_share(today, observed)
    total = service.instances
    lost = total if service_failed else sum(today.get(z, 0) for z in failed_zones)

    def result(action: Action, needed: Mapping[str, int]) -> ScaleUp:
        return ScaleUp(
            service.name,
            action,
            MappingProxyType(today),
            MappingProxyType(share),
            from_traffic,
            lost,
            MappingProxyType(dict(sorted(needed.items()))),
        )

    if total == 0:
        return result(Action.UNKNOWN, {})
    running = {z: n for z, n in today.items() if n > 0 and z not in failed_zones}
    if service_failed:
        return result(Action.START, running) if running else result(Action.STRANDED, {})
    if lost == 0:
        return result(Action.NONE, running)
    if running:
        carried = {z: share.get(z, 0.0) for z in running}
        if sum(carried.values()) <= 0:
            carried = {z: float(n) for z, n in running.items()}
        weight = sum(carried.values())
        needed = {z: max(n, _round_up(total * carried[z] / weight)) for z, n in running.items()}
        return result(Action.SCALE, needed)
    survivors = sorted(all_zones - failed_zones)
    if not survivors:
        return result(Action.STRANDED, {})
    each = _round_up(total / len(survivors))
    return result(Action.START, dict.fromkeys(survivors, each))
