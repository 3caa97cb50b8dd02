"""The combiner: a batch of attributed events folded into per-(edge, window) deltas.

The attribution stage sees every SYN; sending each one to the edge tables would cost a Kafka
message per packet. It folds a batch into one delta per edge and event-time window instead, and
deltas merge associatively, so the edge stage may apply them in any grouping.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from models.connection import Kind
from models.edge_params import EdgeParams, window_start
from models.errors import EdgeRecordError
from models.topology import EdgeKey

DELTA_VERSION = 1
DEFAULT_MAX_CLIENT_INSTANCES = EdgeParams().max_client_instances


class Observation(NamedTuple):
    """One attributed SYN or SYN-ACK, as the attribution stage hands it to the combiner."""

    edge: EdgeKey
    """The edge the event belongs to."""
    ts: float
    """Capture time of the event, epoch seconds (event time)."""
    kind: Kind
    """SYN counts as an attempt, SYN-ACK as an answer."""
    client_instance: str | None
    """The client's instance id; None when the client address is unattributed."""


@dataclass(frozen=True, slots=True)
class EdgeDelta:
    """The events of one edge in one event-time window, from one batch (or several, merged)."""

    edge: EdgeKey
    """The edge."""
    window_start: float
    """Start of the window, epoch seconds (a multiple of the window length)."""
    attempts: int
    """SYNs seen."""
    answered: int
    """SYN-ACKs seen."""
    first_ts: float
    """Earliest event time in the delta."""
    last_ts: float
    """Latest event time in the delta."""
    client_instances: tuple[str, ...]
    """Distinct client instance ids of SYNs and SYN-ACKs, sorted, at most the cap."""
    client_instances_truncated: bool = False
    """True when more instances were seen than the cap; the smallest ids are kept."""

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-able form for the deltas topic."""
        out: dict[str, Any] = {
            "v": DELTA_VERSION,
            "edge": self.edge.encode(),
            "w": self.window_start,
            "syn": self.attempts,
            "ack": self.answered,
            "first": self.first_ts,
            "last": self.last_ts,
            "ci": list(self.client_instances),
        }
        if self.client_instances_truncated:
            out["cit"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EdgeDelta:
        """Read a delta written by ``to_dict``; refuse versions and shapes it does not know."""
        version = data.get("v") if isinstance(data, dict) else None
        if version != DELTA_VERSION:
            raise EdgeRecordError(
                f"edge delta version {version!r} is not {DELTA_VERSION}; upgrade the edge stage"
            )
        try:
            return cls(
                edge=EdgeKey.decode(data["edge"]),
                window_start=float(data["w"]),
                attempts=int(data["syn"]),
                answered=int(data["ack"]),
                first_ts=float(data["first"]),
                last_ts=float(data["last"]),
                client_instances=tuple(str(i) for i in data["ci"]),
                client_instances_truncated=bool(data.get("cit", False)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EdgeRecordError(f"malformed edge delta {data!r}: {exc!r}") from exc

    def to_row(self) -> list[Any]:
        """Positional form for batches of many deltas (no field names, no per-delta version):
        ``[client, server, port, window start, syn, ack, first, last, [ids], truncated]``."""
        edge = self.edge
        return [
            edge.client,
            edge.server,
            edge.port,
            self.window_start,
            self.attempts,
            self.answered,
            self.first_ts,
            self.last_ts,
            list(self.client_instances),
            self.client_instances_truncated,
        ]

    @classmethod
    def from_row(cls, row: Any) -> EdgeDelta:
        """Read ``to_row`` output; the batch around it carries the version."""
        try:
            client, server, port, start, syn, ack, first, last, ids, truncated = row
            return cls(
                edge=shared_edge_key(str(client), str(server), int(port)),
                window_start=float(start),
                attempts=int(syn),
                answered=int(ack),
                first_ts=float(first),
                last_ts=float(last),
                client_instances=tuple([str(i) for i in ids]),
                client_instances_truncated=bool(truncated),
            )
        except (TypeError, ValueError) as exc:
            raise EdgeRecordError(f"malformed edge delta row {row!r:.300}: {exc!r}") from exc


@lru_cache(maxsize=131_072)
def shared_edge_key(client: str, server: str, port: int) -> EdgeKey:
    """One ``EdgeKey`` object per edge for keys read off the wire: they repeat in every batch,
    and a shared object compares by identity first."""
    return EdgeKey(client, server, port)


def cap_instances(ids: Iterable[str], limit: int) -> tuple[tuple[str, ...], bool]:
    """Sorted distinct ids, at most ``limit`` of them, and whether some were dropped.

    Keeping the smallest ids (not the first seen) makes the result independent of arrival
    order and grouping, which is what lets deltas merge associatively.
    """
    distinct = set(ids)
    if len(distinct) <= min(1, limit):
        return tuple(distinct), False
    if len(distinct) <= limit:
        return tuple(sorted(distinct)), False
    return tuple(heapq.nsmallest(limit, distinct)), True


class _Accumulator:
    __slots__ = ("answered", "attempts", "edge", "first", "instances", "last")

    def __init__(self, edge: EdgeKey, ts: float) -> None:
        self.edge = edge
        self.attempts = 0
        self.answered = 0
        self.first = ts
        self.last = ts
        self.instances: set[str] = set()


class Combiner:
    """Folds observations into one running count per (edge, window), one event at a time.

    The attribution stage feeds it straight from its event loop, so a batch needs no list of
    observations in between; ``combine`` is the same fold over an iterable.
    """

    __slots__ = ("_groups", "_limit", "_window")

    def __init__(
        self, window_seconds: float, max_client_instances: int = DEFAULT_MAX_CLIENT_INSTANCES
    ) -> None:
        if window_seconds <= 0:
            raise ValueError(f"window_seconds={window_seconds!r} must be positive")
        self._window = window_seconds
        self._limit = max_client_instances
        self._groups: dict[tuple[str, str, int, float], _Accumulator] = {}
        """(client, server, port, window start): plain values hash and compare in C, where
        EdgeKey's generated ``__hash__`` and ``__eq__`` run Python code for every event."""

    def add(self, edge: EdgeKey, ts: float, kind: Kind, instance: str | None) -> bool:
        """Count one event; True when it is the first of its (edge, window) in this fold."""
        key = (edge.client, edge.server, edge.port, window_start(ts, self._window))
        acc = self._groups.get(key)
        new = acc is None
        if acc is None:
            acc = self._groups[key] = _Accumulator(edge, ts)
        elif ts < acc.first:
            acc.first = ts
        elif ts > acc.last:
            acc.last = ts
        if kind == Kind.SYN:
            acc.attempts += 1
        else:
            acc.answered += 1
        if instance is not None:
            acc.instances.add(instance)
        return new

    def deltas(self) -> list[EdgeDelta]:
        """One delta per (edge, window) counted, sorted by edge then window start."""
        out = []
        for (_, _, _, start), acc in sorted(self._groups.items()):
            instances, truncated = cap_instances(acc.instances, self._limit)
            out.append(
                EdgeDelta(
                    acc.edge,
                    start,
                    acc.attempts,
                    acc.answered,
                    acc.first,
                    acc.last,
                    instances,
                    truncated,
                )
            )
        return out


def combine(
    observations: Iterable[Observation | tuple[EdgeKey, float, Kind, str | None]],
    window_seconds: float,
    max_client_instances: int = DEFAULT_MAX_CLIENT_INSTANCES,
) -> list[EdgeDelta]:
    """One delta per (edge, window) of the batch, sorted by edge then window start."""
    combiner = Combiner(window_seconds, max_client_instances)
    for edge, ts, kind, instance in observations:
        combiner.add(edge, ts, kind, instance)
    return combiner.deltas()


def merge(
    a: EdgeDelta, b: EdgeDelta, max_client_instances: int = DEFAULT_MAX_CLIENT_INSTANCES
) -> EdgeDelta:
    """The delta of both inputs' events; associative and commutative for one (edge, window)."""
    if a.edge != b.edge or a.window_start != b.window_start:
        raise ValueError(
            f"cannot merge deltas of {a.edge.encode()}@{a.window_start} "
            f"and {b.edge.encode()}@{b.window_start}"
        )
    if a.client_instances == b.client_instances and len(a.client_instances) <= max_client_instances:
        instances, truncated = a.client_instances, False
    else:
        instances, truncated = cap_instances(
            (*a.client_instances, *b.client_instances), max_client_instances
        )
    return EdgeDelta(
        edge=a.edge,
        window_start=a.window_start,
        attempts=a.attempts + b.attempts,
        answered=a.answered + b.answered,
        first_ts=min(a.first_ts, b.first_ts),
        last_ts=max(a.last_ts, b.last_ts),
        client_instances=instances,
        client_instances_truncated=(
            truncated or a.client_instances_truncated or b.client_instances_truncated
        ),
    )
