"""The graph-changes record: codec, its errors, node payloads and node dedup."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models.errors import GraphChangeError, MeeseeksError
from models.graph_change import (
    ChangeType,
    EntityKind,
    GraphChange,
    cluster_change,
    node_changes_for,
    node_payload,
    unseen_node_changes,
)
from models.topology import EdgeKey
from tests.unit.edges.conftest import EDGE, T0, Run, delta, deltas_of, events


def test_changes_of_a_run_round_trip_and_replay_identically() -> None:
    def replay() -> list[GraphChange]:
        run = Run().feed(
            ("delta", d) for d in deltas_of(events(T0, 30, 20) + events(T0 + 60, 3, 3))
        )
        run.tick(T0 + 200)
        run.tick(T0 + 2000)
        return run.changes

    changes = replay()
    assert {c.change for c in changes} >= {
        ChangeType.APPEARED,
        ChangeType.UPDATED,
        ChangeType.STALE,
    }
    text = json.dumps([c.to_dict() for c in changes])
    assert text == json.dumps([c.to_dict() for c in replay()])
    assert [GraphChange.from_dict(d) for d in json.loads(text)] == changes


def test_cluster_changes_sort_members() -> None:
    change = cluster_change("redis:orders-cache", ChangeType.MEMBERSHIP, T0, "redis", ["b", "a"])
    assert change.payload == {"engine": "redis", "members": ["a", "b"]}
    assert GraphChange.from_dict(change.to_dict()) == change
    assert change.to_dict()["v"] == 1


def good() -> dict[str, Any]:
    return GraphChange(EntityKind.EDGE, ChangeType.UPDATED, EDGE.encode(), T0, {"x": 1}).to_dict()


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"v": 2}, "version 2 is not 1"),
        ({"v": None}, "version None"),
        ({"kind": "host"}, "unknown kind"),
        ({"change": "deleted"}, "unknown kind or change"),
        ({"key": ""}, "non-empty string"),
        ({"key": 3}, "non-empty string"),
        ({"at": "soon"}, "finite number"),
        ({"at": True}, "finite number"),
        ({"at": float("nan")}, "finite number"),
        ({"payload": [1]}, "payload must be an object"),
    ],
)
def test_codec_refuses_bad_fields(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(GraphChangeError, match=message):
        GraphChange.from_dict({**good(), **patch})


@pytest.mark.parametrize("field", ["v", "kind", "change", "key", "at", "payload"])
def test_codec_names_missing_fields(field: str) -> None:
    data = good()
    del data[field]
    with pytest.raises(GraphChangeError, match="version field" if field == "v" else field):
        GraphChange.from_dict(data)


def test_codec_refuses_non_objects_and_ignores_extra_fields() -> None:
    with pytest.raises(MeeseeksError, match="JSON object"):
        GraphChange.from_dict([1, 2])
    assert GraphChange.from_dict({**good(), "new_in_v1_1": True}) == GraphChange.from_dict(good())
    assert GraphChange.from_dict({**good(), "at": 5}).at == 5.0


def test_node_payloads_say_what_is_known() -> None:
    assert node_payload("orders") == {"service": "orders"}
    assert node_payload("orders", zone="eu-1a", instances=4) == {
        "service": "orders",
        "zone": "eu-1a",
        "instances": 4,
    }
    assert node_payload("unattributed:10.1.2.3") == {"address": "10.1.2.3"}
    assert node_payload("cluster:redis:orders-cache") == {"cluster": "redis:orders-cache"}


def test_node_appearances_are_deduplicated_against_seen_nodes() -> None:
    run = Run()
    run.delta(delta(T0))
    run.delta(delta(T0, edge=EdgeKey("orders", "stock", 80)))
    fresh = unseen_node_changes(run.changes, seen={"payments"})
    assert [(c.kind.value, c.key) for c in fresh] == [
        ("node", "orders"),
        ("edge", "orders|payments|443"),
        ("node", "stock"),
        ("edge", "orders|stock|80"),
    ]
    assert unseen_node_changes(node_changes_for(EDGE, T0), seen=set()) == node_changes_for(EDGE, T0)
