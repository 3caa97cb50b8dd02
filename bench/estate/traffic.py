"""Turn the estate's flows, probes and scans into connections, one minute of event time at a time.

Working a minute at a time keeps memory flat however long the run: the writer turns each
minute's connections into packets and frames and forgets them. Times are whole microseconds
(the capture's resolution), so what the truth counts is exactly what the capture holds.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from bench.estate.model import Endpoint, Estate, Flow

SLICE: Final = 60.0
SAME_ZONE: Final = 0.8
"""Share of connections that stay in the caller's zone when the callee has instances there."""
EPHEMERAL: Final = (32768, 60999)


@dataclass(frozen=True, slots=True)
class Connection:
    """One connection attempt: the SYNs it sends and whether the server answers or refuses."""

    ts: int
    """First SYN, microseconds since the epoch."""
    client: Endpoint
    server: Endpoint
    port: int
    sport: int
    isn: int
    tries: int
    answered: bool
    refused: bool
    rtt: int
    """Microseconds from SYN to SYN-ACK or RST."""


class Sampler:
    """Draws every connection of an estate from one random stream, minute by minute."""

    def __init__(self, estate: Estate, rng: random.Random) -> None:
        self.estate, self.rng = estate, rng
        self.start = estate.params.start
        self._planned: defaultdict[int, list[tuple[float, Flow, Endpoint, Endpoint]]]
        self._planned = defaultdict(list)
        self._plan_links()
        self._plan_probes()
        self._plan_scans()

    def minutes(self) -> Iterator[list[Connection]]:
        """Each minute's connections in time order; a connection's later packets may spill over."""
        for minute in range(self.estate.params.minutes):
            lo = self.start + minute * SLICE
            found: list[Connection] = []
            for flow in self.estate.flows:
                for client in flow.clients:
                    found += self._poisson(
                        flow, client, max(lo, client.start), min(lo + SLICE, client.end)
                    )
            for ts, flow, client, server in self._planned.pop(minute, []):
                found.append(self._connection(ts, flow, client, server))
            found.sort(key=lambda c: (c.ts, c.client.address, c.sport))
            yield found

    # -- planned connections -----------------------------------------------------------------
    def _slot(self, ts: float) -> int:
        return int((ts - self.start) // SLICE)

    def _plan_links(self) -> None:
        """Long-lived links open once at a random moment of the time both ends are up."""
        for flow in self.estate.flows:
            if not flow.at_least_once:
                continue
            for client in flow.clients:
                lo, hi = max(client.start, self.start), min(client.end, self.estate.params.end)
                ts = self.rng.uniform(lo, hi)
                server = self._pick(flow, client, ts)
                if server is not None:
                    self._planned[self._slot(ts)].append((ts, flow, client, server))

    def _plan_probes(self) -> None:
        """Each checker probes each endpoint once a period, from a random phase."""
        end = self.estate.params.end
        for probe in self.estate.probes:
            check = Flow("health", probe.clients, probe.servers, probe.port, 0.0, probe.answered)
            for client in probe.clients:
                for server in probe.servers:
                    ts = self.start + self.rng.uniform(0.0, probe.period)
                    while ts < end:
                        if client.start <= ts < client.end and server.start <= ts < server.end:
                            self._planned[self._slot(ts)].append((ts, check, client, server))
                        ts += probe.period

    def _plan_scans(self) -> None:
        for sweep in self.estate.scans:
            for n, target in enumerate(sweep.targets):
                ts = sweep.start + n * sweep.spacing
                server = Endpoint(target.address, target.node, None, 0.0, 1e12)
                flow = Flow("scan", (), (), target.port, 0.0, target.answers)
                if target.refuses:
                    flow = Flow("scan-refused", (), (), target.port, 0.0, False)
                self._planned[self._slot(ts)].append((ts, flow, sweep.source, server))

    # -- sampling ------------------------------------------------------------------------------
    def _poisson(self, flow: Flow, client: Endpoint, lo: float, hi: float) -> list[Connection]:
        if flow.per_minute <= 0 or hi <= lo:
            return []
        found = []
        gap = 60.0 / flow.per_minute
        ts = lo + self.rng.expovariate(1.0 / gap)
        while ts < hi:
            server = self._pick(flow, client, ts)
            if server is not None:
                found.append(self._connection(ts, flow, client, server))
            ts += self.rng.expovariate(1.0 / gap)
        return found

    def _pick(self, flow: Flow, client: Endpoint, ts: float) -> Endpoint | None:
        """A server up at ``ts`` in the client's family, in the client's zone most of the time."""
        up = [s for s in flow.servers if s.start <= ts < s.end and s.ipv6 == client.ipv6]
        if not up:
            return None
        near = [s for s in up if s.zone == client.zone]
        if near and self.rng.random() < SAME_ZONE:
            return self.rng.choice(near)
        return self.rng.choice(up)

    def _connection(self, ts: float, flow: Flow, client: Endpoint, server: Endpoint) -> Connection:
        same = client.zone is not None and client.zone == server.zone
        return Connection(
            ts=round(ts * 1_000_000),
            client=client,
            server=server,
            port=flow.port,
            sport=self.rng.randint(*EPHEMERAL),
            isn=self.rng.getrandbits(32),
            tries=flow.tries,
            answered=flow.answered,
            refused=flow.label == "scan-refused",
            rtt=self.rng.randint(80, 900) if same else self.rng.randint(600, 2500),
        )
