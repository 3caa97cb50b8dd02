"""Score what ``meeseeks analyze`` finds in an estate's capture against the estate's truth.

The capture goes through ``streams.analyze.analyze_capture``, the in-process path of the
command (decoder, attribution stage, edge stage, clustering over the whole capture). Edges
are compared as the stream names them before clusters are folded in; the issue's targets
hold for edges with at least ``MIN_ATTEMPTS`` attempts on both sides of the comparison.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from bench.estate.stream_clusters import stream_clusters
from bench.estate.truth import load_truth
from bench.estate.writer import CAPTURE, INVENTORY, TRUTH
from config.inventory_file import load_inventory_file
from config.settings import load_settings
from models.clusters import Cluster
from models.inventory import Inventory
from models.query_input import MAX_LIMIT
from streams.analyze import analyze_capture, read_events
from streams.topology import anomaly_params_from, edge_params_from

logger = logging.getLogger(__name__)

MIN_ATTEMPTS: Final = 3
EDGE_TARGET: Final = 0.99
CLUSTER_TARGET: Final = 0.95
Key = tuple[str, str, int]
Counts = tuple[int, int]


@dataclass(frozen=True)
class EdgeScore:
    """Edges with at least ``floor`` attempts in the truth against those in the graph."""

    floor: int
    truth: int
    observed: int
    matched: int
    exact: int
    """Truth edges the graph has with the same attempts and answered counts."""
    missing: list[Key] = field(default_factory=list)
    spurious: list[Key] = field(default_factory=list)
    miscounted: list[tuple[Key, Counts, Counts | None]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.observed if self.observed else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.truth if self.truth else 1.0

    @property
    def exact_rate(self) -> float:
        return self.exact / self.truth if self.truth else 1.0


@dataclass(frozen=True)
class ClusterScore:
    """Truth clusters recovered with exactly their members, and clusters nobody asked for."""

    truth: int
    recovered: int
    same_engine: int
    missed: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    """A missed cluster and the observed cluster sharing most members with it."""
    spurious: list[Cluster] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.recovered / self.truth if self.truth else 1.0


@dataclass(frozen=True)
class Accuracy:
    """Everything ``python -m bench.estate accuracy`` reports."""

    edges: EdgeScore
    all_edges: EdgeScore
    clusters: ClusterScore
    stream_clusters: ClusterScore
    """Clusters of the stream's windowed cluster stage at the end of the capture (no target)."""
    frames: tuple[int, int]
    """Frames in the truth and frames the capture reader saw."""
    events: tuple[int, int]
    """SYNs plus SYN-ACKs in the truth and events the decoder produced."""
    params: Mapping[str, Any]
    seconds: float

    def checks(self) -> list[tuple[str, float, float, bool]]:
        """(what, measured, target, passed) for each of the issue's targets."""
        measured = (
            ("edge precision", self.edges.precision, EDGE_TARGET),
            ("edge recall", self.edges.recall, EDGE_TARGET),
            ("clusters recovered", self.clusters.rate, CLUSTER_TARGET),
        )
        return [(name, value, target, value >= target) for name, value, target in measured]

    @property
    def passed(self) -> bool:
        return all(passed for *_, passed in self.checks())


def measure(directory: Path) -> Accuracy:
    """Analyse ``directory``'s capture with its inventory and score it against its truth."""
    truth = load_truth(directory / TRUTH)
    settings = load_settings()
    inventory = Inventory(load_inventory_file(directory / INVENTORY))
    began = time.perf_counter()
    analysis = analyze_capture(
        directory / CAPTURE, inventory, edge_params_from(settings), anomaly_params_from(settings)
    )
    seconds = time.perf_counter() - began
    events, _, _ = read_events(directory / CAPTURE)
    windowed = stream_clusters(
        events, inventory, settings.window_seconds, settings.cluster_retention_seconds
    )
    body = analysis.view.topology(limit=MAX_LIMIT)
    if body["truncated"]:
        logger.warning("the graph has more than %d edges: the score covers the first", MAX_LIMIT)
    observed = {
        (e["client"], e["server"], e["port"]): (e["attempts"], e["answered"]) for e in body["edges"]
    }
    expected = {
        (e["client"], e["server"], e["port"]): (e["attempts"], e["answered"])
        for e in truth["edges"]
    }
    frames = truth["frames"]
    return Accuracy(
        edges=score_edges(expected, observed, MIN_ATTEMPTS),
        all_edges=score_edges(expected, observed, 1),
        clusters=score_clusters(truth["clusters"], analysis.clusters),
        stream_clusters=score_clusters(truth["clusters"], windowed),
        frames=(frames["total"], analysis.frames),
        events=(frames["syn"] + frames["syn_ack"], analysis.events),
        params=truth["params"],
        seconds=seconds,
    )


def score_edges(
    expected: Mapping[Key, Counts], observed: Mapping[Key, Counts], floor: int
) -> EdgeScore:
    """Precision and recall over edges with ``floor`` attempts or more on each side."""
    truth = {key for key, (attempts, _) in expected.items() if attempts >= floor}
    seen = {key for key, (attempts, _) in observed.items() if attempts >= floor}
    miscounted = [
        (key, expected[key], observed.get(key))
        for key in sorted(truth)
        if observed.get(key) != expected[key]
    ]
    return EdgeScore(
        floor=floor,
        truth=len(truth),
        observed=len(seen),
        matched=len(truth & seen),
        exact=len(truth) - len(miscounted),
        missing=sorted(truth - seen),
        spurious=sorted(seen - truth),
        miscounted=miscounted,
    )


def score_clusters(expected: list[dict[str, Any]], found: tuple[Cluster, ...]) -> ClusterScore:
    """A truth cluster is recovered when one cluster found has exactly its member addresses."""
    by_members = {cluster.members: cluster for cluster in found}
    recovered = same_engine = 0
    missed: list[tuple[dict[str, Any], list[str]]] = []
    matched: set[frozenset[str]] = set()
    for cluster in expected:
        members = frozenset(cluster["members"])
        hit = by_members.get(members)
        if hit is None:
            nearest = max(found, key=lambda c: len(c.members & members), default=None)
            missed.append((cluster, sorted(nearest.members) if nearest is not None else []))
            continue
        matched.add(members)
        recovered += 1
        same_engine += hit.engine == cluster["engine"]
    spurious = [cluster for cluster in found if cluster.members not in matched]
    return ClusterScore(len(expected), recovered, same_engine, missed, spurious)
