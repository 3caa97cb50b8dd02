"""Runs the benchmark's steps one after the other and gathers their raw figures in one dict.

Steps run sequentially, each measurement in its own worker process, on purpose: the machine
may have only two cores, and two measurements at once would share them. The broker starts
last, after every decode-only figure is taken.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.decode.capture_file import Manifest, cached_capture

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PUBLISH_PARTITIONS = 8


@dataclass(frozen=True)
class Options:
    """What to measure; the CLI's flags."""

    packets: int
    big_packets: int
    dpkt_packets: int
    repeats: int
    dpkt_repeats: int
    publish_repeats: int
    seed: int
    out_dir: Path
    skip_tshark: bool
    skip_publish: bool
    skip_memory: bool


def worker(*arguments: str) -> dict[str, Any]:
    """Run ``python -m bench.decode.worker ARGUMENTS`` and return the JSON it printed."""
    command = [sys.executable, "-m", "bench.decode.worker", *arguments]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def machine() -> dict[str, Any]:
    """What the figures depend on: CPU, core count, Python, and how busy the machine was."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def run(options: Options, step: Callable[[str], None]) -> dict[str, Any]:
    """Every measurement; ``step`` is told what is starting (for progress output)."""
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
    }
    step(f"capture of {options.packets:,} packets (generated once, then cached)")
    path, manifest = cached_capture(options.out_dir, options.packets, options.seed)
    results["capture"] = {"path": str(path), **asdict(manifest)}
    results["fast"], results["dpkt"] = _decoders(path, options, step)
    results["tshark"] = None if options.skip_tshark else _tshark(path, options, step)
    results["memory"] = None if options.skip_memory else _memory(path, manifest, options, step)
    if not options.skip_publish:
        results["publish"] = _publish(path, options.publish_repeats, step)
    else:
        results["publish"] = None
    return results


def _decoders(
    path: Path, options: Options, step: Callable[[str], None]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fast decoder's passes over the whole capture and the dpkt baseline's over its first
    ``dpkt_packets``, taken in turns, one fresh worker process per pass: a change in the
    shared machine's load then falls on both decoders rather than on whichever ran later."""
    subset = min(options.dpkt_packets, options.packets)
    fast: list[dict[str, Any]] = []
    dpkt: list[dict[str, Any]] = []
    for turn in range(max(options.repeats, options.dpkt_repeats)):
        digest = str(subset) if turn == 0 else "0"  # the events' hash, once
        if turn < options.repeats:
            step(f"fast decoder, pass {turn + 1} of {options.repeats}: {options.packets:,} packets")
            fast.append(worker(
                "decode", "--decoder", "fast", "--file", str(path),
                "--repeats", "1", "--digest-packets", digest,
            ))  # fmt: skip
        if turn < options.dpkt_repeats:
            step(f"dpkt baseline, pass {turn + 1} of {options.dpkt_repeats}: {subset:,} packets")
            dpkt.append(worker(
                "decode", "--decoder", "dpkt", "--file", str(path), "--limit", str(subset),
                "--repeats", "1", "--digest-packets", digest,
            ))  # fmt: skip
    return _passes(fast), _passes(dpkt)


def _passes(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One decoder's single-pass runs as one figure: median CPU and wall time, every pass."""
    if len({run["events"] for run in runs}) != 1:
        raise RuntimeError(f"the passes found different event counts: {runs}")
    cpu = [t for run in runs for t in run["passes_cpu_s"]]
    wall = [t for run in runs for t in run["passes_wall_s"]]
    return {
        **runs[0],
        "cpu_s": statistics.median(cpu),
        "wall_s": statistics.median(wall),
        "passes_cpu_s": cpu,
        "passes_wall_s": wall,
    }


def _tshark(path: Path, options: Options, step: Callable[[str], None]) -> dict[str, Any] | None:
    from bench.decode.tshark_run import find_tshark, run_tshark

    tshark = find_tshark()
    if tshark is None:
        step("tshark not installed: skipped")
        return None
    step(f"tshark over {options.packets:,} packets (one run, timed as a whole command)")
    return run_tshark(tshark, path, options.out_dir)


def _memory(
    path: Path, manifest: Manifest, options: Options, step: Callable[[str], None]
) -> dict[str, Any]:
    step(f"peak memory, streaming {options.packets:,} packets")
    small = worker("stream", "--file", str(path))
    step(f"capture of {options.big_packets:,} packets (generated once, then cached)")
    big_path, big_manifest = cached_capture(options.out_dir, options.big_packets, options.seed)
    step(f"peak memory, streaming {options.big_packets:,} packets")
    big = worker("stream", "--file", str(big_path))
    return {
        "small": {"expected_events": manifest.events, **small},
        "big": {"expected_events": big_manifest.events, "path": str(big_path), **big},
    }


def _publish(path: Path, runs: int, step: Callable[[str], None]) -> dict[str, Any]:
    """``runs`` captures of the file, each into a fresh topic of one throwaway broker; the
    median CPU and wall time. The events acknowledged are the fewest of any run."""
    from bench.decode.broker import create_topic, throwaway_broker

    step("starting a throwaway Kafka broker")
    results = []
    with throwaway_broker(ROOT) as bootstrap:
        for run in range(runs):
            topic = f"bench-decode-{uuid.uuid4().hex[:8]}"
            create_topic(bootstrap, topic, PUBLISH_PARTITIONS)
            step(f"decode and publish, run {run + 1} of {runs}: `meeseeks capture --file`")
            result = worker(
                "publish", "--file", str(path), "--bootstrap", bootstrap, "--topic", topic
            )
            results.append({"topic": topic, **result})
        step("stopping the broker")
    return {
        **results[0],
        "partitions": PUBLISH_PARTITIONS,
        "cpu_s": statistics.median(r["cpu_s"] for r in results),
        "wall_s": statistics.median(r["wall_s"] for r in results),
        "published_events": min(r["published_events"] for r in results),
        "runs": [
            {key: r[key] for key in ("topic", "cpu_s", "wall_s", "kafka_messages", "peak_rss_kib")}
            for r in results
        ],
    }
