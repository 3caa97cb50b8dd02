"""The two stream stages on plain values: attribution to deltas, deltas to edges and changes."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from config.inventory_file import load_inventory_file
from models.anomaly_params import AnomalyParams
from models.connection import ConnectionEvent, Kind
from models.edge_delta import EdgeDelta
from models.edge_params import EdgeParams
from models.edge_state import EdgeStatus
from models.errors import EdgeRecordError
from models.graph_change import ChangeType, EntityKind
from models.inventory import Inventory
from models.topology import EdgeKey
from streams.attribution_stage import AttributionStage, DeltaBatch
from streams.edge_stage import EdgeStage
from streams.partitioning import partition_of
from streams.records import (
    decode_delta_batches,
    delta_messages,
    encode_delta_batch,
    encode_delta_batches,
)

PARTITIONS = 4
T0 = 1_714_550_400.0  # 2024-05-01T08:00:00Z, a multiple of 60

INVENTORY = """
owners:
  - {address: 10.0.0.1, service: web, instance: web-1, zone: a}
  - {address: 10.0.0.2, service: web, instance: web-2, zone: b}
  - {address: 10.0.1.0/24, service: api, instance: api-pods, zone: a}
  - {address: 10.0.2.5, service: db, instance: db-1, zone: b}
"""


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    return Inventory(load_inventory_file(path))


def syn(ts: float, src: str, dst: str, dport: int, sport: int = 40000) -> ConnectionEvent:
    return ConnectionEvent(ts, src, sport, dst, dport, Kind.SYN, None, 2, 0, 1, "192.0.2.1")


def synack(ts: float, server: str, client: str, port: int) -> ConnectionEvent:
    return ConnectionEvent(
        ts, server, port, client, 40000, Kind.SYN_ACK, None, 2, 0, 1, "192.0.2.1"
    )


def traffic(minutes: int, seed: int = 7) -> list[ConnectionEvent]:
    """web -> api:8080 answered, api -> db:5432 answered, web -> unknown:9999 never answered."""
    rng = random.Random(seed)
    events = []
    for minute in range(minutes):
        for _ in range(5):
            ts = T0 + minute * 60 + rng.random() * 59
            client = rng.choice(["10.0.0.1", "10.0.0.2"])
            events += [
                syn(ts, client, "10.0.1.7", 8080),
                synack(ts + 0.001, "10.0.1.7", client, 8080),
            ]
            events += [
                syn(ts, "10.0.1.9", "10.0.2.5", 5432),
                synack(ts, "10.0.2.5", "10.0.1.9", 5432),
            ]
            events.append(syn(ts, "10.0.0.1", "10.9.9.9", 9999))
    return events


def run(
    events: list[ConnectionEvent], inventory: Inventory, batch: int = 16
) -> tuple[EdgeStage, dict[str, dict[str, object]], list]:
    attribution = AttributionStage(inventory, 60.0, PARTITIONS)
    stage = EdgeStage(EdgeParams(), AnomalyParams(), PARTITIONS)
    store: dict[str, dict[str, object]] = {}
    changes = []
    for offset, start in enumerate(range(0, len(events), batch)):
        batches, nodes = attribution.process(events[start : start + batch], 0, offset)
        changes += nodes
        for partition, delta_batch in batches.items():
            changes += stage.process(delta_batch, partition, store).changes
    return stage, store, changes


def test_attribution_routes_every_delta_to_its_servers_partition(inventory: Inventory) -> None:
    stage = AttributionStage(inventory, 60.0, PARTITIONS)
    batches, nodes = stage.process(traffic(1), source=3, offset=42)
    assert sorted(batches) == list(range(PARTITIONS))
    deltas = [d for b in batches.values() for d in b.deltas]
    assert {d.edge for d in deltas} == {
        EdgeKey("web", "api", 8080),
        EdgeKey("api", "db", 5432),
        EdgeKey("web", "unattributed:10.9.9.9", 9999),
    }
    for partition, batch in batches.items():
        assert (batch.source, batch.offset) == (3, 42)
        assert all(partition_of(d.edge.server, PARTITIONS) == partition for d in batch.deltas)
    assert sum(d.attempts for d in deltas) == 15
    assert sum(d.answered for d in deltas) == 10
    zones = {c.key: c.payload.get("zone") for c in nodes}
    assert zones["web"] in {"a", "b"}
    assert zones["db"] == "b"
    assert "zone" not in next(c.payload for c in nodes if c.key == "unattributed:10.9.9.9")


def test_delta_batch_round_trip(inventory: Inventory) -> None:
    batches, _ = AttributionStage(inventory, 60.0, PARTITIONS).process(traffic(2), 0, 1)
    for batch in batches.values():
        assert DeltaBatch.from_dict(json.loads(json.dumps(batch.to_dict()))) == batch
        # Version 1 (one object per delta), as an older worker left it in the topic.
        old = {**batch.to_dict(), "v": 1, "deltas": [d.to_dict() for d in batch.deltas]}
        del old["rows"]
        assert DeltaBatch.from_dict(json.loads(json.dumps(old))) == batch
    with pytest.raises(EdgeRecordError, match="malformed edge delta row"):
        DeltaBatch.from_dict({**batch.to_dict(), "rows": [["web", "api"]]})
    with pytest.raises(ValueError, match="unknown delta batch version"):
        DeltaBatch.from_dict({"v": 9})


def test_windows_close_and_edges_go_stale_in_event_time(inventory: Inventory) -> None:
    events = traffic(10)
    # A lone late-running source keeps the clock moving 20 minutes past the traffic.
    events.append(syn(T0 + 30 * 60, "10.0.0.1", "10.0.1.7", 8080))
    stage, store, changes = run(events, inventory)
    api_db = store[EdgeKey("api", "db", 5432).encode()]
    state = stage.states([EdgeKey("api", "db", 5432).encode()], store)[0]
    assert api_db["a"] == {"0": len(range(0, len(events), 16)) - 1}  # last message that counted
    assert state.attempts == 50
    assert state.answered == 50
    assert state.late_events == 0
    assert [w.start for w in state.history] == [T0 + 60 * m for m in range(10)]
    assert all(w.attempts == 5 and w.answered == 5 for w in state.history)
    assert state.status is EdgeStatus.STALE
    failing = stage.states([EdgeKey("web", "unattributed:10.9.9.9", 9999).encode()], store)[0]
    assert (failing.attempts, failing.answered) == (50, 0)
    assert all(math.isfinite(c.at) for c in changes)  # consumers refuse infinite event times
    kinds = {(c.kind, c.change) for c in changes if c.key == "api|db|5432"}
    assert (EntityKind.EDGE, ChangeType.APPEARED) in kinds
    assert (EntityKind.EDGE, ChangeType.STALE) in kinds


def test_replayed_batches_are_not_counted_twice(inventory: Inventory) -> None:
    events = traffic(3)
    attribution = AttributionStage(inventory, 60.0, PARTITIONS)
    stage = EdgeStage(EdgeParams(), AnomalyParams(), PARTITIONS)
    store: dict[str, dict[str, object]] = {}
    produced = [attribution.process(events[i : i + 10], 0, i) for i in range(0, len(events), 10)]
    for batches, _ in produced + produced[:5]:  # the first five messages arrive again
        for partition, batch in batches.items():
            stage.process(batch, partition, store)
    api = stage.states(["web|api|8080"], store)[0]
    assert api.attempts == 15
    # A replay publishes the edge's current state again, in case the first output was lost.
    batches, _ = produced[0]
    out = stage.process(
        batches[partition_of("api", PARTITIONS)], partition_of("api", PARTITIONS), store
    )
    again = [c for c in out.changes if c.key == "web|api|8080"]
    assert [(c.change, c.payload["attempts"]) for c in again] == [(ChangeType.UPDATED, 15)]


def test_batches_of_several_messages_apply_as_one_message_each(inventory: Inventory) -> None:
    """A delta message carrying many input messages' batches (and replays of some of them)
    ends with the same table and changes as one message per batch, writing each edge once."""
    events = [*traffic(12), syn(T0 + 40 * 60, "10.0.0.1", "10.0.1.7", 8080)]
    attribution = AttributionStage(inventory, 60.0, PARTITIONS)
    produced = [
        attribution.process(events[i : i + 10], i % 3, i) for i in range(0, len(events), 10)
    ]
    per_partition: dict[int, list[DeltaBatch]] = {p: [] for p in range(PARTITIONS)}
    for batches, _ in produced + produced[3:6]:  # three messages arrive a second time
        for partition, batch in batches.items():
            per_partition[partition].append(batch)

    one_by_one = EdgeStage(EdgeParams(), AnomalyParams(), PARTITIONS)
    store: dict[str, dict[str, object]] = {}
    expected = []
    for partition, batches in per_partition.items():
        for batch in batches:
            expected += one_by_one.process(batch, partition, store).changes

    together = EdgeStage(EdgeParams(), AnomalyParams(), PARTITIONS)
    writes: list[str] = []

    class Table(dict[str, dict[str, object]]):
        def update(self, *args: object, **kwargs: object) -> None:
            values = dict(*args, **kwargs)  # type: ignore[call-overload]
            writes.extend(values)
            super().update(values)

    table = Table()
    got = []
    for partition, batches in per_partition.items():
        for message in delta_messages(batches, max_deltas=5):
            received = decode_delta_batches(encode_delta_batches(message))
            assert received == message
            got += together.process_all(received, partition, table).changes
    assert table == store
    assert got == expected
    assert len(writes) < sum(len(b.deltas) for bs in per_partition.values() for b in bs)


def test_delta_messages_hold_whole_batches_up_to_a_size() -> None:
    batch = DeltaBatch(0, 1, T0, ())
    sized = [DeltaBatch(0, n, T0, tuple([None] * n)) for n in (3, 3, 9, 1)]  # type: ignore[list-item]
    assert [[len(b.deltas) for b in m] for m in delta_messages(sized, max_deltas=6)] == [
        [3, 3],
        [9],
        [1],
    ]
    assert delta_messages([], 6) == []
    assert decode_delta_batches(encode_delta_batch(batch)) == [batch]  # a version-2 message


def test_a_restarted_stage_continues_from_the_table(inventory: Inventory) -> None:
    events = [*traffic(12), syn(T0 + 40 * 60, "10.0.0.1", "10.0.1.7", 8080)]
    _, expected_store, _ = run(events, inventory)

    attribution = AttributionStage(inventory, 60.0, PARTITIONS)
    store: dict[str, dict[str, object]] = {}
    messages = [events[i : i + 16] for i in range(0, len(events), 16)]
    stage = EdgeStage(EdgeParams(), AnomalyParams(), PARTITIONS)
    for offset, chunk in enumerate(messages):
        if offset == len(messages) // 2:
            # The worker dies; a new one starts with only the table (and replays two messages).
            stage = EdgeStage(EdgeParams(), AnomalyParams(), PARTITIONS)
            attribution = AttributionStage(inventory, 60.0, PARTITIONS)
            for replay in range(offset - 2, offset):
                batches, _ = attribution.process(messages[replay], 0, replay)
                for partition, batch in batches.items():
                    stage.process(batch, partition, store)
        batches, _ = attribution.process(chunk, 0, offset)
        for partition, batch in batches.items():
            stage.process(batch, partition, store)
    assert store == expected_store


def test_an_early_source_does_not_make_a_later_sources_deltas_late(inventory: Inventory) -> None:
    """Replays deliver connection partitions in any order: windows wait for every source."""
    now = [0.0]
    stage = EdgeStage(EdgeParams(), AnomalyParams(), PARTITIONS, clock=lambda: now[0])
    store: dict[str, dict[str, object]] = {}
    early = [syn(T0 + 40 * 60, "10.0.0.1", "10.0.1.7", 8080)]  # source 1 runs 40 minutes ahead
    late = [e for e in traffic(10) if 5432 in (e.dport, e.sport)]  # ten minutes of api->db
    for source, events in ((1, early), (0, late)):
        batches, _ = AttributionStage(inventory, 60.0, PARTITIONS).process(events, source, 0, 2)
        for partition, batch in batches.items():
            stage.process(batch, partition, store)
    api_db = stage.states(["api|db|5432"], store)[0]
    assert api_db.late_events == 0
    assert [(w.attempts, w.answered) for w in api_db.history] == [(5, 5)] * 9
    # Once every source has been silent for a while, the watermark moves to the newest time.
    now[0] = 60.0
    partition = partition_of("db", PARTITIONS)
    stage.process(DeltaBatch.tick(), partition, store)
    api_db = stage.states(["api|db|5432"], store)[0]
    assert len(api_db.history) == 10
    assert api_db.status is EdgeStatus.STALE


def test_after_a_rebalance_ticks_alone_close_the_windows(inventory: Inventory) -> None:
    """A partition taken over after the traffic ended still closes its windows and goes stale."""
    now = [0.0]
    stage = EdgeStage(EdgeParams(), AnomalyParams(), PARTITIONS, clock=lambda: now[0])
    store: dict[str, dict[str, object]] = {}
    events = [e for e in traffic(10) if 5432 in (e.dport, e.sport)]
    batches, _ = AttributionStage(inventory, 60.0, PARTITIONS).process(events, 0, 0, 4)
    for partition, batch in batches.items():
        stage.process(batch, partition, store)
    assert stage.states(["api|db|5432"], store)[0].history == ()  # three sources still silent

    taken_over = EdgeStage(EdgeParams(), AnomalyParams(), PARTITIONS, clock=lambda: now[0])
    partition = partition_of("db", PARTITIONS)
    now[0] = 100.0
    taken_over.process(DeltaBatch.tick(), partition, store)  # rebuilds from the table, waits
    now[0] = 120.0
    taken_over.process(DeltaBatch.tick(), partition, store)
    api_db = taken_over.states(["api|db|5432"], store)[0]
    # Event time only reaches the last event, so the last window stays open: nothing is late.
    assert [(w.attempts, w.answered) for w in api_db.history] == [(5, 5)] * 9
    assert len(api_db.open_windows) == 1
    assert api_db.late_events == 0


def test_a_sweep_cut_into_parts_ends_as_one_sweep() -> None:
    """A watermark that closes every edge's window at once is worked through a few edges at a
    time; the table and the changes end the same as in one pass."""
    edges = [EdgeKey(f"c{n}", f"s{n % 7}", 80 + n) for n in range(40)]
    batches = [
        DeltaBatch(
            0,
            offset,
            T0 + 30 + offset,
            tuple(
                EdgeDelta(edge, T0, 2, 1, T0 + offset, T0 + offset, ("i-1",))
                for edge in edges[offset::3]
            ),
            1,
        )
        for offset in range(3)
    ]
    closing = DeltaBatch(
        0, 3, T0 + 900, (EdgeDelta(edges[0], T0 + 840, 1, 0, T0 + 900, T0 + 900, ()),), 1
    )

    def run_with(chunk: int) -> tuple[dict[str, object], list[object], int]:
        stage = EdgeStage(EdgeParams(), AnomalyParams(), 1, sweep_chunk=chunk)
        store: dict[str, object] = {}
        changes: list[object] = []
        parts = 0
        for batch in [*batches, closing]:
            out = stage.process_all([batch], 0, store)
            changes += out.changes
            while out.more:
                parts += 1
                out = stage.resume(0, store)
                changes += out.changes
        return store, changes, parts

    whole, whole_changes, whole_parts = run_with(10_000)
    cut, cut_changes, cut_parts = run_with(3)
    assert whole_parts == 0
    assert cut_parts >= 10
    assert cut == whole
    assert cut_changes == whole_changes
    assert all(value["s"]["hist"] for value in whole.values())  # every window closed
