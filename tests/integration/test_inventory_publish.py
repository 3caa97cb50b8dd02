"""`meeseeks inventory publish` against a real broker: the topic rebuilds the same inventory."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from config.inventory_file import load_inventory_file
from config.kafka_security import kafka_client_options
from config.settings import Settings, load_settings
from models.inventory import Inventory
from streams.cli import build_parser
from streams.inventory_topic import read_inventory_topic

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "inventory.example.yaml"


def publish(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(["inventory", "publish", *argv])
    result: int = args.func(args, settings)
    return result


def rebuilt(settings: Settings, topic: str) -> Inventory:
    records = asyncio.run(read_inventory_topic(kafka_client_options(settings), topic))
    return Inventory(records.values())


async def cleanup_policy(bootstrap: str, topic: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic, {"cleanup.policy": None})
        (response,) = await admin.describe_configs([resource])
    finally:
        await admin.close()
    (result,) = response.to_object()["resources"]
    (entry,) = [e for e in result["config_entries"] if e["config_names"] == "cleanup.policy"]
    return str(entry["config_value"])


def test_publish_then_rebuild_an_identical_inventory(
    kafka_bootstrap: str, topic_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(kafka_bootstrap=kafka_bootstrap, topic_partitions=3)
    assert publish(settings, str(EXAMPLE), "--topic", topic_name) == 0
    assert "published 9 inventory records" in capsys.readouterr().out
    assert asyncio.run(cleanup_policy(kafka_bootstrap, topic_name)) == "compact"

    expected = Inventory(load_inventory_file(EXAMPLE))
    assert rebuilt(settings, topic_name) == expected

    # Publishing again is idempotent: the last record per key is the same entry.
    assert publish(settings, str(EXAMPLE), "--topic", topic_name) == 0
    assert "(0 of them deletions" in capsys.readouterr().out
    assert rebuilt(settings, topic_name) == expected


def test_entries_absent_from_the_file_are_deleted_unless_kept(
    kafka_bootstrap: str, topic_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(kafka_bootstrap=kafka_bootstrap, inventory_topic=topic_name)
    assert publish(settings, str(EXAMPLE)) == 0
    smaller = tmp_path / "smaller.csv"
    smaller.write_text(
        "kind,address,port,service,instance,zone\n"
        "owner,10.0.1.10,,orders,orders-1,eu-west-1a\n"
        "owner,10.0.9.0/24,,search,search-pods,eu-west-1b\n",
        encoding="utf-8",
    )
    assert publish(settings, str(smaller), "--keep-absent") == 0
    kept = rebuilt(settings, topic_name)
    assert len(kept) == 10
    assert kept.owner_at("10.0.9.5", 0.0) is not None
    assert kept.server_at("10.0.100.1", 443, 0.0) is not None
    capsys.readouterr()

    assert publish(settings, str(smaller)) == 0
    assert "published 10 inventory records" in capsys.readouterr().out  # 2 entries, 8 deletions
    assert rebuilt(settings, topic_name) == Inventory(load_inventory_file(smaller))
