"""Cluster recognition in a helper process, so the worker's event loop never waits on it.

``find_clusters`` over the retention of the whole estate's data-store traffic takes seconds
(about four at 12,000 services in ``make bench-stream``, more at ten times that). Run on the
event loop, it stalls every agent, the query API and Kafka heartbeats meanwhile. The worker
sends the observations to one helper process instead (as plain tuples, which pickle several
times faster than the dataclasses) and keeps streaming until the clusters come back.

A helper process that dies is replaced on the next recomputation; if it cannot be started at
all, recognition runs in the worker as before (logged once).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from models.cluster_observations import AddressObservation
from models.cluster_params import ClusterParams
from models.clusters import Cluster, find_clusters
from streams.cluster_stage import Row, as_rows

logger = logging.getLogger(__name__)


def find_clusters_in_rows(rows: list[Row], params: ClusterParams) -> list[Cluster]:
    """``find_clusters`` of observations given as tuples (what crosses the process boundary)."""
    return find_clusters([AddressObservation(*row) for row in rows], params)


def _quiet_signals() -> None:
    """In the helper: signals no longer reach the worker's event loop through the inherited
    wake-up descriptor, and Ctrl-C in a terminal is the worker's to handle."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class ClusterFinder:
    """Runs ``find_clusters`` in one helper process, started when first needed."""

    def __init__(self, *, in_process: bool = False) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._in_process = in_process
        """True: never start a helper (tests, or after the helper could not be started)."""

    async def find(
        self, observations: list[AddressObservation], params: ClusterParams
    ) -> list[Cluster]:
        if self._in_process:
            return find_clusters(observations, params)
        rows = as_rows(observations)
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._ensure_pool()
            if pool is None:
                break
            try:
                return await loop.run_in_executor(pool, find_clusters_in_rows, rows, params)
            except BrokenProcessPool:
                logger.warning(
                    "the cluster helper process died (attempt %d); replacing it", attempt
                )
                self._pool = None
        return find_clusters(observations, params)

    def _ensure_pool(self) -> ProcessPoolExecutor | None:
        if self._pool is None and not self._in_process:
            try:
                # fork, not spawn: a spawned child would import the worker's __main__ module,
                # which builds a whole app and loads the inventory. The child only computes.
                context = multiprocessing.get_context("fork")
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=context, initializer=_quiet_signals
                )
            except (OSError, ValueError) as exc:
                logger.warning(
                    "no cluster helper process (%s): recognising clusters in the worker", exc
                )
                self._in_process = True
        return self._pool

    def close(self) -> None:
        """Stop the helper process (pending work is dropped: the worker is stopping)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
