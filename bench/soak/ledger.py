"""Events per acknowledged message, by partition and offset: turns offset lag into events.

A message carries a batch of up to 512 events, so a lag counted in offsets says little; the
publisher records how many events each acknowledged message held, and the lag is then the
events in the messages between the group's committed offset and the partition's end.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class _Partition:
    offsets: list[int] = field(default_factory=list)
    cumulative: list[int] = field(default_factory=lambda: [0])
    """cumulative[i]: events in the messages before offsets[i]."""

    def add(self, offset: int, events: int) -> None:
        if not self.offsets or offset > self.offsets[-1]:
            self.offsets.append(offset)
            self.cumulative.append(self.cumulative[-1] + events)
            return
        # An acknowledgement that arrived out of order: insert and redo the sums after it.
        at = bisect.bisect_left(self.offsets, offset)
        if at < len(self.offsets) and self.offsets[at] == offset:
            raise ValueError(f"offset {offset} recorded twice")
        self.offsets.insert(at, offset)
        self.cumulative.insert(at + 1, self.cumulative[at] + events)
        for n in range(at + 2, len(self.cumulative)):
            self.cumulative[n] += events

    def between(self, start: int, end: int) -> int:
        low = bisect.bisect_left(self.offsets, start)
        high = bisect.bisect_left(self.offsets, end)
        return self.cumulative[high] - self.cumulative[low] if high > low else 0


class OffsetLedger:
    """What the publisher sent: events in each message, found by (partition, offset)."""

    def __init__(self) -> None:
        self._partitions: dict[int, _Partition] = {}

    def record(self, partition: int, offset: int, events: int) -> None:
        self._partitions.setdefault(partition, _Partition()).add(offset, events)

    def events_between(self, partition: int, start: int, end: int) -> int:
        """Events in the messages at offsets ``start`` (included) to ``end`` (excluded)."""
        known = self._partitions.get(partition)
        return 0 if known is None else known.between(start, end)

    def lag_events(self, ends: Mapping[int, int], committed: Mapping[int, int]) -> int:
        """Events not yet committed by the group: a partition without a commit is all behind."""
        return sum(
            self.events_between(partition, max(committed.get(partition, 0), 0), end)
            for partition, end in ends.items()
        )


def lag_messages(ends: Mapping[int, int], committed: Mapping[int, int]) -> int:
    """Messages not yet committed, over every partition of the topic."""
    return sum(max(0, end - max(committed.get(p, 0), 0)) for p, end in ends.items())
