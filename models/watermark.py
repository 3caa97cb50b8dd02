"""Event-time watermarks of the edge-deltas topic, one per partition.

Every delta of an edge travels through one partition of the keyed deltas topic, so a
partition's watermark is all its edges need: partitions never wait for each other. Within a
partition, deltas come from several attribution workers (sources) whose event time may differ;
each also sends watermark ticks to every partition, so a quiet partition still advances. The
watermark is the minimum over the sources of the latest event time each has sent, so a
lagging worker's deltas are not judged late; a source more than ``max_source_lag_seconds``
behind the leader is left out (a stopped worker must not hold every window open), and its
deltas then count as late data. With a single source (the default name) this is simply the
highest event time seen. A partition's watermark never decreases.

With ``idle_seconds`` set (what the stream uses) a source is left out by wall-clock silence
instead: a replayed capture may hold hours between its partitions' event times, and only a
source that has stopped sending must stop holding windows open. A partition that knows how
many sources to expect waits, up to ``idle_seconds``, for all of them before it advances, so
the first source to arrive cannot make every other source's deltas late. When every source is
silent, all data has arrived and the watermark moves to the newest event time.

The tracker is in-memory; ``snapshot``/``load`` let the wiring keep it in a small table so a
restarted worker resumes with the same watermarks (and so closes the same windows). Without
that table, ``watermark_from_states`` gives a safe lower bound.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from models.edge_state import EdgeState
from models.errors import EdgeRecordError

SNAPSHOT_VERSION = 1


class _Partition:
    __slots__ = ("born", "dirty", "expected", "floor", "seen", "sources", "top")

    def __init__(self, floor: float) -> None:
        self.sources: dict[str, float] = {}
        self.seen: dict[str, float] = {}
        self.top = -math.inf
        self.floor = floor
        self.dirty = False
        self.born: float | None = None
        self.expected: int | None = None


class Watermarks:
    """Per-partition watermarks of one worker (plain in-memory state, rebuilt on restart)."""

    __slots__ = ("_idle", "_max_lag", "_partitions")

    def __init__(
        self, max_source_lag_seconds: float = 120.0, idle_seconds: float | None = None
    ) -> None:
        if not max_source_lag_seconds >= 0:
            raise ValueError(f"max_source_lag_seconds={max_source_lag_seconds!r} must be >= 0")
        self._max_lag = math.inf if idle_seconds is not None else max_source_lag_seconds
        self._idle = idle_seconds
        self._partitions: dict[int, _Partition] = {}

    def observe(
        self,
        partition: int,
        ts: float,
        source: str = "",
        *,
        now: float | None = None,
        expected: int | None = None,
    ) -> float:
        """Record an event time (a delta's last ts or a tick) and return the new watermark.

        ``now`` (a wall clock) and ``expected`` (how many sources feed the partition) matter
        only with ``idle_seconds``.
        """
        part = self._partitions.get(partition)
        if part is None:
            part = self._partitions[partition] = _Partition(-math.inf)
        if now is not None:
            part.seen[source] = now
            if part.born is None:
                part.born = now
        if expected is not None:
            part.expected = expected
        previous = part.sources.get(source)
        if previous is None or ts > previous:
            part.sources[source] = ts
            part.top = max(part.top, ts)
            part.dirty = True
        return self._current(part, now)

    def tick(self, partition: int, now: float) -> float | None:
        """Re-judge silent sources at wall-clock ``now``; the watermark after it."""
        part = self._partitions.get(partition)
        if part is None:
            return None
        current = self._current(part, now)
        return None if current == -math.inf else current

    def watermark(self, partition: int) -> float | None:
        """The partition's watermark; None before any event time or restore."""
        part = self._partitions.get(partition)
        if part is None:
            return None
        current = self._current(part)
        return None if current == -math.inf else current

    def restore(self, partition: int, floor: float | None, top: float | None = None) -> None:
        """Seed a partition after a restart or rebalance (see ``watermark_from_states``).

        ``top`` is the newest event time in the partition's data: where the watermark may go
        once every source has been silent, since nothing tells the sources' own times any more.
        """
        if floor is None:
            return
        part = self._partitions.get(partition)
        if part is None:
            part = self._partitions[partition] = _Partition(floor)
        else:
            part.floor = max(part.floor, floor)
        if top is not None:
            part.top = max(part.top, top)

    def forget(self, partition: int) -> None:
        """Drop a partition this worker no longer owns."""
        self._partitions.pop(partition, None)

    def snapshot(self, partition: int) -> dict[str, Any]:
        """JSON-able state of one partition, to keep in a table so a restart resumes exactly."""
        part = self._partitions.get(partition)
        if part is None:
            return {"v": SNAPSHOT_VERSION, "floor": None, "sources": {}}
        self._current(part)
        floor = None if part.floor == -math.inf else part.floor
        return {"v": SNAPSHOT_VERSION, "floor": floor, "sources": dict(part.sources)}

    def load(self, partition: int, data: dict[str, Any]) -> None:
        """Replace a partition's state by a ``snapshot``."""
        if not isinstance(data, dict) or data.get("v") != SNAPSHOT_VERSION:
            raise EdgeRecordError(f"not a watermark snapshot of version {SNAPSHOT_VERSION}")
        try:
            floor = data["floor"]
            part = _Partition(-math.inf if floor is None else float(floor))
            part.sources = {str(name): float(ts) for name, ts in data["sources"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EdgeRecordError(f"malformed watermark snapshot {data!r:.200}: {exc!r}") from exc
        part.top = max(part.sources.values(), default=-math.inf)
        self._partitions[partition] = part

    def sources(self, partition: int) -> dict[str, float]:
        """Latest event time per source still taken into account (for metrics)."""
        part = self._partitions.get(partition)
        if part is None:
            return {}
        self._current(part)
        return dict(part.sources)

    def _current(self, part: _Partition, now: float | None = None) -> float:
        if self._idle is not None:  # moves only when told the time
            return part.floor if now is None else self._current_by_silence(part, now, self._idle)
        if part.dirty:
            part.dirty = False
            cutoff = part.top - self._max_lag
            lagging = [name for name, ts in part.sources.items() if ts < cutoff]
            for name in lagging:
                del part.sources[name]
            if part.sources:
                part.floor = max(part.floor, min(part.sources.values()))
        return part.floor

    @staticmethod
    def _current_by_silence(part: _Partition, now: float, idle: float) -> float:
        if part.born is None:
            part.born = now
        missing = not part.sources or (
            part.expected is not None and len(part.sources) < part.expected
        )
        if missing and now - part.born <= idle:
            return part.floor  # some sources have not spoken yet: wait for them a while
        live = [ts for name, ts in part.sources.items() if now - part.seen.get(name, now) <= idle]
        if live:
            candidate = min(live)
        elif part.sources:
            candidate = max(part.sources.values())
        else:  # restored, and nobody has sent since: all data is in
            candidate = part.top
        part.floor = max(part.floor, candidate)
        return part.floor


def watermark_from_states(states: Iterable[EdgeState]) -> float | None:
    """A partition's watermark recovered from its edge states after a restart.

    The highest watermark any edge was advanced to: one the partition really had, so restoring
    it never closes a window early (the highest last_seen could be ahead of the watermark when
    a source lags). None for a partition without edges.
    """
    best: float | None = None
    for state in states:
        if best is None or state.watermark > best:
            best = state.watermark
    return best
