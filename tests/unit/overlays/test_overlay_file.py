"""Annotation files (YAML mapping and CSV) and how their entries become stored records."""

from __future__ import annotations

import re

import pytest
import yaml

from models.overlay_annotate import annotation_batches, resolve
from models.overlay_errors import AnnotationError
from models.overlay_fields import timestamp_seconds
from models.overlay_file import parse_csv, parse_document
from models.overlay_schema import OverlayDefinition, TargetKind
from models.topology import EdgeKey
from tests.unit.overlays.conftest import SAMPLE, shipped

ZONES: dict[str, str | None] = {"web": "a", "api": "a", "db": "b", "monitoring": "b"}
EDGES = [EdgeKey("web", "api", 8080), EdgeKey("api", "db", 5432), EdgeKey("monitoring", "db", 5432)]

DOCUMENT = """
overlay: small
select:
  - nodes: {zone: a}
    set: {level: P2, rto: 4h}
  - edges: {client: monitoring}
    set: {kind: optional}
nodes:
  web: {level: P0, rto: 15m}
  db: {level: P1, rto: 1h, flows: [shop]}
edges:
  "api|db|5432": {kind: essential}
"""


def test_selectors_apply_first_and_explicit_targets_win(small: OverlayDefinition) -> None:
    document = parse_document(yaml.safe_load(DOCUMENT))
    assert document.overlay == "small"
    resolution = resolve(document.entries, ZONES, EDGES)
    batches = annotation_batches(small, resolution.updates, {})
    assert batches[TargetKind.NODE] == {
        "web": {"level": "P0", "rto": 900},
        "api": {"level": "P2", "rto": 14400},
        "db": {"level": "P1", "rto": 3600, "flows": ["shop"]},
    }
    assert batches[TargetKind.EDGE] == {
        "monitoring|db|5432": {"kind": "optional"},
        "api|db|5432": {"kind": "essential"},
    }
    assert resolution.empty_selectors == ()


def test_updates_merge_over_stored_fields_unless_replacing(small: OverlayDefinition) -> None:
    document = parse_document({"nodes": {"web": {"rto": "30m", "flows": None}}})
    updates = resolve(document.entries, ZONES, EDGES).updates
    stored = {TargetKind.NODE: {"web": {"level": "P0", "rto": 900, "flows": ["shop"]}}}
    merged = annotation_batches(small, updates, stored)
    assert merged[TargetKind.NODE] == {"web": {"level": "P0", "rto": 1800}}
    with pytest.raises(AnnotationError, match="field 'level' is required"):
        annotation_batches(small, updates, stored, replace=True)


def test_one_bad_record_rejects_both_kinds(small: OverlayDefinition) -> None:
    document = parse_document(
        {"nodes": {"web": {"level": "P0", "rto": "15m"}}, "edges": {"web|api|8080": {"kind": "x"}}}
    )
    updates = resolve(document.entries, ZONES, EDGES).updates
    with pytest.raises(AnnotationError) as info:
        annotation_batches(small, updates, {})
    assert info.value.problems == (
        "edge 'web|api|8080': field 'kind' (enum) must be one of essential, optional, not str 'x'",
    )


def test_a_selector_that_matches_nothing_is_reported() -> None:
    document = parse_document({"select": [{"nodes": {"zone": "c"}, "set": {"level": "P0"}}]})
    resolution = resolve(document.entries, ZONES, EDGES)
    assert resolution.updates == {}
    assert resolution.empty_selectors == ({"target": "node", "zone": "c"},)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "an annotation file must be a mapping"),
        ({"node": {}}, "unknown key(s) node"),
        ({"select": [{"nodes": {"zone": "a"}}]}, "select[0]: an entry is {nodes: SELECTOR"),
        ({"select": [{"links": {}, "set": {"a": 1}}]}, "select[0]: 'links' must be nodes or"),
        ({"select": [{"nodes": {"zone": "a"}, "set": {}}]}, "set must be a non-empty mapping"),
        ({"edges": {"web|api": {"kind": "essential"}}}, "edges: edge key 'web|api' must be"),
        ({"nodes": {"web": "P0"}}, "nodes: node 'web': fields must be a mapping"),
    ],
)
def test_bad_documents_say_which_entry(data: object, message: str) -> None:
    with pytest.raises(AnnotationError, match=re.escape(message)):
        parse_document(data)


def test_csv_cells_are_read_by_field_type(small: OverlayDefinition) -> None:
    text = (
        "target,key,level,rto,flows,kind\n"
        "node,web,P0,15m,shop;admin,\n"
        "node,api,P1,1h,,\n"
        "edge,web|api|8080,,,,essential\n"
    )
    document = parse_csv(text, small)
    updates = resolve(document.entries, ZONES, EDGES).updates
    batches = annotation_batches(small, updates, {})
    assert batches[TargetKind.NODE] == {
        "web": {"level": "P0", "rto": 900, "flows": ["shop", "admin"]},
        "api": {"level": "P1", "rto": 3600},
    }
    assert batches[TargetKind.EDGE] == {"web|api|8080": {"kind": "essential"}}


def test_bad_csv_rows_name_line_target_and_column(small: OverlayDefinition) -> None:
    text = "target,key,level,rto,colour\nnode,web,P0,soon,\nlink,x,,,\nnode,api,P1,1h,red\n"
    with pytest.raises(AnnotationError) as info:
        parse_csv(text, small)
    assert info.value.problems == (
        "line 2 (node 'web'): field 'rto' is not a duration: str 'soon'; write for example "
        "90s, 30m, 4h, 1h30m, 7d, or a number of seconds",
        "line 3: target must be node or edge, not 'link'",
        "line 4 (node 'api'): column 'colour' is not a node field of overlay 'small' v1",
    )
    with pytest.raises(AnnotationError, match="starts with the columns target,key"):
        parse_csv("key,target\n", small)


def test_the_sample_estate_annotations_fit_the_bcp_overlay(bcp: OverlayDefinition) -> None:
    data = yaml.safe_load((SAMPLE / "bcp-annotations.yaml").read_text())
    document = parse_document(data)
    assert document.overlay == "bcp"
    truth = yaml.safe_load((SAMPLE / "truth.json").read_text())
    observed = [EdgeKey(e["client"], e["server"], e["port"]) for e in truth["edges"]]
    zones: dict[str, str | None] = {}
    for edge in observed:
        zones.setdefault(edge.client, "a")
        zones.setdefault(edge.server, "a")
    batches = annotation_batches(bcp, resolve(document.entries, zones, observed).updates, {})
    nodes, edges = batches[TargetKind.NODE], batches[TargetKind.EDGE]
    assert nodes["edge-lb"]["criticality"] == "P0"
    assert nodes["email-backend"] == {"criticality": "P3", "rto": 86400, "startup_time": 120}
    assert edges["monitoring|billing-jobs|8080"] == {"dependency": "optional"}
    # Every explicit edge but the one declared-and-unobserved is in the sample's truth.
    explicit = set(data["edges"])
    assert explicit - {e.encode() for e in observed} == {"sessions-web|identity-svc|8080"}
    # Every explicitly annotated node is a service of the sample estate.
    assert set(data["nodes"]) <= set(zones)


def test_the_sample_data_dr_annotations_fit_and_hold_two_findings() -> None:
    definition = shipped("data-dr")
    document = parse_document(yaml.safe_load((SAMPLE / "data-dr-annotations.yaml").read_text()))
    updates = resolve(document.entries, {}, []).updates
    stores = annotation_batches(definition, updates, {})[TargetKind.NODE]
    assert len(stores) == 5
    late_schedule = [name for name, r in stores.items() if r["backup_interval"] > r["rpo"]]
    assert late_schedule == ["tax-grpc-mysql"]
    sample_end = 1714558200.0  # the end of the sample's traffic (truth.json)
    missed = [
        name
        for name, r in stores.items()
        if sample_end - timestamp_seconds(r["last_backup"]) > r["rpo"]
    ]
    assert missed == ["tax-grpc-mysql", "catalog-jobs-archive-postgresql"]
