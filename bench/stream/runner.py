"""The measurements of `make bench-stream`, in order, against one throwaway broker.

1. Meeseeks at production size: the events topic is pre-loaded with capture-format batches of
   the 12,000-service / 30,000-edge estate; one real worker is started and timed from its
   first consumed message until its /metrics say every delta is in the edge table. After the
   first such run, once its graph view holds every edge, its memory and the query latencies
   are read.
2. The naive pipeline (``bench.stream.naive_app``): one JSON message per event, timed the same
   way until its /count has seen every event.
3. Steps 1 and 2 again, ``repeats`` times in all, so each ratio compares two runs made one
   right after the other; the report gives medians.
4. Ten times the estate, with a fresh worker: throughput again, memory and query latencies.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.decode.broker import create_topic, throwaway_broker
from bench.stream.measure import latency_summary, metric_sum, metric_value
from bench.stream.process import Worker, json_or_none, session
from bench.stream.publish import publish_batches, publish_per_event
from bench.stream.workload import (
    T0,
    TICK_AFTER_SECONDS,
    Estate,
    Message,
    build_estate,
    events,
    inventory_csv,
    messages,
    tick_events,
)
from config.inventory_file import load_inventory_file
from config.local_kafka import free_port
from models.inventory import Inventory
from streams.attribution_stage import AttributionStage

ROOT = Path(__file__).resolve().parents[2]
PARTITIONS = 4
WINDOW_SECONDS = 60.0
POLL_SECONDS = 0.25

Log = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    events: int = 500_000
    naive_events: int = 50_000
    services: int = 12_000
    edges: int = 30_000
    scale_factor: int = 10
    event_rate: float = 10_000.0
    """Events per second of event time: sets how many windows the traffic spans."""
    queries: int = 50
    skip_scale: bool = False
    repeats: int = 3
    """Meeseeks and naive runs, one after the other each time; medians are reported."""
    profile: Path | None = None
    """Run the production-size Meeseeks worker under cProfile (figures then are not comparable)."""
    timeout: float = 1800.0
    seed: int = 1


@dataclass
class Run:
    bootstrap: str
    tmp: Path
    log: Log
    profile: Path | None = None

    def env(self, name: str, inventory: Path) -> dict[str, str]:
        run = f"{name}-{uuid.uuid4().hex[:8]}"
        return {
            "MEESEEKS_KAFKA_BOOTSTRAP": self.bootstrap,
            "MEESEEKS_APP_ID": f"bench-{run}",
            "MEESEEKS_EVENTS_TOPIC": f"bench-connections-{run}",
            "MEESEEKS_GRAPH_CHANGES_TOPIC": f"bench-graph-{run}",
            "MEESEEKS_ANOMALIES_TOPIC": f"bench-anomalies-{run}",
            "MEESEEKS_INVENTORY_TOPIC": f"bench-inventory-{run}",
            "MEESEEKS_INVENTORY_FILE": str(inventory),
            "MEESEEKS_DATA_DIR": str(self.tmp / run / "data"),
            "MEESEEKS_TOPIC_PARTITIONS": str(PARTITIONS),
            "MEESEEKS_WEB_PORT": str(free_port()),
            "PYTHONPATH": str(ROOT),
        }

    def worker(self, module: str, env: dict[str, str]) -> Worker:
        log = self.tmp / f"{env['MEESEEKS_APP_ID']}.log"
        return Worker(module, env, int(env["MEESEEKS_WEB_PORT"]), log, self.profile)


# -- workload ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    estate: Estate
    inventory: Path
    messages: list[Message]
    events: int
    deltas: int
    """Deltas the attribution stage makes of these messages: the edge table's finish line."""


def workload(options: Options, scale: int, count: int, tmp: Path, log: Log) -> Workload:
    services, edge_count = options.services * scale, options.edges * scale
    started = time.monotonic()
    estate = build_estate(services, edge_count, options.seed)
    traffic = events(estate, count, count / options.event_rate, options.seed)
    seconds = traffic[-1].ts - T0
    ticks = tick_events(estate, T0 + seconds + TICK_AFTER_SECONDS)
    batches = list(messages(traffic, ticks))
    inventory = tmp / f"inventory-{services}.csv"
    inventory.write_text(inventory_csv(estate))
    deltas = expected_deltas(inventory, batches)
    total = len(traffic) + len(ticks)
    log(
        f"workload: {services:,} services, {edge_count:,} edges, {total:,} events in "
        f"{len(batches):,} messages over {seconds:.0f}s of event time, {deltas:,} deltas "
        f"({time.monotonic() - started:.1f}s to build)"
    )
    return Workload(estate, inventory, batches, total, deltas)


def expected_deltas(inventory: Path, batches: list[Message]) -> int:
    """Run the pure attribution stage over the messages: how many deltas the worker applies."""
    stage = AttributionStage(Inventory(load_inventory_file(inventory)), WINDOW_SECONDS, PARTITIONS)
    total = 0
    for offset, message in enumerate(batches):
        per_partition, _ = stage.process(list(message.events), 0, offset)
        total += sum(len(batch.deltas) for batch in per_partition.values())
    return total


# -- timing a worker -----------------------------------------------------------------------
async def time_until(
    worker: Worker,
    path: str,
    progress: Callable[[str], float | None],
    target: float,
    timeout: float,
    first: Callable[[str], float | None] | None = None,
) -> dict[str, Any]:
    """Poll ``path`` until ``progress(body) >= target``: wall and CPU from start and first work."""
    first = first or progress
    deadline = time.monotonic() + timeout
    first_at: float | None = None
    first_cpu = 0.0
    last: float | None = None
    async with session(5.0) as http:
        while time.monotonic() < deadline:
            worker.check_alive()
            answer = await worker.try_get(http, path)
            now = time.monotonic()
            if answer is not None and answer[0] == 200:
                started = first(answer[1])
                if first_at is None and started:
                    first_at, first_cpu = now, worker.cpu_seconds()
                last = progress(answer[1])
                if last is not None and last >= target:
                    assert first_at is not None
                    cpu = worker.cpu_seconds()
                    changes = metric_sum(answer[1], "meeseeks_stream_graph_changes_total")
                    return {
                        "graph_changes": changes,
                        "from_start_s": now - worker.started_at,
                        "from_first_s": now - first_at,
                        "cpu_s": cpu - first_cpu,
                        "cpu_total_s": cpu,
                    }
            await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError(f"{path} reached {last} of {target} in {timeout:.0f}s\n{worker.log_tail()}")


def _events_total(body: str) -> float | None:
    return metric_value(body, "meeseeks_stream_events_total")


def _deltas_applied(body: str) -> float | None:
    return metric_value(body, "meeseeks_stream_deltas_applied_total")


def _naive_count(body: str) -> float | None:
    data = json_or_none(body)
    return float(data["events"]) if isinstance(data, dict) else None


def meeseeks_run(
    run: Run, load: Workload, timeout: float, name: str
) -> tuple[Worker, dict[str, Any]]:
    env = run.env(name, load.inventory)
    create_topic(run.bootstrap, env["MEESEEKS_EVENTS_TOPIC"], PARTITIONS)
    create_topic(run.bootstrap, env["MEESEEKS_GRAPH_CHANGES_TOPIC"], PARTITIONS)
    started = time.monotonic()
    publish_batches(run.bootstrap, env["MEESEEKS_EVENTS_TOPIC"], load.messages)
    run.log(
        f"{name}: pre-loaded {len(load.messages):,} messages in {time.monotonic() - started:.1f}s"
    )
    worker = run.worker("streams.worker_app", env)
    worker.start()
    try:
        timing = asyncio.run(
            time_until(worker, "/metrics", _deltas_applied, load.deltas, timeout, _events_total)
        )
    except BaseException:
        worker.stop()
        raise
    result = {
        "events": load.events,
        "messages": len(load.messages),
        "deltas": load.deltas,
        **timing,
        "events_per_s": load.events / timing["from_first_s"],
        "events_per_cpu_s": load.events / timing["cpu_s"] if timing["cpu_s"] else None,
        "memory_after_events": worker.memory_kib(),
    }
    run.log(
        f"{name}: {load.events:,} events in {timing['from_first_s']:.1f}s from the first "
        f"message ({result['events_per_s']:,.0f}/s, {timing['cpu_s']:.1f} CPU s)"
    )
    return worker, result


def naive_run(run: Run, load: Workload, count: int, timeout: float) -> dict[str, Any]:
    env = run.env("naive", load.inventory)
    create_topic(run.bootstrap, env["MEESEEKS_EVENTS_TOPIC"], PARTITIONS)
    sample = [event for message in load.messages for event in message.events]
    sample.sort(key=lambda event: event.ts)
    sample = sample[:count]
    started = time.monotonic()
    publish_per_event(run.bootstrap, env["MEESEEKS_EVENTS_TOPIC"], sample)
    run.log(f"naive: pre-loaded {len(sample):,} messages in {time.monotonic() - started:.1f}s")
    worker = run.worker("bench.stream.naive_app", env)
    worker.start()
    try:
        timing = asyncio.run(time_until(worker, "/count", _naive_count, len(sample), timeout))
        memory = worker.memory_kib()
    finally:
        worker.stop()
    result = {
        "events": len(sample),
        "messages": len(sample),
        **timing,
        "events_per_s": len(sample) / timing["from_first_s"],
        "events_per_cpu_s": len(sample) / timing["cpu_s"] if timing["cpu_s"] else None,
        "memory_after_events": memory,
    }
    run.log(f"naive: {len(sample):,} events, {result['events_per_s']:,.0f}/s")
    return result


# -- graph size, memory and queries --------------------------------------------------------
async def wait_for_graph(worker: Worker, edges: int, timeout: float) -> dict[str, Any]:
    """Poll the worker's graph view until it holds every edge of the estate."""
    deadline = time.monotonic() + timeout
    last: Any = None
    async with session(60.0) as http:
        while time.monotonic() < deadline:
            worker.check_alive()
            answer = await worker.try_get(http, "/topology/?limit=1")
            if answer is not None and answer[0] == 200:
                last = json_or_none(answer[1])
                if last and last["total_edges"] >= edges:
                    return {
                        "nodes": last["total_nodes"],
                        "edges": last["total_edges"],
                        "graph_wait_s": time.monotonic() - worker.started_at,
                    }
            await asyncio.sleep(1.0)
    raise TimeoutError(f"graph view never reached {edges} edges: {str(last)[:300]}")


def query_paths(estate: Estate, count: int, seed: int) -> dict[str, list[str]]:
    """``count`` requests per query, each about a different random service or edge."""
    rng = random.Random(seed)
    edges = rng.sample(estate.edges, count)
    nodes = [estate.name(rng.choice(edges).server) for _ in range(count)]
    clients = [estate.name(rng.choice(edges).client) for _ in range(count)]
    return {
        "topology ?service=X": [f"/topology/?service={name}" for name in nodes],
        "neighbours ?hops=2": [f"/topology/neighbours/{name}/?hops=2" for name in clients],
        "edge detail": [
            "/topology/edges/{1}/{0}/{2}/".format(*estate.edge_key(edge)) for edge in edges
        ],
        "topology whole graph ?limit=100": ["/topology/?limit=100"] * count,
    }


async def measure_queries(worker: Worker, paths: dict[str, list[str]]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with session(120.0) as http:
        for name, batch in paths.items():
            statuses: dict[int, int] = {}
            took: list[float] = []
            cold = None
            for n, path in enumerate([batch[0], *batch]):
                started = time.perf_counter()
                status, _ = await worker.get(http, path)
                elapsed = time.perf_counter() - started
                statuses[status] = statuses.get(status, 0) + 1
                if n == 0:
                    cold = elapsed * 1000
                else:
                    took.append(elapsed)
            results[name] = {**latency_summary(took), "first_ms": cold, "statuses": statuses}
    return results


def size_point(run: Run, worker: Worker, load: Workload, options: Options) -> dict[str, Any]:
    graph = asyncio.run(wait_for_graph(worker, len(load.estate.edges), options.timeout))
    time.sleep(2.0)  # let the feed and the stores settle before reading memory
    queries = asyncio.run(measure_queries(worker, query_paths(load.estate, options.queries, 7)))
    point = {
        "services": load.estate.services,
        "estate_edges": len(load.estate.edges),
        **graph,
        "memory": worker.memory_kib(),
        "queries": queries,
    }
    rss = point["memory"]["rss_kib"] / 1024
    run.log(f"graph of {graph['nodes']:,} nodes / {graph['edges']:,} edges: RSS {rss:,.0f} MiB")
    return point


# -- the whole benchmark -------------------------------------------------------------------
def run(options: Options, log: Log) -> dict[str, Any]:
    results: dict[str, Any] = {"options": options.__dict__.copy(), "date": time.time()}
    tmp = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    try:
        load = workload(options, 1, options.events, tmp, log)
        with throwaway_broker(ROOT) as bootstrap:
            pairs: list[dict[str, Any]] = []
            for repeat in range(options.repeats):
                # The profile, if asked, covers the first Meeseeks worker only.
                profiled = Run(bootstrap, tmp, log, options.profile if repeat == 0 else None)
                worker, meeseeks = meeseeks_run(profiled, load, options.timeout, "meeseeks")
                try:
                    if repeat == 0:
                        results["sizes"] = [size_point(profiled, worker, load, options)]
                finally:
                    worker.stop()
                bench = Run(bootstrap, tmp, log)
                naive = naive_run(bench, load, options.naive_events, options.timeout)
                pairs.append({"meeseeks": meeseeks, "naive": naive})
                log(f"repeat {repeat + 1}: Meeseeks / naive = {ratio_of(pairs[-1]):.1f}x")
            results["repeats"] = pairs
            results.update(summarize(pairs))
            if not options.skip_scale:
                scale = options.scale_factor
                count = max(options.events, round(options.edges * scale * 2.2))
                big = workload(options, scale, count, tmp, log)
                worker, results["meeseeks_scaled"] = meeseeks_run(
                    bench, big, options.timeout, f"meeseeks-x{scale}"
                )
                try:
                    results["sizes"].append(size_point(bench, worker, big, options))
                finally:
                    worker.stop()
    except BaseException:
        log(f"failed: worker logs and data kept in {tmp}")
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    return results


def ratio_of(pair: dict[str, Any]) -> float:
    """Meeseeks' events per second over the naive pipeline's, measured one after the other."""
    return float(pair["meeseeks"]["events_per_s"] / pair["naive"]["events_per_s"])


def summarize(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """The repeats' medians: each pipeline's figures (the repeat with its median rate) and the
    median of the per-repeat ratios."""
    if not pairs:
        raise ValueError("no repeats")
    summary: dict[str, Any] = {"ratios": [ratio_of(pair) for pair in pairs]}
    summary["ratio"] = statistics.median(summary["ratios"])
    for name in ("meeseeks", "naive"):
        ordered = sorted((pair[name] for pair in pairs), key=lambda r: float(r["events_per_s"]))
        summary[name] = ordered[(len(ordered) - 1) // 2]
    return summary
