"""Where the BCP planner's inputs come from: the graph store and its overlays, or plain files.

Both roads end in the same pure builders (models/bcp_build.py, models/dr_checks.py):

- the store: the stream-owned rows and the ``bcp`` and ``data-dr`` annotations, as the sink
  and ``meeseeks overlay annotate`` left them;
- files: a JSON topology (``meeseeks analyze --json``, or a ``/topology/`` answer) and the
  annotation files teams keep in version control, resolved and validated here against the
  bundled overlay definitions exactly as ``overlay annotate`` would store them.

Instances per zone come from an inventory when one is given (the worker's own, or a file);
without one, each node's ``zone`` and ``instances`` stand in (one zone per service).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import config
from models.bcp_build import DEFAULT_LEVELS, BcpNotes, GraphRows, build_estate
from models.bcp_inventory import zone_instances
from models.bcp_model import BcpError, BcpEstate
from models.dr_checks import DataStoreDr, stores_from_notes
from models.inventory import Inventory
from models.inventory_record import InventoryRecord
from models.overlay_annotate import annotation_batches, resolve
from models.overlay_file import parse_csv, parse_document
from models.overlay_schema import OverlayDefinition, TargetKind, parse_definition
from models.topology import EdgeKey
from sinks.store import GraphStore

logger = logging.getLogger(__name__)

BCP_OVERLAY = "bcp"
DR_OVERLAY = "data-dr"
BUNDLED_OVERLAYS = Path(config.__file__).parent / "overlays"
_FILES = {BCP_OVERLAY: "bcp.yaml", DR_OVERLAY: "data-dr.yaml"}

Notes = dict[TargetKind, dict[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class BcpInputs:
    estate: BcpEstate
    stores: tuple[DataStoreDr, ...] = ()


@dataclass(frozen=True, slots=True)
class Placement:
    """Where instances run, from an inventory; empty: the nodes' own zone and count."""

    zone_counts: Mapping[str, Mapping[str, int]] | None = None
    zone_of: Callable[[str], str | None] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, records: Sequence[InventoryRecord], at: float | None = None) -> Placement:
        """Owners valid at ``at``; the current ones (wall clock) when None."""
        inventory = Inventory(records)
        when = time.time() if at is None else at

        def zone_of(address: str) -> str | None:
            owner = inventory.owner_at(address, when)
            return owner.zone if owner is not None else None

        return cls(zone_instances(records, when), zone_of)


def bundled_definition(name: str) -> OverlayDefinition:
    path = BUNDLED_OVERLAYS / _FILES[name]
    return parse_definition(yaml.safe_load(path.read_text()))


def criticality_levels(definition: OverlayDefinition | None) -> tuple[str, ...]:
    spec = definition.nodes.get("criticality") if definition is not None else None
    return tuple(spec.values) if spec is not None and spec.values else DEFAULT_LEVELS


def assemble(
    rows: GraphRows, bcp: Notes, dr: Notes, levels: Sequence[str], placement: Placement
) -> BcpInputs:
    notes = BcpNotes(bcp.get(TargetKind.NODE, {}), bcp.get(TargetKind.EDGE, {}), levels)
    estate = build_estate(rows, notes, placement.zone_counts, placement.zone_of)
    return BcpInputs(estate, tuple(stores_from_notes(dr.get(TargetKind.NODE, {}))))


# -- the graph store -------------------------------------------------------------------------
def inputs_from_store(store: GraphStore, placement: Placement = Placement()) -> BcpInputs:
    """Synchronous (python-arango is): call it off the event loop."""
    rows = GraphRows(store.nodes(), store.edges(), store.clusters())
    stored = store.overlay(BCP_OVERLAY)
    definition = parse_definition(stored) if stored is not None else None
    if definition is None:
        logger.warning("the store has no %r overlay: nothing belongs to a BCP flow", BCP_OVERLAY)
    notes = {
        name: {kind: store.annotations(name, kind.value) for kind in TargetKind}
        for name in (BCP_OVERLAY, DR_OVERLAY)
    }
    return assemble(
        rows, notes[BCP_OVERLAY], notes[DR_OVERLAY], criticality_levels(definition), placement
    )


# -- files -----------------------------------------------------------------------------------
def read_topology(path: Path) -> GraphRows:
    """Rows of ``meeseeks analyze --json`` output or of a ``/topology/`` answer."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BcpError(f"cannot read the topology {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise BcpError(f"{path}: expected a JSON object with nodes and edges")
    body = document.get("topology", document)
    clusters = document.get("clusters", {})
    if not isinstance(body, dict) or not isinstance(body.get("edges"), list):
        raise BcpError(
            f"{path}: no edges list; give `meeseeks analyze --json` output or a /topology/ answer"
        )
    if body.get("truncated"):
        raise BcpError(
            f"{path}: the topology was cut at its limit ({body.get('limit')}); fetch it again "
            "with a larger limit (/topology/?limit=100000 or analyze --limit)"
        )
    if body.get("clustered"):
        raise BcpError(
            f"{path}: a clustered topology; annotations name member services, so give the "
            "plain one (clustered=0) with the clusters beside it"
        )
    cluster_rows = clusters.get("clusters", []) if isinstance(clusters, dict) else clusters
    return GraphRows(body.get("nodes") or [], body["edges"], cluster_rows or [])


def read_annotations(path: Path, definitions: Mapping[str, OverlayDefinition]) -> tuple[str, Any]:
    """The overlay an annotation file is for and its entries (YAML, JSON or CSV)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise BcpError(f"cannot read the annotations {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        name = path.stem if path.stem in definitions else BCP_OVERLAY
        return name, parse_csv(text, definitions[name])
    document = parse_document(yaml.safe_load(text))
    name = document.overlay or BCP_OVERLAY
    if name not in definitions:
        raise BcpError(f"{path} annotates overlay {name!r}; the planner reads bcp and data-dr")
    return name, document


def file_notes(rows: GraphRows, paths: Sequence[Path]) -> dict[str, Notes]:
    """Annotation files applied in order, per overlay, validated whole as the store would."""
    definitions = {name: bundled_definition(name) for name in _FILES}
    zones = {str(row["name"]): row.get("zone") for row in rows.nodes if "name" in row}
    edges = [EdgeKey(str(r["client"]), str(r["server"]), int(r["port"])) for r in rows.edges]
    notes: dict[str, Notes] = {name: {} for name in _FILES}
    for path in paths:
        name, document = read_annotations(path, definitions)
        updates = resolve(document.entries, zones, edges).updates
        batches = annotation_batches(definitions[name], updates, notes[name])
        for kind, records in batches.items():
            notes[name].setdefault(kind, {}).update(records)
    return notes


def inputs_from_files(
    topology: Path, annotations: Sequence[Path], placement: Placement = Placement()
) -> BcpInputs:
    rows = read_topology(topology)
    notes = file_notes(rows, annotations)
    levels = criticality_levels(bundled_definition(BCP_OVERLAY))
    return assemble(rows, notes[BCP_OVERLAY], notes[DR_OVERLAY], levels, placement)
