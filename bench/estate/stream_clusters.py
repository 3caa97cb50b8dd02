"""Clusters as the stream's own cluster stage holds them when the capture ends.

``meeseeks analyze`` recognises clusters once over the whole capture; a worker instead feeds
``ClusterStage`` the data-store candidate traffic every flush and recomputes each window over
the last ``cluster_retention_seconds`` of event time. Scoring both shows whether what
``make run`` displays for an estate matches what the one-shot path finds. The flush happens
after every message of ``BATCH_EVENTS`` events, a little more often than a worker's timer
fires when a capture is replayed quickly.
"""

from __future__ import annotations

from models.address_traffic import AddressTraffic
from models.attribution import attribute
from models.clusters import Cluster
from models.connection import ConnectionEvent
from models.inventory import Inventory
from streams.analyze import BATCH_EVENTS
from streams.cluster_stage import ClusterStage


def stream_clusters(
    events: list[ConnectionEvent],
    inventory: Inventory,
    window_seconds: float,
    retention_seconds: float,
) -> tuple[Cluster, ...]:
    """The cluster stage's clusters after the last message of ``events``."""
    stage = ClusterStage(interval_seconds=window_seconds, retention_seconds=retention_seconds)
    traffic = AddressTraffic()
    watermark = float("-inf")
    for start in range(0, len(events), BATCH_EVENTS):
        for event in events[start : start + BATCH_EVENTS]:
            traffic.add(event, attribute(event, inventory))
            watermark = max(watermark, event.ts)
        stage.add(traffic.drain(), watermark)
    return stage.tracker.clusters
