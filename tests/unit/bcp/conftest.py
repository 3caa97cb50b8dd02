"""A small graph in both forms the planner reads: the embedded store, and JSON + YAML files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from models.graph_change import GraphChange
from models.graph_view import GraphView
from models.overlay_file import parse_document
from sinks.bcp_sources import BUNDLED_OVERLAYS
from sinks.overlay_service import OverlayService
from sinks.sqlite_store import SqliteGraphStore
from tests.unit.queries.conftest import T0, cluster, edge, node

BCP_NOTES = {
    "overlay": "bcp",
    "select": [{"nodes": {"kind": "service"}, "set": {"criticality": "P3", "rto": "1d"}}],
    "nodes": {
        "web": {"criticality": "P0", "rto": "15m", "startup_time": "1m", "flows": ["shop"]},
        "api": {"criticality": "P1", "rto": "10m", "startup_time": "2m"},
        "cache": {"criticality": "P1", "rto": "10m", "startup_time": "30s"},
    },
    "edges": {
        "web|api|8080": {"dependency": "essential"},
        "api|cache|6379": {"dependency": "essential"},
        "api|db|5432": {"dependency": "optional"},
    },
}
DR_NOTES = {
    "overlay": "data-dr",
    "nodes": {
        "db": {"rpo": "1h", "backup_interval": "1d", "last_backup": "2024-05-01T07:00:00Z"},
    },
}


def changes() -> list[GraphChange]:
    """web -> api -> cache (a Redis cluster of two), api -> db; zones a and b."""
    return [
        node("web", "a", 2),
        node("api", "a", 2),
        node("db", "b", 1),
        node("cache", "a", 1),
        edge("web", "api", 8080, 100),
        edge("api", "cache", 6379, 40),
        edge("api", "unattributed:10.0.5.2", 6379, 20),
        edge("api", "db", 5432, 10),
        cluster(
            "cluster:redis:cache",
            "redis",
            ["10.0.5.1", "10.0.5.2"],
            member_nodes=["cache", "unattributed:10.0.5.2"],
            ports=[6379],
        ),
    ]


@dataclass
class SmallEstate:
    store: SqliteGraphStore
    topology: Path
    annotations: list[Path]


@pytest.fixture
def small(tmp_path: Path) -> SmallEstate:
    store = SqliteGraphStore(":memory:")
    store.apply_changes(changes())
    service = OverlayService(store)
    paths = []
    for name, notes in (("bcp", BCP_NOTES), ("data-dr", DR_NOTES)):
        service.register(yaml.safe_load((BUNDLED_OVERLAYS / f"{name}.yaml").read_text()))
        service.annotate_document(parse_document(notes))
        path = tmp_path / f"{name}-annotations.yaml"
        path.write_text(yaml.safe_dump(notes))
        paths.append(path)
    view = GraphView()
    view.apply_all(changes())
    topology = tmp_path / "topology.json"
    topology.write_text(
        json.dumps({"topology": view.topology(limit=1000), "clusters": view.clusters(1000)})
    )
    return SmallEstate(store, topology, paths)


__all__ = ["T0", "SmallEstate", "small"]
