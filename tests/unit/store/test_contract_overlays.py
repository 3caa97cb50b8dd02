"""Contract: overlay definitions are versioned, listed, shown and deleted with their annotations."""

from __future__ import annotations

import pytest

from sinks.errors import OverlayConflictError, UnknownOverlayError
from sinks.store import GraphStore, OverlayVersion

BCP_V1 = {"nodes": {"criticality": {"type": "enum", "values": ["P0", "P1"]}}, "edges": {}}
BCP_V2 = {**BCP_V1, "edges": {"essential": {"type": "boolean"}}}


def test_versions_are_kept_and_the_latest_is_the_default(store: GraphStore) -> None:
    store.put_overlay("bcp", 1, BCP_V1)
    store.put_overlay("bcp", 2, BCP_V2)
    store.put_overlay("data-dr", 1, {"nodes": {}, "edges": {}})
    assert store.overlay("bcp") == BCP_V2
    assert store.overlay("bcp", 1) == BCP_V1
    assert store.overlay("bcp", 3) is None
    assert store.overlay("nothing") is None
    assert store.overlays() == [OverlayVersion("bcp", 2), OverlayVersion("data-dr", 1)]
    assert store.counts().overlays == 2


def test_registering_the_same_version_again_is_a_no_op(store: GraphStore) -> None:
    store.put_overlay("bcp", 1, BCP_V1)
    store.put_overlay("bcp", 1, dict(BCP_V1))
    assert store.overlays() == [OverlayVersion("bcp", 1)]


def test_a_changed_definition_needs_a_new_version(store: GraphStore) -> None:
    store.put_overlay("bcp", 1, BCP_V1)
    with pytest.raises(OverlayConflictError, match="version 1 exists with another definition"):
        store.put_overlay("bcp", 1, BCP_V2)
    assert store.overlay("bcp") == BCP_V1


def test_versions_only_go_up(store: GraphStore) -> None:
    store.put_overlay("bcp", 3, BCP_V2)
    with pytest.raises(OverlayConflictError, match="is at version 3"):
        store.put_overlay("bcp", 2, BCP_V1)
    store.put_overlay("bcp", 5, BCP_V1)  # gaps are fine
    assert store.overlays() == [OverlayVersion("bcp", 5)]


def test_delete_removes_every_version_and_its_annotations_only(store: GraphStore) -> None:
    store.put_overlay("bcp", 1, BCP_V1)
    store.put_overlay("bcp", 2, BCP_V2)
    store.put_overlay("other", 1, BCP_V1)
    store.put_annotations("bcp", "node", {"api": {"criticality": "P0"}})
    store.put_annotations("other", "node", {"api": {"criticality": "P1"}})
    assert store.delete_overlay("bcp") is True
    assert store.overlay("bcp") is None
    assert store.overlay("bcp", 1) is None
    assert store.annotations("bcp", "node") == {}
    assert store.annotations("other", "node") == {"api": {"criticality": "P1"}}
    assert store.delete_overlay("bcp") is False
    with pytest.raises(UnknownOverlayError, match="'bcp' is not registered"):
        store.put_annotations("bcp", "node", {"api": {"criticality": "P0"}})
