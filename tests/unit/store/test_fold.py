"""The upsert rules as pure functions, on literals (no store)."""

from __future__ import annotations

from models.graph_change import ChangeType, EntityKind
from sinks.store_fold import Entity, change_problem, entity_row, fold, touched_refs

from .builders import cluster, edge, node

NODE, EDGE = EntityKind.NODE, EntityKind.EDGE


def test_touched_refs_include_implied_nodes() -> None:
    changes = [edge("a", "b"), edge("c", "c"), cluster("cluster:x", ["10.0.0.1"]), node("d")]
    assert touched_refs(changes) == {
        (EDGE, "a|b|443"),
        (EDGE, "c|c|443"),
        (EntityKind.CLUSTER, "cluster:x"),
        (NODE, "a"),
        (NODE, "b"),
        (NODE, "c"),
        (NODE, "cluster:x"),
        (NODE, "d"),
    }


def test_a_replay_writes_nothing() -> None:
    changes = [node("a", at=1.0, zone="z"), edge("a", "b", at=2.0)]
    first = fold({}, changes)
    assert sorted(first) == [(EDGE, "a|b|443"), (NODE, "a"), (NODE, "b")]
    assert fold(first, changes) == {}


def test_an_older_edge_change_only_moves_first_at_back() -> None:
    stored = fold({}, [edge("a", "b", at=20.0, attempts=9)])
    written = fold(stored, [edge("a", "b", at=10.0, attempts=1)])
    row = written[(EDGE, "a|b|443")]
    assert (row.payload["attempts"], row.at, row.first_at) == (9, 20.0, 10.0)
    assert written[(NODE, "a")].first_at == 10.0


def test_node_fields_keep_their_own_newest_values() -> None:
    stored = fold({}, [node("a", at=10.0, zone="old"), node("a", at=30.0, instances=5)])
    written = fold(stored, [node("a", at=20.0, zone="new", instances=2)])
    row = written[(NODE, "a")]
    assert row.payload == {"service": "a", "zone": "new", "instances": 5}
    assert (row.at, row.change, row.first_at) == (30.0, "appeared", 10.0)
    assert row.stamps == {"service": 30.0, "zone": 20.0, "instances": 30.0}


def test_an_implied_node_gives_way_to_any_real_change() -> None:
    implied = fold({}, [edge("a", "b", at=50.0)])[(NODE, "b")]
    assert (implied.at, implied.change, implied.payload, implied.stamps) == (
        None,
        None,
        {},
        {},
    )
    assert entity_row(implied)["service"] == "b"  # what the name says, shown on reading
    real = fold({implied.ref: implied}, [node("b", at=5.0, zone="z")])[(NODE, "b")]
    assert (real.at, real.first_at, real.payload["zone"]) == (5.0, 5.0, "z")


def test_stale_comes_from_the_winning_change() -> None:
    stale = fold({}, [edge("a", "b", at=1.0, change=ChangeType.STALE, status="stale")])
    assert stale[(EDGE, "a|b|443")].stale is True
    late_update = fold({}, [edge("a", "b", at=1.0, status="stale")])
    assert late_update[(EDGE, "a|b|443")].stale is True
    back = fold(stale, [edge("a", "b", at=2.0, change=ChangeType.REACTIVATED)])
    assert back[(EDGE, "a|b|443")].stale is False


def test_change_problem_accepts_what_the_stream_writes() -> None:
    for change in (edge("a", "b"), node("a", zone="z", instances=2), cluster("cluster:c", ["x"])):
        assert change_problem(change) is None


def test_entity_rows_put_the_store_fields_over_the_payload() -> None:
    entity = Entity(NODE, "api", {"name": "spoof", "zone": "z"}, "updated", 2.0, 1.0, False)
    assert entity_row(entity) == {
        "service": "api",
        "name": "api",
        "zone": "z",
        "kind": "service",
        "change": "updated",
        "at": 2.0,
        "first_at": 1.0,
        "stale": False,
    }
