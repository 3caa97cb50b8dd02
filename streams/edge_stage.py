"""Stage two of the stream: delta batches in, edge states in a table, graph changes out.

Runs inside the Faust agent that owns a partition of the delta topic, against that worker's
table (any ``MutableMapping`` of encoded edge key to stored value, so tests pass a dict). It
keeps no state that the table cannot rebuild: the timer index of due edges, the partition's
watermark and the decoded-state cache are derived from the table when a partition is first
seen, which is what lets windows keep closing after a restart.

A stored value is ``{"s": EdgeState.to_dict(), "a": {source partition: last offset}}``: the
offsets make a replayed batch a no-op for every edge that already counted it.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from models.anomalies import evaluate_silence, evaluate_window
from models.anomaly_params import AnomalyParams
from models.anomaly_tracker import SILENCE_KINDS, WINDOW_KINDS, AnomalyTracker, Transition
from models.edge_aggregation import advance, apply_delta, due_at
from models.edge_delta import EdgeDelta
from models.edge_params import EdgeParams
from models.edge_state import EdgeState
from models.edge_views import edge_payload
from models.graph_change import ChangeType, EntityKind, GraphChange, node_changes_for
from models.topology import EdgeKey, WindowStats
from models.watermark import Watermarks
from streams.attribution_stage import DeltaBatch
from streams.partitioning import partition_of

logger = logging.getLogger(__name__)

Store = MutableMapping[str, Any]


@dataclass
class _Entry:
    state: EdgeState
    applied: dict[str, int]


@dataclass
class StageOutput:
    """What one batch (or sweep) produced."""

    changes: list[GraphChange] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    applied_deltas: int = 0
    replayed_deltas: int = 0


@dataclass
class EdgeStage:
    """Applies deltas and closes windows for the partitions this worker owns."""

    params: EdgeParams
    anomaly_params: AnomalyParams
    partitions: int
    source_idle_seconds: float = 10.0
    """Wall-clock silence after which a source no longer holds a partition's watermark back."""
    clock: Callable[[], float] = time.monotonic
    watermarks: Watermarks = field(init=False)
    tracker: AnomalyTracker = field(default_factory=AnomalyTracker)
    _due: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    _stream_start: dict[int, float] = field(default_factory=dict)
    _cache: dict[str, _Entry] = field(default_factory=dict)
    _pushed: dict[str, float] = field(default_factory=dict)
    """Each key's latest due time in the heap, so an unchanged one is not pushed again."""
    _writes: dict[str, Any] = field(default_factory=dict)
    """Table values of the batch being processed, written together when it is done."""

    def __post_init__(self) -> None:
        self.watermarks = Watermarks(idle_seconds=self.source_idle_seconds)

    # -- partitions ------------------------------------------------------------------------
    def forget_partitions(self) -> None:
        """Drop everything derived; the next batch of each partition rebuilds it from the table."""
        for partition in list(self._due):
            self.watermarks.forget(partition)
        self._due.clear()
        self._stream_start.clear()
        self._cache.clear()
        self._pushed.clear()
        # Anomalies of partitions now owned elsewhere are the new owner's to raise and resolve.
        self.tracker = AnomalyTracker()

    def _ensure(self, partition: int, store: Store) -> None:
        if partition in self._due:
            return
        heap: list[tuple[float, str]] = []
        states = []
        for key, value in store.items():
            edge = EdgeKey.decode(key)
            if partition_of(edge.server, self.partitions) != partition:
                continue
            entry = _decode(value)
            self._cache[key] = entry
            states.append(entry.state)
            due = due_at(entry.state, self.params)
            self._pushed[key] = due
            heap.append((due, key))
            heap.append((self._silence_due(entry.state), key))
        heapq.heapify(heap)
        self._due[partition] = heap
        if states:
            self._stream_start[partition] = min(s.first_seen for s in states)
            self.watermarks.restore(
                partition,
                max(s.watermark for s in states),
                top=max(s.last_seen for s in states),
            )
        logger.info("partition %d: rebuilt the index of %d edges", partition, len(states))

    # -- batches ---------------------------------------------------------------------------
    def process(self, batch: DeltaBatch, partition: int, store: Store) -> StageOutput:
        """Apply one batch and write what it changed to ``store``."""
        return self.process_all([batch], partition, store)

    def process_all(
        self, batches: Iterable[DeltaBatch], partition: int, store: Store
    ) -> StageOutput:
        """Apply batches in order, as one message each would, and write each changed edge once."""
        self._ensure(partition, store)
        out = StageOutput()
        for batch in batches:
            self._apply(batch, partition, out)
        self._write(store)
        return out

    def _apply(self, batch: DeltaBatch, partition: int, out: StageOutput) -> None:
        now = self.clock()
        if batch.is_tick:
            watermark = self.watermarks.tick(partition, now)
            if watermark is not None:
                self._sweep(partition, watermark, out)
            return
        # The batch's own deltas count against the clock as it stood before the batch: its
        # watermark is the newest of its events, which must not close their own windows.
        before = self.watermarks.watermark(partition)
        if before is None:  # the partition's first batch: nothing can have closed yet
            before = min((d.first_ts for d in batch.deltas), default=batch.watermark)
        applying_at = before
        source = str(batch.source)
        grouped: dict[str, list[EdgeDelta]] = {}
        for delta in batch.deltas:
            grouped.setdefault(delta.edge.encode(), []).append(delta)
        for key, deltas in grouped.items():
            # The partition's every stored edge is in the cache since _ensure: a miss is new.
            entry = self._cache.get(key)
            if entry is not None and entry.applied.get(source, -1) >= batch.offset:
                # Counted before a crash, but what it published, and its changelog record, may
                # have died in the producer's buffer: write and publish the current state again
                # (the changelog catches up with the local store; sinks upsert).
                out.replayed_deltas += len(deltas)
                self._save(key, entry, partition)
                out.changes.extend(node_changes_for(entry.state.edge, entry.state.watermark))
                out.changes.append(
                    GraphChange(
                        EntityKind.EDGE,
                        ChangeType.UPDATED,
                        key,
                        entry.state.watermark,
                        edge_payload(entry.state, self.params),
                    )
                )
                continue
            if partition not in self._stream_start:
                self._stream_start[partition] = min(d.first_ts for d in deltas)
            state = entry.state if entry is not None else None
            previous = state
            for delta in deltas:
                state, changes = apply_delta(state, delta, self.params, applying_at)
                out.changes.extend(changes)
            assert state is not None
            applied = dict(entry.applied) if entry is not None else {}
            applied[source] = batch.offset
            self._save(key, _Entry(state, applied), partition)
            self._judge(key, previous, state, partition, out)
            out.applied_deltas += len(deltas)
        watermark = self.watermarks.observe(
            partition, batch.watermark, source=source, now=now, expected=batch.sources
        )
        self._sweep(partition, watermark, out)

    def _sweep(self, partition: int, watermark: float, out: StageOutput) -> None:
        heap = self._due[partition]
        pushed = self._pushed
        seen: set[str] = set()
        while heap and heap[0][0] <= watermark:
            due, key = heapq.heappop(heap)
            if pushed.get(key) == due:
                del pushed[key]
            if key in seen:
                continue
            seen.add(key)
            # Every key in the heap has been loaded since the partition was (re)built.
            entry = self._cache.get(key)
            if entry is None:
                continue
            state, changes = advance(entry.state, watermark, self.params)
            if state is not entry.state:
                out.changes.extend(changes)
                self._save(key, _Entry(state, entry.applied), partition)
                self._judge(key, entry.state, state, partition, out)
            silence = evaluate_silence(state.edge, state.history, watermark, self.anomaly_params)
            out.transitions.extend(self.tracker.observe(key, SILENCE_KINDS, silence, watermark))
            if not silence:
                heapq.heappush(heap, (self._silence_due(state), key))

    # -- anomalies -------------------------------------------------------------------------
    def _judge(
        self, key: str, before: EdgeState | None, after: EdgeState, partition: int, out: StageOutput
    ) -> None:
        if before is not None and before.history is after.history:
            return  # nothing closed (the fold keeps the very same history tuple)
        for closed in _newly_closed(before, after):
            found = evaluate_window(
                after.edge,
                after.history,
                closed,
                after.first_seen,
                self._stream_start.get(partition, after.first_seen),
                self.anomaly_params,
            )
            out.transitions.extend(self.tracker.observe(key, WINDOW_KINDS, found, closed.start))

    def _silence_due(self, state: EdgeState) -> float:
        if not state.history:
            return float("inf")
        window = self.anomaly_params.window_seconds
        return state.history[-1].start + (self.anomaly_params.vanished_silent_windows + 1) * window

    # -- table access ----------------------------------------------------------------------
    def _load(self, key: str, store: Store) -> _Entry | None:
        entry = self._cache.get(key)
        if entry is None:
            value = store.get(key)
            if value is None:
                return None
            entry = self._cache[key] = _decode(value)
        return entry

    def _save(self, key: str, entry: _Entry, partition: int) -> None:
        self._cache[key] = entry
        self._writes[key] = entry
        due = due_at(entry.state, self.params)
        if self._pushed.get(key) != due:
            self._pushed[key] = due
            heapq.heappush(self._due[partition], (due, key))

    def _write(self, store: Store) -> None:
        """One table write per edge the batch changed, however often it changed it."""
        if self._writes:
            store.update(
                {key: {"s": e.state.to_dict(), "a": e.applied} for key, e in self._writes.items()}
            )
            self._writes.clear()

    def states(self, keys: Iterable[str], store: Store) -> list[EdgeState]:
        found = (self._load(key, store) for key in keys)
        return [entry.state for entry in found if entry is not None]


def _decode(value: dict[str, Any]) -> _Entry:
    return _Entry(EdgeState.from_dict(value["s"]), {str(k): int(v) for k, v in value["a"].items()})


def _newly_closed(before: EdgeState | None, after: EdgeState) -> list[WindowStats]:
    last = before.history[-1].start if before is not None and before.history else float("-inf")
    return [window for window in after.history if window.start > last]
