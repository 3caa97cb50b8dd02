"""``meeseeks inventory publish|check``: put an inventory file on its compacted topic, or vet it."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from config.kafka_security import kafka_client_options
from config.settings import Settings
from models.inventory_record import EntryKind, InventoryRecord

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

logger = logging.getLogger(__name__)


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "inventory",
        help="publish or check the inventory that attributes addresses to services",
        description=(
            "The inventory maps addresses, CIDR blocks and load-balancer VIPs to services, "
            "instances and zones over time. Formats: docs/inventory.md."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    publish = actions.add_parser(
        "publish",
        help="write FILE's entries to the compacted inventory topic",
        description=(
            "Validate FILE, create the topic (compacted) if missing, write one record per "
            "address, block or VIP, and delete the entries on the topic that FILE no longer "
            "has (unless --keep-absent)."
        ),
    )
    publish.add_argument("file", type=Path, metavar="FILE", help="inventory .yaml, .yml or .csv")
    publish.add_argument("--topic", help="override MEESEEKS_INVENTORY_TOPIC")
    publish.add_argument(
        "--keep-absent",
        action="store_true",
        help="keep entries that are on the topic but not in FILE (publish a partial file)",
    )
    check = actions.add_parser("check", help="validate FILE and summarise what it declares")
    check.add_argument("file", type=Path, metavar="FILE", help="inventory .yaml, .yml or .csv")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from config.inventory_file import load_inventory_file

    records = load_inventory_file(args.file)
    if args.action == "check":
        print(f"{args.file}: valid")
        for line in InventorySummary.of(records).lines():
            print(f"  {line}")
        return 0
    topic = args.topic or settings.inventory_topic
    published, deleted = asyncio.run(_publish(settings, topic, records, args.keep_absent))
    print(
        f"published {published} inventory records to {topic} "
        f"({deleted} of them deletions of entries absent from {args.file})"
    )
    return 0


async def _publish(
    settings: Settings, topic: str, records: Sequence[InventoryRecord], keep_absent: bool
) -> tuple[int, int]:
    from streams.inventory_topic import (
        ensure_compacted_topic,
        publish_records,
        read_inventory_topic,
    )

    kafka = kafka_client_options(settings)
    created = await ensure_compacted_topic(
        kafka,
        topic,
        partitions=settings.topic_partitions,
        replication_factor=settings.topic_replication_factor,
    )
    tombstones: list[InventoryRecord] = []
    if not created and not keep_absent:
        wanted = {record.key for record in records}
        current = await read_inventory_topic(kafka, topic)
        tombstones = [InventoryRecord(key, None) for key in current if key not in wanted]
    logger.info("publishing %d entries and %d deletions", len(records), len(tombstones))
    count = await publish_records(kafka, topic, [*records, *tombstones])
    return count, len(tombstones)


@dataclass(frozen=True, slots=True)
class InventorySummary:
    """What an inventory declares, counted for a human."""

    services: frozenset[str]
    """Every service named, by owners or VIPs."""
    instances: int
    """Distinct (service, instance) pairs of address and block owners."""
    zones: frozenset[str]
    """Every zone named."""
    addresses: int
    """Single-address entries."""
    blocks: int
    """CIDR-block entries."""
    vips: int
    """VIP declarations (one per address and port)."""
    moving: int
    """Entries with more than one owner over time, or a bounded one."""

    @classmethod
    def of(cls, records: Sequence[InventoryRecord]) -> InventorySummary:
        services, zones, instances = set(), set(), set()
        moving = 0
        kinds = {kind: 0 for kind in EntryKind}
        for record in records:
            intervals = record.intervals or ()
            kinds[record.key.kind] += 1
            if len(intervals) > 1 or any(
                i.valid_from is not None or i.valid_until is not None for i in intervals
            ):
                moving += 1
            for interval in intervals:
                owner = interval.owner
                services.add(owner.service)
                if owner.zone is not None:
                    zones.add(owner.zone)
                if record.key.kind is not EntryKind.VIP:
                    instances.add((owner.service, owner.instance))
        return cls(
            frozenset(services),
            len(instances),
            frozenset(zones),
            kinds[EntryKind.ADDRESS],
            kinds[EntryKind.NETWORK],
            kinds[EntryKind.VIP],
            moving,
        )

    def lines(self) -> list[str]:
        zones = ", ".join(sorted(self.zones)) or "none"
        return [
            f"services: {len(self.services)}, instances: {self.instances}, "
            f"zones: {len(self.zones)} ({zones})",
            f"addresses: {self.addresses}, CIDR blocks: {self.blocks}, VIPs: {self.vips}",
            f"entries with time-bounded owners: {self.moving}",
        ]
