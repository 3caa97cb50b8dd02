"""The live topology page in a real headless Chromium, against a real worker on the sample estate.

The sample capture goes through the real broker to a worker; once its query API holds the
estate, tests/browser/topology_page.mjs (Playwright driving Debian's chromium) loads /ui/,
searches, clicks a service and reports what the page showed; this test compares that with the
API and with the sample's ground truth. Screenshots land in tests/artifacts/topology-page/.
Without node, chromium or web/node_modules the test skips and says what is missing, except
under CI, where it fails: CI must run it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .pipeline_harness import ROOT, Pipeline
from .pipeline_harness import pipeline as pipeline  # noqa: PLC0414 - the fixture

SAMPLE = ROOT / "config" / "sample"
SCRIPT = ROOT / "tests" / "browser" / "topology_page.mjs"
ARTIFACTS = ROOT / "tests" / "artifacts" / "topology-page"
CHROMIUM = Path(os.environ.get("MEESEEKS_TEST_CHROMIUM", "/usr/bin/chromium"))
SERVICE = "billing-jobs"
SEARCH = "billing"
FAIL_ZONE = "a"
P0_COLOUR = "#d62728"


def missing_tools() -> str | None:
    """What keeps the browser test from running here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (Node.js 20+ runs the Playwright script)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium"
    for package in ("playwright-core", "cytoscape", "cytoscape-fcose"):
        if not (ROOT / "web" / "node_modules" / package).is_dir():
            return f"web/node_modules/{package} is missing: run make web-deps"
    return None


@pytest.fixture
def browser_tools() -> None:
    reason = missing_tools()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"the browser test must run in CI: {reason}")
    pytest.skip(reason)


def truth_dependencies(service: str, clusters: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Servers ``service`` calls and clients that call it in the sample's ground truth, with
    the members of the clusters the worker recognised named by their cluster node, as the
    page's folded view shows them."""
    truth = json.loads((SAMPLE / "truth.json").read_text())
    cluster_of = {
        member: row["cluster"]
        for row in clusters["clusters"]
        for member in row.get("member_nodes") or ()
    }
    edges = truth["edges"]
    down = {cluster_of.get(e["server"], e["server"]) for e in edges if e["client"] == service}
    up = {cluster_of.get(e["client"], e["client"]) for e in edges if e["server"] == service}
    return down, up


async def wait_for_dependencies(worker: Any, timeout: float = 150) -> tuple[set[str], set[str]]:
    """The ground truth's neighbours of ``SERVICE``, once the worker's API shows exactly them."""
    path = f"/topology/neighbours/{SERVICE}/?direction=both&hops=1&clustered=1"
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while asyncio.get_running_loop().time() < deadline:
        clusters = await worker.wait_until("/topology/clusters/?limit=1000", lambda b: True)
        down, up = truth_dependencies(SERVICE, clusters)
        status, near = await worker.get_json(path)
        if status == 200:
            last = (names(near["downstream"]), names(near["upstream"]), down, up)
            if last[:2] == (down, up):
                return down, up
        await asyncio.sleep(1)
    raise AssertionError(f"{SERVICE}'s neighbours never matched the truth: {last}")


def apply_bcp_overlay(pipeline: Pipeline) -> None:
    """What `make run` does after the stream: the sink fills the store, the BCP overlay and the
    sample's annotations go in (through the real sink and overlay commands)."""
    steps = [
        ["sink", "--until-caught-up", "--metrics-port", "0"],
        ["overlay", "register", str(ROOT / "config" / "overlays" / "bcp.yaml")],
        ["overlay", "annotate", "bcp", "--file", str(SAMPLE / "bcp-annotations.yaml")],
    ]
    for step in steps:
        done = subprocess.run(
            [sys.executable, "-m", "streams.cli", *step],
            env={**os.environ, **pipeline.env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{step}: {done.stderr}"


def p0_nodes(topology: dict[str, Any], notes: dict[str, Any], clusters: dict[str, Any]) -> set[str]:
    """Nodes the page must draw for criticality=P0: their own annotation, or for a cluster
    without one, its most critical member's (as the BCP planner reads it)."""
    members = {row["cluster"]: row.get("member_nodes") or [] for row in clusters["clusters"]}

    def level(name: str) -> str | None:
        if name in notes:
            return str(notes[name].get("criticality"))
        found = [str(notes[m]["criticality"]) for m in members.get(name, []) if m in notes]
        return min(found, default=None)

    return {node["name"] for node in topology["nodes"] if level(node["name"]) == "P0"}


def names(rows: list[dict[str, Any]]) -> set[str]:
    return {row["name"] for row in rows}


async def settled_topology(worker: Any, timeout: float = 150) -> dict[str, Any]:
    """The folded topology once the feed is ready and three answers in a row agree."""
    path = "/topology/?clustered=1&limit=100000"
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    same = 0
    while asyncio.get_running_loop().time() < deadline:
        body = await worker.wait_until(path, lambda b: b["feed"]["ready"] and b["total_edges"])
        shape = (body["total_nodes"], body["total_edges"], sorted(n["name"] for n in body["nodes"]))
        same = same + 1 if shape == last else 0
        if same >= 2:
            return dict(body)
        last = shape
        await asyncio.sleep(2)
    raise AssertionError(f"the topology never settled:\n{worker.log_tail()}")


async def test_page_shows_the_sample_estate(
    browser_tools: None, pipeline: Pipeline, tmp_path: Path
) -> None:
    pipeline.env["MEESEEKS_INVENTORY_FILE"] = str(SAMPLE / "inventory.yaml")
    pipeline.env["MEESEEKS_BCP_CHECK_SECONDS"] = "10"
    pipeline.capture(SAMPLE / "capture.pcap")
    worker = pipeline.worker()
    worker.start()
    try:
        await wait_for_dependencies(worker)
        topology = await settled_topology(worker)
        down, up = await wait_for_dependencies(worker, timeout=30)  # as the settled graph has them
        await asyncio.to_thread(apply_bcp_overlay, pipeline)
        notes = await worker.wait_until(
            "/overlays/bcp/annotations/node/", lambda b: SERVICE in b["annotations"]
        )
        # The planner re-reads the store every MEESEEKS_BCP_CHECK_SECONDS: wait for a plan of
        # the annotated store, with every BCP flow, before the page asks for one.
        flows = {f for note in notes["annotations"].values() for f in note.get("flows", ())}
        plan = await worker.wait_until(
            f"/bcp/plan/?fail_zone={FAIL_ZONE}",
            lambda b: b["summary"]["flows"] == len(flows),
            timeout=60,
        )
        waves = [
            sorted(name for step in wave["steps"] for name in step["services"])
            for wave in plan["bring_up"]
        ]
        _, clusters = await worker.get_json("/topology/clusters/?limit=1000")
        p0 = p0_nodes(topology, notes["annotations"], clusters)
        _, anomalies = await worker.get_json("/topology/anomalies/?limit=1000")
        status, page = await worker.get_text("/ui/")
        assert status == 200
        assert "<title>" in page, page[:200]

        nodes = topology["nodes"]
        matches = sorted(n["name"] for n in nodes if SEARCH in n["name"].lower())
        ends = {e["server"] for e in topology["edges"] if e["client"] in matches}
        ends |= {e["client"] for e in topology["edges"] if e["server"] in matches}
        context = sorted(ends - set(matches))
        spec = {
            "url": f"http://127.0.0.1:{worker.web_port}/ui/?refresh=2",
            "artifacts": str(ARTIFACTS),
            "total_nodes": topology["total_nodes"],
            "anomalies": anomalies["total"],
            "search": SEARCH,
            "matches": matches,
            "context": context,
            "service": SERVICE,
            "downstream": sorted(down),
            "upstream": sorted(up),
            "p0": sorted(p0),
            "p0_colour": P0_COLOUR,
            "fail_zone": FAIL_ZONE,
            "waves": waves,
        }
        result = await asyncio.to_thread(
            subprocess.run,
            ["node", str(SCRIPT)],
            env={**os.environ, "PAGE_TEST": json.dumps(spec), "CHROMIUM": str(CHROMIUM)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"{result.stderr}\n{result.stdout}\n{worker.log_tail()}"
        seen = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        worker.stop()

    assert seen["drawn"] == topology["total_nodes"]
    assert seen["anomaly_count"] == anomalies["total"]
    assert sorted(seen["matches"]) == matches
    assert SERVICE in seen["matches"]
    assert seen["drawn_after_search"] < topology["total_nodes"]
    assert set(seen["downstream"]) == down
    assert set(seen["upstream"]) == up
    assert seen["focus"] == [SERVICE]
    assert seen["followed"] == sorted(down)[0]
    assert set(seen["p0"]) == p0
    assert SERVICE in p0
    assert seen["p0_colour"] == P0_COLOUR
    assert seen["waves"] == waves
    assert len(waves) > 1
    assert {name: seen["wave_labels"][name] for name in waves[0]} == dict.fromkeys(waves[0], 1)
    shots = ("1-whole-estate", "2-search", "3-dependencies", "4-criticality", "5-plan-waves")
    for shot in (f"{name}.png" for name in shots):
        assert (ARTIFACTS / shot).stat().st_size > 10_000, shot
