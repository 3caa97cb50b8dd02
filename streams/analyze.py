"""One capture file through the stream's own stages, in-process and without a broker.

``meeseeks analyze`` is for a one-shot look (a capture from a switch, an inventory draft): the
events go through ``AttributionStage`` and ``EdgeStage`` exactly as on a worker, with a dict as
the edge table and a single partition, and the graph changes and anomaly events they produce
are applied to a ``GraphView``. At the end the watermark moves just past the last event's
window so every window closes, without pretending the edges then went silent.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capture.decoder import Decoder
from capture.pcap_source import PcapSource
from models.anomaly_event import AnomalyEvent
from models.anomaly_params import AnomalyParams
from models.clusters import Cluster, find_clusters
from models.connection import ConnectionEvent
from models.edge_params import EdgeParams
from models.graph_change import ChangeType, EntityKind, GraphChange
from models.graph_view import GraphView
from models.inventory import Inventory
from streams.attribution_stage import AttributionStage, DeltaBatch
from streams.edge_stage import EdgeStage, StageOutput

logger = logging.getLogger(__name__)

BATCH_EVENTS = 512
"""Events per simulated Kafka message: what a capture batch holds by default."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """What one capture showed."""

    view: GraphView
    """The graph the capture's changes and anomaly events built."""
    clusters: tuple[Cluster, ...]
    """Data-store clusters recognised from the whole capture as one window."""
    frames: int
    """Frames read from the capture."""
    events: int
    """SYNs and SYN-ACKs decoded from them."""
    skipped: Mapping[str, int]
    """Frames without an event, by reason (not mirrored TCP, not a SYN, damaged, ...)."""
    first_ts: float | None
    """Event time of the earliest event; None without events."""
    last_ts: float | None
    """Event time of the latest event; None without events."""

    def summary(self) -> dict[str, Any]:
        """The capture's counts, JSON-able."""
        return {
            "frames": self.frames,
            "events": self.events,
            "skipped": dict(sorted(self.skipped.items())),
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
        }


def read_events(capture: Path) -> tuple[list[ConnectionEvent], int, dict[str, int]]:
    """The capture's events with the fast decoder, frames read and skips by reason."""
    source = PcapSource(capture)
    decoder = Decoder()
    events = [
        event
        for record in source
        if (event := decoder.decode_frame(record.frame, record.ts, record.linktype)) is not None
    ]
    skipped = Counter(decoder.skips.nonzero())
    skipped.update(source.skips.nonzero())
    return events, source.records, dict(skipped)


def analyze_events(
    events: list[ConnectionEvent],
    inventory: Inventory,
    edge_params: EdgeParams,
    anomaly_params: AnomalyParams,
) -> tuple[GraphView, tuple[Cluster, ...]]:
    """The graph view and clusters of ``events``, through the stream's two stages."""
    view = GraphView()
    attribution = AttributionStage(inventory, edge_params.window_seconds, partitions=1)
    stage = EdgeStage(edge_params, anomaly_params, partitions=1)
    store: dict[str, Any] = {}
    offset = 0
    for offset, start in enumerate(range(0, len(events), BATCH_EVENTS)):
        batches, new_nodes = attribution.process(events[start : start + BATCH_EVENTS], 0, offset)
        view.apply_all(new_nodes)
        for partition, batch in batches.items():
            _apply(view, stage.process(batch, partition, store))
    if not events:
        return view, ()
    last_ts = max(event.ts for event in events)
    # The closing rule is start + window + grace <= watermark: this closes the last window.
    flush = edge_params.window_start(last_ts) + edge_params.window_seconds
    flush += edge_params.grace_seconds
    _apply(view, stage.process(DeltaBatch(0, offset + 1, flush, ()), 0, store))
    # Stage one counted the data-store traffic of every event as it attributed them.
    clusters = tuple(find_clusters(attribution.address_traffic.drain()))
    for cluster in clusters:
        view.apply(cluster_appeared(cluster, last_ts))
    return view, clusters


def analyze_capture(
    capture: Path, inventory: Inventory, edge_params: EdgeParams, anomaly_params: AnomalyParams
) -> Analysis:
    """Read, attribute and aggregate one capture file."""
    events, frames, skipped = read_events(capture)
    logger.info("%s: %d frames, %d events", capture, frames, len(events))
    view, clusters = analyze_events(events, inventory, edge_params, anomaly_params)
    times = [event.ts for event in events]
    return Analysis(
        view=view,
        clusters=clusters,
        frames=frames,
        events=len(events),
        skipped=skipped,
        first_ts=min(times, default=None),
        last_ts=max(times, default=None),
    )


def _apply(view: GraphView, out: StageOutput) -> None:
    view.apply_all(out.changes)
    for transition in out.transitions:
        view.apply_anomaly(AnomalyEvent(transition.kind, transition.at, transition.anomaly))


def cluster_appeared(cluster: Cluster, at: float) -> GraphChange:
    """A cluster change carrying what the clustered view needs to rewrite edges."""
    payload = {
        "engine": cluster.engine,
        "members": sorted(cluster.members),
        "member_nodes": sorted(cluster.member_nodes),
        "ports": sorted(cluster.ports),
    }
    return GraphChange(EntityKind.CLUSTER, ChangeType.APPEARED, cluster.node, at, payload)
