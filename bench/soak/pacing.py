"""A fixed-rate schedule for the soak's publisher: how many events are due at a given moment.

Pure: the caller supplies the clock. A publisher that was held up (the machine is shared)
catches up on what it owes, but never by more than ``max_backlog_seconds`` of events at once;
what lies beyond is given up and counted, so one long stall cannot turn into a burst.
"""

from __future__ import annotations

import math


class Pacer:
    """Events due at ``rate`` per second since ``start``, minus those already sent."""

    def __init__(self, rate: float, start: float, max_backlog_seconds: float = 1.0) -> None:
        if rate <= 0 or max_backlog_seconds <= 0:
            raise ValueError("rate and max_backlog_seconds must be positive")
        self.rate = rate
        self.start = start
        self.max_backlog = rate * max_backlog_seconds
        self.sent = 0
        self.given_up = 0
        """Events the schedule owed but dropped because the publisher fell too far behind."""

    def due(self, now: float) -> int:
        """Events to send now to be back on schedule (0 before ``start``)."""
        owed = math.floor(self.rate * max(0.0, now - self.start)) - self.sent - self.given_up
        if owed > self.max_backlog:
            dropped = owed - math.floor(self.max_backlog)
            self.given_up += dropped
            owed -= dropped
        return max(0, owed)

    def record(self, events: int) -> None:
        """``events`` were sent (a connection's SYN-ACK may overshoot ``due`` by one)."""
        self.sent += events


def achieved_rate(events_before: int, events_after: int, seconds: float) -> float:
    """Events per second between two readings of a counter; 0 over an empty interval."""
    return (events_after - events_before) / seconds if seconds > 0 else 0.0
