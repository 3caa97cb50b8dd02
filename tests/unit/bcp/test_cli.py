"""``meeseeks bcp plan|check`` on the bundled sample estate and on the small store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.cli import main
from tests.unit.bcp.conftest import SmallEstate

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "config" / "sample"


@pytest.fixture(scope="module")
def sample_topology(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``meeseeks analyze --json`` of the sample capture."""
    from config.inventory_file import load_inventory_file
    from config.settings import Settings
    from models.inventory import Inventory
    from streams.analyze import analyze_capture
    from streams.analyze_cli import report
    from streams.topology import anomaly_params_from, edge_params_from

    settings = Settings()
    analysis = analyze_capture(
        SAMPLE / "capture.pcap",
        Inventory(load_inventory_file(SAMPLE / "inventory.yaml")),
        edge_params_from(settings),
        anomaly_params_from(settings),
    )
    path = tmp_path_factory.mktemp("sample") / "topology.json"
    path.write_text(json.dumps(report(analysis, 100_000)))
    return path


def sample_args(topology: Path) -> list[str]:
    return [
        "--topology", str(topology),
        "--annotations", str(SAMPLE / "bcp-annotations.yaml"),
        "--inventory", str(SAMPLE / "inventory.yaml"),
    ]  # fmt: skip


def test_the_sample_estate_plan_for_zone_a(
    sample_topology: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["bcp", "plan", "--fail-zone", "a", "--format", "json", *sample_args(sample_topology)]
    )

    body = json.loads(capsys.readouterr().out)
    assert code == 0
    waves = [[s["services"] for s in wave["steps"]] for wave in body["bring_up"]]
    first = {name for step in waves[0] for name in step}
    # The Cassandra ring (its service folded into the cluster) comes up before billing-jobs,
    # which comes up before the load balancer in front of it.
    assert "cluster:cassandra:billing-jobs-cassandra" in first
    assert "billing-jobs-cassandra" not in {n for w in waves for s in w for n in s}
    position = {n: i for i, w in enumerate(waves) for s in w for n in s}
    assert position["cluster:cassandra:billing-jobs-cassandra"] < position["billing-jobs"]
    assert position["billing-jobs"] < position["edge-lb"] == len(waves) - 1
    billing = next(flow for flow in body["flows"] if flow["flow"] == "billing")
    assert billing["meets_rto"] is False
    assert [p["label"] for p in billing["critical_path"]] == [
        "cluster:cassandra:billing-jobs-cassandra",
        "billing-jobs",
        "edge-lb",
    ]
    # 15 min of Cassandra, 5 of billing-jobs, 1 of edge-lb against edge-lb's 15 min RTO.
    assert (billing["ready_at"], billing["rto"], billing["late_by"]) == (1260.0, 900.0, 360.0)
    cassandra = next(r for r in body["scale_up"] if r["service"].startswith("cluster:cassandra"))
    assert (cassandra["instances"], cassandra["add"]) == ({"a": 2, "b": 3}, {"b": 2})


def test_table_and_dot_formats(sample_topology: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bcp", "plan", "--fail-zone", "a", *sample_args(sample_topology)]) == 0
    table = capsys.readouterr().out
    assert main(["bcp", "plan", "--fail-zone", "a", "--format", "dot",
                 *sample_args(sample_topology)]) == 0  # fmt: skip
    dot = capsys.readouterr().out

    assert "BCP plan: zone a fails" in table
    assert "LATE by 6m" in table
    assert dot.startswith("digraph bcp_plan {")
    assert dot.rstrip().endswith("}")
    assert "color=red, penwidth=2" in dot  # a late flow's critical path
    assert dot.count("subgraph wave_") == 4


def test_check_on_the_store(
    small: SmallEstate, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sinks.store_url

    monkeypatch.setattr(sinks.store_url, "open_store", lambda url, settings: small.store)

    code = main(["bcp", "check", "--format", "json", "--exit-code"])

    body = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {f["kind"] for f in body["findings"]} >= {"dr_schedule", "single_zone"}
    assert body["late_flows"] == {"a": 0, "b": 0}


def test_bad_options_get_one_line(
    sample_topology: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bcp", "plan", "--fail-zone", "z", *sample_args(sample_topology)]) == 2
    assert "zone z has no instances in the estate; known zones: a, b" in capsys.readouterr().err
    assert main(["bcp", "plan", *sample_args(sample_topology)]) == 2
    assert "--fail-zone" in capsys.readouterr().err
    assert main(["bcp", "plan", "--fail-zone", "a", "--annotations", "x.yaml"]) == 2
    assert "--annotations goes with --topology" in capsys.readouterr().err
