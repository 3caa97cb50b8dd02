"""The soak, in order, against one throwaway broker and one real worker.

1. Burst: the events topic is pre-loaded with a warm-up of the estate's traffic (every edge
   at least once, event time ending now); the worker is started and timed from its first
   consumed message until its /metrics say every delta is in the edge table. That is the
   measured maximum, and it leaves the worker holding the whole estate.
2. Soak: connection events at the soak rate (half the maximum unless ``rate`` is given), with
   event time advancing at wall-clock pace from where the burst's ended (the minutes the
   worker took over the burst are not a gap in event time that would close every window at
   once), for ``minutes``; every ``interval`` seconds the
   worker's RSS, its group's lag on the events topic (and on its own edge-deltas topic), its
   counters and the publisher's acknowledged events are sampled.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.decode.broker import create_topic, throwaway_broker
from bench.soak.ledger import OffsetLedger, lag_messages
from bench.soak.probes import GroupOffsets, worker_rss_kib
from bench.soak.publisher import BATCH_DELAY_SECONDS, Publisher
from bench.soak.samples import (
    Reading,
    Sample,
    attributed_per_cpu_second,
    next_sample,
    worker_counters,
)
from bench.soak.time_lag import EndHistory
from bench.soak.traffic import SteadyTraffic
from bench.soak.verdict import lag_verdict, memory_verdict
from bench.stream.process import Worker, session
from bench.stream.runner import WINDOW_SECONDS, Run, expected_deltas, time_until
from bench.stream.workload import BATCH_EVENTS, SHARDS, Message, build_estate, inventory_csv
from capture.shard_batcher import Batch, ShardBatcher

ROOT = Path(__file__).resolve().parents[2]
BURST_EVENT_RATE = 10_000.0
"""Events per second of event time in the burst (as in bench.stream)."""
MIN_LOAD_SHARE = 0.95
"""The publisher must deliver at least this share of the soak rate for the run to count."""
SOAK_SETTINGS = {
    "MEESEEKS_STALE_AFTER_SECONDS": "120",
    "MEESEEKS_HISTORY_WINDOWS": "2",
    "MEESEEKS_CLUSTER_RETENTION_SECONDS": "180",
}
"""Time bounds shortened so that the structures they bound are full about three minutes into
the soak, before its middle third: an edge's history holds 2 closed 60 s windows, data-store
traffic is kept 180 s, and an edge silent for 120 s goes stale (stock: 60 windows, 900 s and
600 s, which a 10-minute soak would never fill)."""

Log = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    minutes: float = 10.0
    interval: float = 10.0
    rate: float | None = None
    """Events per second of the soak; None: half the maximum measured by the burst."""
    burst_events: int = 200_000
    batch_delay: float = BATCH_DELAY_SECONDS
    """The publisher's longest wait before a shard's batch is sent (the capture's setting)."""
    services: int = 12_000
    edges: int = 30_000
    stock_settings: bool = False
    """Run the worker with the stock time bounds instead of ``SOAK_SETTINGS``."""
    timeout: float = 900.0
    seed: int = 1


def worker_env(base: dict[str, str], options: Options) -> dict[str, str]:
    env = dict(base)
    # bench.stream lowers the cluster flush interval as a workaround; the soak runs the default.
    env.pop("MEESEEKS_CLUSTER_FLUSH_SECONDS", None)
    # The window bench.stream's expected_deltas assumes, which times the burst.
    env["MEESEEKS_WINDOW_SECONDS"] = str(WINDOW_SECONDS)
    if not options.stock_settings:
        env.update(SOAK_SETTINGS)
    return env


def burst_batches(traffic: SteadyTraffic, events: int, seed: int, end: float) -> list[Batch]:
    """The warm-up traffic batched as the capture batches a file, event time ending at ``end``."""
    warm = traffic.warm_up(events, end - events / BURST_EVENT_RATE, end, seed)
    batcher = ShardBatcher(SHARDS, BATCH_EVENTS, max_delay=1e12)
    return batcher.add_all(warm, 0.0) + batcher.drain()


def burst_deltas(batches: list[Batch], inventory: Path) -> int:
    """Deltas the worker's attribution stage makes of the burst: its finish line."""
    return expected_deltas(inventory, [Message(batch.key, batch.events) for batch in batches])


def _deltas_applied(body: str) -> float | None:
    return worker_counters(body)[1]


def _events_seen(body: str) -> float | None:
    return worker_counters(body)[0]


@dataclass
class Soak:
    options: Options
    worker: Worker
    env: dict[str, str]
    publisher: Publisher
    offsets: GroupOffsets
    ledger: OffsetLedger
    log: Log
    delta_ends: EndHistory = field(default_factory=EndHistory)

    @property
    def partitions(self) -> int:
        return int(self.env["MEESEEKS_TOPIC_PARTITIONS"])

    @property
    def events_topic(self) -> str:
        return self.env["MEESEEKS_EVENTS_TOPIC"]

    @property
    def deltas_topic(self) -> str:
        return f"{self.env['MEESEEKS_APP_ID']}.edge-deltas.v1"

    async def burst(self, batches: list[Batch], deltas: int) -> dict[str, Any]:
        started = time.monotonic()
        await self.publisher.preload(batches)
        events = sum(batch.count for batch in batches)
        self.log(f"burst: pre-loaded {events:,} events in {len(batches):,} messages "
                 f"({time.monotonic() - started:.1f}s); starting the worker")  # fmt: skip
        self.worker.start()
        timing = await time_until(
            self.worker, "/metrics", _deltas_applied, deltas, self.options.timeout, _events_seen
        )
        rate = events / timing["from_first_s"]
        self.log(f"burst: {events:,} events in {timing['from_first_s']:.1f}s from the first "
                 f"message: maximum {rate:,.0f} events/s")  # fmt: skip
        per_cpu = events / timing["cpu_s"] if timing["cpu_s"] > 0 else None
        return {"events": events, "messages": len(batches), "deltas": deltas, **timing,
                "events_per_s": rate, "events_per_cpu_s": per_cpu}  # fmt: skip

    async def reading(self, t_s: float, published: int) -> Reading:
        rss, cpu = worker_rss_kib(self.worker.pid), self.worker.cpu_seconds()
        ends, committed = await self.offsets.read(self.events_topic, self.partitions)
        delta_ends, delta_committed = await self.offsets.read(self.deltas_topic, self.partitions)
        self.delta_ends.record(t_s, delta_ends)
        async with session(5.0) as http:
            answer = await self.worker.try_get(http, "/metrics")
        counters = worker_counters(answer[1]) if answer and answer[0] == 200 else (None, None)
        return Reading(
            t_s=t_s,
            rss_kib=rss,
            lag_events=self.ledger.lag_events(ends, committed),
            lag_messages=lag_messages(ends, committed),
            deltas_lag_messages=lag_messages(delta_ends, delta_committed),
            deltas_lag_seconds=self.delta_ends.lag_seconds(delta_committed, t_s),
            events_applied=counters[0],
            deltas_applied=counters[1],
            published_events=published,
            worker_cpu_s=cpu,
        )

    async def steady(self, traffic: SteadyTraffic, rate: float, event_start: float) -> list[Sample]:
        """The soak proper; its event time continues from ``event_start`` (the burst's end)."""
        duration, interval = self.options.minutes * 60, self.options.interval
        base = self.publisher.counts.acked_events
        start = time.monotonic()
        publishing = self.publisher.steady(
            traffic, rate, start + duration, self.options.batch_delay, event_start
        )
        task = asyncio.create_task(publishing)
        samples: list[Sample] = []
        try:
            for k in range(int(duration // interval) + 1):
                await asyncio.sleep(max(0.0, start + k * interval - time.monotonic()))
                if task.done():
                    task.result()  # a publishing error ends the soak here
                self.worker.check_alive()
                published = self.publisher.counts.acked_events - base
                reading = await self.reading(time.monotonic() - start, published)
                sample = next_sample(samples[-1] if samples else None, reading, rate)
                samples.append(sample)
                self.log(_sample_line(sample))
            await task
        finally:
            if not task.done():
                task.cancel()
        return samples


def _sample_line(sample: Sample) -> str:
    applied = "-" if sample.apply_rate is None else f"{sample.apply_rate:,.0f}"
    return (
        f"t={sample.t_s:5.0f}s RSS {sample.rss_kib / 1024:7.1f} MiB  lag {sample.lag_events:>7,} "
        f"events ({sample.lag_seconds:5.1f}s) + deltas {sample.deltas_lag_messages:,} msgs "
        f"({sample.deltas_lag_seconds:5.1f}s)  published {sample.publish_rate:,.0f}/s  "
        f"applied {applied}/s  worker CPU {sample.worker_cpu_share:.0%}"
    )


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


async def _run(
    options: Options,
    soak: Soak,
    traffic: SteadyTraffic,
    burst_and_end: tuple[list[Batch], float],
    inventory: Path,
) -> dict[str, Any]:
    burst, burst_end = burst_and_end
    deltas = burst_deltas(burst, inventory)
    await soak.publisher.start()
    await soak.offsets.start()
    try:
        burst_figures = await soak.burst(burst, deltas)
        rate = options.rate or burst_figures["events_per_s"] / 2
        soak.log(f"soak: {rate:,.0f} events/s for {options.minutes:g} min, "
                 f"a sample every {options.interval:g}s")  # fmt: skip
        before, cpu_before = asdict(soak.publisher.counts), time.process_time()
        samples = await soak.steady(traffic, rate, burst_end)
        counts = asdict(soak.publisher.counts)
        counts["harness_cpu_s"] = time.process_time() - cpu_before
        counts["soak_messages"] = counts["acked_messages"] - before["acked_messages"]
        counts["soak_events"] = counts["acked_events"] - before["acked_events"]
    finally:
        await soak.offsets.close()
        await soak.publisher.stop()
    return {"burst": burst_figures, "soak_rate": rate, "samples": samples, "publisher": counts}


def run(options: Options, log: Log) -> dict[str, Any]:
    results: dict[str, Any] = {"options": asdict(options), "date": time.time(), "commit": _commit(),
                               "load_average_start": os.getloadavg()}  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    try:
        estate = build_estate(options.services, options.edges, options.seed)
        inventory = tmp / "inventory.csv"
        inventory.write_text(inventory_csv(estate))
        traffic = SteadyTraffic(estate, options.seed)
        burst_end = time.time()
        burst = burst_batches(traffic, options.burst_events, options.seed, burst_end)
        with throwaway_broker(ROOT) as bootstrap:
            stream_run = Run(bootstrap, tmp, log)
            env = worker_env(stream_run.env("soak", inventory), options)
            partitions = int(env["MEESEEKS_TOPIC_PARTITIONS"])
            create_topic(bootstrap, env["MEESEEKS_EVENTS_TOPIC"], partitions)
            create_topic(bootstrap, env["MEESEEKS_GRAPH_CHANGES_TOPIC"], partitions)
            ledger = OffsetLedger()
            soak = Soak(
                options,
                stream_run.worker("streams.worker_app", env),
                env,
                Publisher(bootstrap, env["MEESEEKS_EVENTS_TOPIC"], ledger),
                GroupOffsets(bootstrap, env["MEESEEKS_APP_ID"]),
                ledger,
                log,
            )
            try:
                figures = asyncio.run(_run(options, soak, traffic, (burst, burst_end), inventory))
            finally:
                soak.worker.stop()
    except BaseException:
        log(f"failed: worker log and data kept in {tmp}")
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    results["load_average_end"] = os.getloadavg()
    samples: list[Sample] = figures.pop("samples")
    results.update(figures)
    shown = (*SOAK_SETTINGS, "MEESEEKS_WINDOW_SECONDS", "MEESEEKS_TOPIC_PARTITIONS")
    results["worker_settings"] = {name: env[name] for name in shown if name in env}
    results["samples"] = [sample.to_dict() for sample in samples]
    return {**results, **judge(samples, figures["soak_rate"])}


def judge(samples: list[Sample], rate: float) -> dict[str, Any]:
    """The three verdicts: memory levels off, lag stays bounded, the load was really offered.

    Lag is the pipeline's: the events topic's (in seconds of input) plus the edge-deltas
    topic's (in seconds behind its end), since the second stage can fall behind alone.
    """
    times = [s.t_s for s in samples]
    memory = memory_verdict(times, [float(s.rss_kib) for s in samples])
    lag = lag_verdict(times, [s.pipeline_lag_seconds for s in samples])
    achieved = samples[-1].published_events / samples[-1].t_s if samples[-1].t_s > 0 else 0.0
    load = {"target_rate": rate, "achieved_rate": achieved, "share": achieved / rate,
            "passed": achieved >= MIN_LOAD_SHARE * rate}  # fmt: skip
    return {
        "soak_events_per_cpu_s": attributed_per_cpu_second(samples),
        "memory": memory.to_dict(),
        "lag": lag.to_dict(),
        "load": load,
        "passed": memory.passed and lag.passed and load["passed"],
    }
