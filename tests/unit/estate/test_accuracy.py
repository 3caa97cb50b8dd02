"""Accuracy: the scoring itself, and the product held to the issue's targets on a tiny estate."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.estate.__main__ import main
from bench.estate.accuracy import CLUSTER_TARGET, EDGE_TARGET, measure, score_clusters, score_edges
from models.clusters import Cluster


def test_the_product_meets_the_targets_on_a_tiny_estate(tiny: Path) -> None:
    result = measure(tiny)
    assert result.frames[0] == result.frames[1]
    assert result.events[0] == result.events[1]
    assert result.edges.truth > 30
    assert result.edges.precision >= EDGE_TARGET, result.edges.spurious
    assert result.edges.recall >= EDGE_TARGET, result.edges.missing
    assert result.clusters.truth == 7
    assert result.clusters.rate >= CLUSTER_TARGET, result.clusters.missed
    assert result.passed


def test_edges_are_scored_above_the_floor_on_both_sides() -> None:
    expected = {("a", "b", 1): (5, 5), ("a", "c", 1): (3, 0), ("a", "d", 1): (1, 1)}
    observed = {("a", "b", 1): (5, 5), ("a", "c", 1): (4, 0), ("a", "d", 1): (3, 3)}
    observed[("x", "y", 2)] = (2, 0)
    score = score_edges(expected, observed, 3)
    assert (score.truth, score.observed, score.matched, score.exact) == (2, 3, 2, 1)
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == 1.0
    assert score.spurious == [("a", "d", 1)]
    assert score.miscounted == [(("a", "c", 1), (3, 0), (4, 0))]
    everything = score_edges(expected, observed, 1)
    assert (everything.truth, everything.observed, everything.matched) == (3, 4, 3)


def _cluster(engine: str, *members: str) -> Cluster:
    return Cluster(
        f"cluster:{engine}:{members[0]}",
        engine,
        frozenset(members),
        frozenset(members),
        frozenset({1}),
        frozenset(),
    )


def test_a_cluster_counts_only_with_exactly_its_members() -> None:
    expected = [
        {"engine": "redis", "name": "r", "members": ["1", "2", "3"]},
        {"engine": "mysql", "name": "m", "members": ["4", "5"]},
        {"engine": "kafka", "name": "k", "members": ["6", "7"]},
    ]
    found = (
        _cluster("redis", "1", "2", "3"),
        _cluster("mysql", "4", "5", "9"),
        _cluster("cassandra", "6", "7"),
    )
    score = score_clusters(expected, found)
    assert (score.truth, score.recovered, score.same_engine) == (3, 2, 1)
    assert score.missed == [(expected[1], ["4", "5", "9"])]
    assert [c.engine for c in score.spurious] == ["mysql"]


def test_the_command_exits_zero_when_the_targets_are_met(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["accuracy", "--dir", str(tiny)]) == 0
    out = capsys.readouterr().out
    assert "edge precision" in out
    assert "FAIL" not in out
