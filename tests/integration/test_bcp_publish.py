"""`meeseeks bcp check --publish` against a real broker: finding events and DR events arrive,
keyed by condition and by data store, in the documented JSON."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from config.settings import load_settings
from models.bcp_finding import FindingEvent
from streams.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "config" / "sample"
DR_NOTES = {
    "overlay": "data-dr",
    "nodes": {
        "billing-jobs-cassandra": {"rpo": "1h", "backup_interval": "24h",
                                   "last_backup": "2024-05-01T02:00:00Z"},
        "tax-grpc-mysql": {"rpo": "4h", "backup_interval": "1h",
                           "last_backup": "2024-05-01T09:00:00Z"},
        "partners-jobs-redis": {"rpo": "24h", "backup_interval": "6h",
                                "last_backup": "2024-05-01T06:00:00Z"},
    },
}  # fmt: skip
"""Backups recorded in 2024 are long overdue today; Cassandra's nightly one misses 1 h."""


def dr_annotations(tmp_path: Path) -> Path:
    path = tmp_path / "data-dr.yaml"
    path.write_text(json.dumps(DR_NOTES))
    return path


def topology(tmp_path: Path) -> Path:
    """A hand-written /topology/ answer: edge-lb -> billing-jobs -> the Cassandra service."""
    edges = [
        {"client": "edge-lb", "server": "billing-jobs", "port": 8080},
        {"client": "billing-jobs", "server": "billing-jobs-cassandra", "port": 9042},
    ]
    body = {
        "nodes": [{"name": n} for n in ("edge-lb", "billing-jobs", "billing-jobs-cassandra")],
        "edges": [{**e, "rate": 1.0, "first_seen": 0.0, "last_seen": 60.0} for e in edges],
    }
    path = tmp_path / "topology.json"
    path.write_text(json.dumps(body))
    return path


async def read_all(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, Any]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[tuple[bytes, Any]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    found.extend((r.key, json.loads(r.value)) for r in records)
    finally:
        await consumer.stop()
    return found


def test_check_publishes_findings_and_dr_events(
    kafka_bootstrap: str, topic_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(
        kafka_bootstrap=kafka_bootstrap,
        bcp_findings_topic=f"{topic_name}.findings",
        dr_events_topic=f"{topic_name}.dr",
    )
    argv = [
        "bcp", "check", "--format", "json", "--publish",
        "--topology", str(topology(tmp_path)),
        "--annotations", str(SAMPLE / "bcp-annotations.yaml"),
        "--annotations", str(dr_annotations(tmp_path)),
    ]  # fmt: skip
    args = build_parser().parse_args(argv)

    assert args.func(args, settings) == 0

    printed = json.loads(capsys.readouterr().out)["findings"]
    dr_printed = [f for f in printed if f["kind"].startswith("dr_")]
    assert {(f["kind"], f["subject"]) for f in dr_printed} == {
        ("dr_schedule", "billing-jobs-cassandra"),
        ("dr_backup_overdue", "billing-jobs-cassandra"),
        ("dr_backup_overdue", "tax-grpc-mysql"),
        ("dr_backup_overdue", "partners-jobs-redis"),
    }
    findings = asyncio.run(read_all(kafka_bootstrap, settings.bcp_findings_topic, len(printed)))
    events = [FindingEvent.from_dict(value) for _, value in findings]
    assert sorted(key for key, _ in findings) == sorted(
        f"{f['kind']}:{f['subject']}".encode() for f in printed
    )
    assert {e.transition.value for e in events} == {"raised"}
    dr = asyncio.run(read_all(kafka_bootstrap, settings.dr_events_topic, len(dr_printed)))
    assert sorted(key for key, _ in dr) == sorted(f["subject"].encode() for f in dr_printed)
    overdue = next(v for k, v in dr if k == b"tax-grpc-mysql")
    assert overdue["v"] == 1
    assert (overdue["kind"], overdue["transition"], overdue["severity"]) == (
        "dr_backup_overdue",
        "raised",
        "critical",
    )
    assert overdue["rpo_seconds"] == 14400.0
    assert overdue["last_backup"] == 1714554000.0
    assert overdue["backup_age_seconds"] > 14400.0
