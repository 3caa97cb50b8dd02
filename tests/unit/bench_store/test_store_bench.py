"""The store benchmark's workload and one tiny repeat (figures are not checked, only the shape)."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

from bench.store.__main__ import main
from bench.store.measure import run_repeat, sample_spans
from bench.store.workload import Estate, stream
from models.graph_change import EntityKind
from sinks.sqlite_store import SqliteGraphStore
from sinks.store_fold import change_problem


def test_the_stream_is_deterministic_and_sized_by_the_estate() -> None:
    estate = Estate(services=200, edges=500, seed=3)
    changes = stream(estate)
    assert [c.to_dict() for c in changes] == [c.to_dict() for c in stream(estate)]
    kinds = Counter(change.kind for change in changes)
    assert kinds == {EntityKind.NODE: 200, EntityKind.EDGE: 1000, EntityKind.CLUSTER: 2}
    assert len({change.key for change in changes if change.kind is EntityKind.EDGE}) == 500
    assert all(change_problem(change) is None for change in changes)
    assert [c.at for c in changes] == sorted(c.at for c in changes)


def test_sample_spans_are_evenly_spread_and_disjoint() -> None:
    assert sample_spans(1000, 100, 4) == [(112, 137), (362, 387), (612, 637), (862, 887)]
    assert sample_spans(10, 100, 20) == [(i, i + 1) for i in range(10)]
    spans = sample_spans(72_120, 2000, 10)
    assert sum(end - start for start, end in spans) == 2000
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_one_repeat_fills_the_store(tmp_path: Path) -> None:
    estate = Estate(services=100, edges=300)
    changes = stream(estate)
    repeat = run_repeat(changes, tmp_path, batch=64, sample=20, slices=4)
    assert (repeat.batched_changes, repeat.single_changes) == (len(changes) - 20, 20)
    assert min(repeat.batched_per_s, repeat.single_per_s) > 0
    with SqliteGraphStore(tmp_path / "graph.sqlite") as store:
        counts = store.counts()
    assert (counts.edges, counts.clusters) == (300, 1)


def test_the_command_writes_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["--services", "60", "--edges", "150", "--skip-scale", "--repeats", "1",
            "--single-sample", "5", "--dir", str(tmp_path), "--out", str(out)]  # fmt: skip
    status = main(argv)
    saved = list(out.glob("store-bench-*.json"))
    assert len(saved) == 1
    figures = json.loads(saved[0].read_text())
    (estate,) = figures["estates"]
    assert (estate["edges"], estate["changes"], len(estate["repeats"])) == (150, 361, 1)
    assert estate["ratio"] == estate["batched_per_s"] / estate["single_per_s"]
    assert figures["passed"] is (status == 0) is (estate["ratio"] >= 20)
