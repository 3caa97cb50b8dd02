"""The overlay service over the embedded store: register, evolve, annotate, query, delete."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import yaml

from models.graph_change import ChangeType
from models.overlay_errors import AnnotationError, OverlayDefinitionError, OverlayNotFoundError
from models.overlay_file import parse_document
from models.overlay_schema import TargetKind
from sinks.overlay_service import OverlayService
from sinks.sqlite_store import SqliteGraphStore
from tests.unit.overlays.conftest import OVERLAYS, small_definition
from tests.unit.queries.conftest import T0, edge, node

GRAPH = [
    node("web", "a"),
    node("api", "a"),
    node("db", "b"),
    edge("web", "api", 8080),
    edge("api", "db", 5432),
    edge("web", "db", 5432),
]


@pytest.fixture
def service() -> Iterator[OverlayService]:
    with SqliteGraphStore(":memory:") as store:
        store.apply_changes(GRAPH)
        service = OverlayService(store)
        service.register(small_definition())
        yield service


def annotate(service: OverlayService, text: str) -> dict[str, object]:
    return service.annotate_document(parse_document(yaml.safe_load(text)), "small")


def test_register_list_show_and_the_same_version_again(service: OverlayService) -> None:
    assert service.list_overlays() == [{"name": "small", "version": 1, "description": ""}]
    again = service.register(small_definition())
    assert (again["registered"], again["misfits"]) == (False, [])
    bcp = service.register(yaml.safe_load((OVERLAYS / "bcp.yaml").read_text()))
    assert (bcp["name"], bcp["version"], bcp["registered"]) == ("bcp", 1, True)
    shown = service.show("small")
    assert shown["nodes"]["level"]["values"] == ["P0", "P1", "P2"]
    assert shown["annotated"] == {"nodes": 0, "edges": 0}
    with pytest.raises(OverlayNotFoundError, match=r"overlay 'nope' is not registered \(regis"):
        service.show("nope")


def test_annotate_by_selector_and_key_then_query(service: OverlayService) -> None:
    answer = annotate(
        service,
        """
        select:
          - nodes: {zone: a}
            set: {level: P0, rto: 15m}
          - edges: {server: db}
            set: {kind: optional}
        nodes:
          db: {level: P1, rto: 1h}
          payments: {level: P0, rto: 5m}
        edges:
          "api|db|5432": {kind: essential}
          "api|payments|443": {kind: essential}
        """,
    )
    assert answer["nodes"] == 4
    assert answer["nodes_not_in_graph"] == {"count": 1, "keys": ["payments"]}
    assert answer["edges_not_in_graph"] == {"count": 1, "keys": ["api|payments|443"]}
    assert service.annotations("small", TargetKind.EDGE) == {
        "api|db|5432": {"kind": "essential"},
        "web|db|5432": {"kind": "optional"},
        "api|payments|443": {"kind": "essential"},
    }
    result = service.query("small", {"where": ["level=P0"], "hops": 3, "via": ["kind=essential"]})
    assert [row["name"] for row in result["matched"]] == ["api", "payments", "web"]
    assert [(r["name"], r["distance"]) for r in result["reached"]] == [("db", 1)]
    crossing = service.query(
        "small", {"target": "edge", "where": ["kind=optional"], "filters": {"cross_zone": 1}}
    )
    assert [row["key"] for row in crossing["matched"]] == ["web|db|5432"]


def test_a_bad_annotation_stores_nothing(service: OverlayService) -> None:
    annotate(service, "nodes: {web: {level: P0, rto: 15m}}")
    with pytest.raises(AnnotationError) as info:
        annotate(service, "nodes: {web: {level: P1}, api: {level: P9, rto: 1h}}")
    assert info.value.problems == (
        "node 'api': field 'level' (enum) must be one of P0, P1, P2, not str 'P9'",
    )
    assert service.annotations("small", TargetKind.NODE) == {"web": {"level": "P0", "rto": 900}}


def test_annotations_merge_clear_and_replace(service: OverlayService) -> None:
    annotate(service, "nodes: {web: {level: P0, rto: 15m, flows: [shop]}}")
    annotate(service, "nodes: {web: {rto: 30m, flows: null}}")
    assert service.annotations("small", TargetKind.NODE) == {"web": {"level": "P0", "rto": 1800}}
    replaced = parse_document({"nodes": {"web": {"level": "P2", "rto": "1h"}}})
    service.annotate_document(replaced, "small", replace=True)
    assert service.annotations("small", TargetKind.NODE)["web"] == {"level": "P2", "rto": 3600}
    assert service.remove("small", TargetKind.NODE, ["web"]) == 1


def test_stream_upserts_never_touch_annotations(service: OverlayService) -> None:
    annotate(service, 'edges: {"web|api|8080": {kind: essential}}')
    stale = edge("web", "api", 8080, at=T0 + 900, status="stale", change=ChangeType.STALE)
    service.store.apply_changes([stale])
    assert service.store.edge("web|api|8080")["stale"] is True  # type: ignore[index]
    service.store.apply_changes([edge("web", "api", 8080, at=T0 + 960)])
    assert service.annotations("small", TargetKind.EDGE) == {"web|api|8080": {"kind": "essential"}}


def test_evolution_reports_misfits_and_strict_refuses(service: OverlayService) -> None:
    annotate(service, "nodes: {web: {level: P2, rto: 15m}, api: {level: P0, rto: 1h}}")
    v2 = small_definition(
        version=2,
        nodes={
            "level": {"type": "enum", "values": ["P0", "P1"], "required": True},
            "rto": {"type": "duration", "required": True},
        },
    )
    with pytest.raises(OverlayDefinitionError, match="stored annotations would not fit"):
        service.register(v2, strict=True)
    assert service.definition("small").version == 1
    result = service.register(v2)
    assert result["registered"] is True
    assert result["misfits"] == [
        "node 'web': field 'level' (enum) must be one of P0, P1, not str 'P2'"
    ]
    assert service.definition("small").version == 2
    with pytest.raises(OverlayDefinitionError, match=re.escape("register version 3")):
        service.register(small_definition(version=4))


def test_csv_annotations_and_delete(service: OverlayService) -> None:
    text = "target,key,level,rto,kind\nnode,db,P1,2h,\nedge,api|db|5432,,,essential\n"
    answer = service.annotate_csv("small", text)
    assert (answer["nodes"], answer["edges"]) == (1, 1)
    assert service.show("small")["annotated"] == {"nodes": 1, "edges": 1}
    assert service.delete("small") is True
    assert service.delete("small") is False
    with pytest.raises(OverlayNotFoundError):
        service.annotations("small", TargetKind.NODE)


def test_annotations_for_another_overlay_are_refused(service: OverlayService) -> None:
    document = parse_document({"overlay": "bcp", "nodes": {"web": {"criticality": "P0"}}})
    with pytest.raises(OverlayDefinitionError, match="for overlay 'bcp', not 'small'"):
        service.annotate_document(document, "small")
