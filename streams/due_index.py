"""Edge keys by the event time at which they next need the edge stage's attention.

A window closes, an edge turns stale or a silence becomes an anomaly at an event time known in
advance, so the stage keeps a timer index instead of visiting every edge on every watermark.
Most edges of a partition fall due at the same few times (window boundaries), so keys are kept
in one list per time and only the distinct times in a heap: pushing and popping cost a dict
access, not a heap step that compares key strings when times are equal.
"""

from __future__ import annotations

import heapq
import math


class DueIndex:
    """Keys by due time; a key may be in several times' lists (callers re-check it)."""

    __slots__ = ("_keys", "_times")

    def __init__(self) -> None:
        self._times: list[float] = []
        self._keys: dict[float, list[str]] = {}

    def push(self, at: float, key: str) -> None:
        """Remember ``key`` as due at ``at``; a key that is never due (inf) is not kept."""
        if at == math.inf:
            return
        keys = self._keys.get(at)
        if keys is None:
            self._keys[at] = [key]
            heapq.heappush(self._times, at)
        else:
            keys.append(key)

    def pop(self, watermark: float, limit: int) -> list[tuple[float, str]]:
        """Up to ``limit`` (time, key) pairs due at or before ``watermark``, earliest first."""
        found: list[tuple[float, str]] = []
        times, keys = self._times, self._keys
        while times and times[0] <= watermark and len(found) < limit:
            at = times[0]
            due = keys[at]
            room = limit - len(found)
            if len(due) <= room:
                heapq.heappop(times)
                del keys[at]
                found.extend((at, key) for key in due)
            else:
                found.extend((at, key) for key in due[:room])
                del due[:room]
        return found

    def due(self, watermark: float) -> bool:
        """Whether some key is due at or before ``watermark``."""
        return bool(self._times) and self._times[0] <= watermark

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._keys.values())
