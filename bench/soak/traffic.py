"""The soak's traffic: connections along the estate's edges at times the caller chooses.

Pure and seeded. Edges are drawn with Zipf weights (s = 1, a seeded random ranking), so a
few edges carry most connections and the tail is seen only now and then: with event time
following the wall clock, those tail edges go stale and come back during the soak. A
connection is a SYN and, for 95% of them, the SYN-ACK half a millisecond later, the same
shapes as ``bench.stream.workload``.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence

from bench.stream.workload import ANSWERED, MIRROR, Edge, Estate, connection_edges
from models.connection import ConnectionEvent, Kind

HANDSHAKE_SECONDS = 0.0005
_TAGS = (None, 2, 0, 1, MIRROR)
"""vlan, erspan_version, erspan_vlan, session, mirror: untagged frames of one ERSPAN II session."""


class SteadyTraffic:
    """Connection events for an estate, drawn from one seeded random stream."""

    def __init__(self, estate: Estate, seed: int = 1) -> None:
        if not estate.edges:
            raise ValueError("the estate has no edges")
        self.estate = estate
        self._rng = random.Random(seed)
        ranks = list(range(len(estate.edges)))
        self._rng.shuffle(ranks)
        self._cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in ranks))

    def events(self, count: int, start: float, end: float) -> list[ConnectionEvent]:
        """About ``count`` events (whole connections) with SYNs spread over [start, end)."""
        connections = connections_for(count)
        edges = self._rng.choices(self.estate.edges, cum_weights=self._cumulative, k=connections)
        return self._connections(edges, start, end)

    def warm_up(self, count: int, start: float, end: float, seed: int = 1) -> list[ConnectionEvent]:
        """About ``count`` events in which every edge has at least one connection."""
        connections = max(len(self.estate.edges), connections_for(count))
        order = connection_edges(self.estate, connections, seed)
        return self._connections([self.estate.edges[n] for n in order], start, end)

    def _connections(
        self, edges: Sequence[Edge], start: float, end: float
    ) -> list[ConnectionEvent]:
        if not edges:
            return []
        step = (end - start) / len(edges)
        rng, estate = self._rng, self.estate
        out: list[ConnectionEvent] = []
        for n, edge in enumerate(edges):
            ts = start + n * step
            client = estate.host(edge.client, rng.randrange(14))
            server = estate.host(edge.server, rng.randrange(14))
            sport = rng.randrange(20_000, 60_000)
            port = edge.port
            out.append(ConnectionEvent(ts, client, sport, server, port, Kind.SYN, *_TAGS))
            if rng.random() < ANSWERED:
                answer = ts + HANDSHAKE_SECONDS
                out.append(
                    ConnectionEvent(answer, server, port, client, sport, Kind.SYN_ACK, *_TAGS)
                )
        return out


def connections_for(events: int) -> int:
    """Connections that make about ``events`` events (a SYN, and a SYN-ACK for most)."""
    return math.ceil(events / (1 + ANSWERED)) if events > 0 else 0
