"""The estate's inventory in the YAML format of docs/inventory.md, readable and byte-stable.

Times are written as ISO-8601 UTC (what an operator would type); entries keep the generator's
order (services, then infrastructure, then data stores) so a diff of two seeds reads well.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.estate.model import Estate, OwnerEntry, VipEntry

HEADER = """\
# Synthetic estate of bench/estate: {services} services in zones a and b,
# {minutes} minutes of traffic from {start}, seed {seed}.
# Written by `python -m bench.estate generate`; the format is docs/inventory.md.
# Left out on purpose: the servers of the unknown engine (10.30.0.0/16), the port scanner
# (10.99.0.66), the SaaS provider (203.0.113.0/24) and one node of the first Cassandra ring.
"""


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _owner(entry: OwnerEntry) -> dict[str, Any]:
    item: dict[str, Any] = (
        {"address": entry.addresses[0]}
        if len(entry.addresses) == 1
        else {"addresses": list(entry.addresses)}
    )
    item.update(service=entry.service, instance=entry.instance)
    if entry.zone is not None:
        item["zone"] = entry.zone
    if entry.valid_from is not None:
        item["valid_from"] = iso(entry.valid_from)
    if entry.valid_until is not None:
        item["valid_until"] = iso(entry.valid_until)
    return item


def _vip(entry: VipEntry) -> dict[str, Any]:
    item: dict[str, Any] = {"address": entry.address}
    if entry.port is not None:
        item["port"] = entry.port
    item["service"] = entry.service
    if entry.zone is not None:
        item["zone"] = entry.zone
    return item


def render_inventory(estate: Estate) -> str:
    params = estate.params
    header = HEADER.format(
        services=params.services, minutes=params.minutes, start=iso(params.start), seed=params.seed
    )
    document = {
        "owners": [_owner(entry) for entry in estate.owners],
        "vips": [_vip(entry) for entry in estate.vips],
    }
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=100)
    return header + body


def write_inventory(path: Path, estate: Estate) -> None:
    path.write_text(render_inventory(estate), encoding="utf-8")
