"""How far behind in time a consumer group is on a topic whose message sizes we do not know.

The worker's own edge-deltas topic carries batches the harness never sees, so its lag cannot
be counted in events. Instead each sample keeps the topic's end offsets; the group's committed
offset is then located in that history, and the lag is how long ago the end of the partition
was where the group is now (linear between two samples). The worst partition counts.
"""

from __future__ import annotations

from collections.abc import Mapping


class EndHistory:
    """End offsets of one topic's partitions at each sample time, oldest first."""

    def __init__(self) -> None:
        self._times: list[float] = []
        self._ends: list[Mapping[int, int]] = []

    def record(self, t: float, ends: Mapping[int, int]) -> None:
        if self._times and t < self._times[-1]:
            raise ValueError("samples must be recorded in time order")
        self._times.append(t)
        self._ends.append(dict(ends))

    def lag_seconds(self, committed: Mapping[int, int], now: float) -> float:
        """Seconds the group is behind: 0 when it is at the end of every partition.

        A position older than the first sample gives ``now`` minus that sample's time: a lower
        bound, since the history does not reach back further.
        """
        if not self._times:
            return 0.0
        return max(
            (self._partition_lag(p, committed.get(p, 0), now) for p in self._ends[-1]),
            default=0.0,
        )

    def _partition_lag(self, partition: int, position: int, now: float) -> float:
        if position >= self._ends[-1].get(partition, 0):
            return 0.0
        previous_t, previous_end = None, 0
        for t, ends in zip(self._times, self._ends, strict=True):
            end = ends.get(partition, 0)
            if end > position:
                if previous_t is None:
                    return now - t
                # The message at ``position`` was written between the two samples.
                share = (position - previous_end) / (end - previous_end)
                return now - (previous_t + share * (t - previous_t))
            previous_t, previous_end = t, end
        return 0.0
