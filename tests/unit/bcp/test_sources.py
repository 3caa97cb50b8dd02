"""The store and the files give the planner the same inputs; files are checked like the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.anomaly_record import Severity
from models.bcp_model import BcpError
from models.overlay_errors import AnnotationError
from sinks.bcp_sources import Placement, inputs_from_files, inputs_from_store, read_topology
from tests.unit.bcp.conftest import SmallEstate
from tests.unit.queries.conftest import T0


def test_the_store_and_the_files_give_the_same_estate_and_stores(small: SmallEstate) -> None:
    from_store = inputs_from_store(small.store)
    from_files = inputs_from_files(small.topology, small.annotations)

    assert from_store == from_files
    estate = from_store.estate
    assert sorted(estate.services) == ["api", "cluster:redis:cache", "db", "web"]
    web, cache = estate.services["web"], estate.services["cluster:redis:cache"]
    assert (web.criticality_label, web.rto_seconds, web.startup_seconds) == ("P0", 900.0, 60.0)
    assert web.flows == {"shop"}
    assert (cache.criticality_label, cache.startup_seconds, cache.datastore) == ("P1", 30.0, True)
    essential = {(e.client, e.server): e.essential for e in estate.edges}
    assert essential == {
        ("web", "api"): True,
        ("api", "cluster:redis:cache"): True,
        ("api", "db"): False,
    }
    (db,) = from_store.stores
    assert (db.name, db.rpo_seconds, db.backup_interval_seconds) == ("db", 3600.0, 86400.0)
    assert db.last_backup == T0 - 3600


def test_an_inventory_places_instances_and_cluster_members(small: SmallEstate) -> None:
    from models.inventory_owner import OwnerInterval
    from models.inventory_record import EntryKey, InventoryRecord
    from models.topology import Owner

    def owner(address: str, service: str, instance: str, zone: str) -> InventoryRecord:
        interval = OwnerInterval(Owner(service, instance, zone))
        return InventoryRecord(EntryKey.owner_of(address), (interval,))

    records = [
        owner("10.0.1.1", "web", "web-1", "a"),
        owner("10.0.2.1", "web", "web-2", "b"),
        owner("10.0.5.1", "cache", "cache-1", "a"),
        owner("10.0.5.2", "cache", "cache-2", "b"),
    ]

    estate = inputs_from_store(small.store, Placement.of(records)).estate

    assert dict(estate.services["web"].zone_instances) == {"a": 1, "b": 1}
    assert dict(estate.services["cluster:redis:cache"].zone_instances) == {"a": 1, "b": 1}
    assert dict(estate.services["api"].zone_instances) == {"a": 2}  # from its node row


def test_bad_files_get_a_reason(small: SmallEstate, tmp_path: Path) -> None:
    truncated = tmp_path / "cut.json"
    truncated.write_text('{"edges": [], "nodes": [], "truncated": true, "limit": 5}')
    clustered = tmp_path / "clustered.json"
    clustered.write_text('{"edges": [], "nodes": [], "clustered": true}')
    bad = tmp_path / "bad.yaml"
    bad.write_text("overlay: bcp\nnodes:\n  web: {criticality: P9}\n")

    with pytest.raises(BcpError, match="cut at its limit"):
        read_topology(truncated)
    with pytest.raises(BcpError, match="clustered topology"):
        read_topology(clustered)
    with pytest.raises(BcpError, match="cannot read the topology"):
        read_topology(tmp_path / "missing.json")
    with pytest.raises(AnnotationError, match="criticality"):
        inputs_from_files(small.topology, [bad])


def test_findings_of_the_small_estate(small: SmallEstate) -> None:
    from models.bcp_checks import CheckParams
    from sinks.bcp_service import BcpChecker

    checker = BcpChecker(CheckParams(learning_seconds=3600), clock=lambda: T0)
    run = checker.run(lambda: inputs_from_store(small.store))

    kinds = {(f.kind.value, f.subject, f.severity) for f in run.findings}
    assert ("dr_schedule", "db", Severity.WARNING) in kinds
    assert ("dr_backup_overdue", "db", Severity.WARNING) not in kinds  # backed up 1 h ago
    assert ("criticality_inversion", "web|api|8080", Severity.WARNING) in kinds
    assert ("single_zone", "api", Severity.CRITICAL) in kinds
    assert [e.transition.value for e in run.events] == ["raised"] * len(run.findings)
    assert run.late_flows == {"a": 0, "b": 0}
