"""``meeseeks sink``: keep the graph store up to date from the graph-changes topic."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import TYPE_CHECKING

from config.settings import Settings, with_overrides
from models.errors import MeeseeksError

if TYPE_CHECKING:
    from sinks.graph_sink import GraphSink
    from sinks.metrics import SinkMetrics
    from sinks.store import GraphStore

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

logger = logging.getLogger(__name__)


class SinkSetupError(MeeseeksError):
    """The sink cannot start as configured; the message says what to change."""


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "sink",
        help="write the graph-changes topic into the graph store (SQLite or ArangoDB)",
        description=(
            "Consume MEESEEKS_GRAPH_CHANGES_TOPIC in the consumer group MEESEEKS_SINK_GROUP_ID "
            "and upsert nodes, edges and clusters into the store MEESEEKS_STORE_URL names, in "
            "batches, committing offsets only after the store accepted a batch. While the "
            "store is down the batch is retried with back-off; nothing is lost. Runs until "
            "Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument("--store", help="store URL (default MEESEEKS_STORE_URL)")
    parser.add_argument("--group", help="consumer group (default MEESEEKS_SINK_GROUP_ID)")
    parser.add_argument(
        "--until-caught-up",
        action="store_true",
        help="stop once the topic is written up to where it ended when the sink started",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        help="port of /metrics (default MEESEEKS_SINK_METRICS_PORT; 0 turns it off)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from capture.metrics import MetricsServer
    from sinks.metrics import SinkMetrics
    from sinks.store_url import open_store, store_url_of

    settings = with_overrides(
        settings,
        store_url=args.store,
        sink_group_id=args.group,
        sink_metrics_port=args.metrics_port,
    )
    metrics = SinkMetrics.create()
    server = None
    host, port = settings.sink_metrics_host, settings.sink_metrics_port
    if port:
        try:
            server = MetricsServer(metrics.registry, host, port)
        except OSError as exc:
            raise SinkSetupError(
                f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}; "
                "pass another --metrics-port, or 0 to turn metrics off"
            ) from exc
    url = store_url_of(settings)
    try:
        with open_store(url, settings) as store:
            logger.info("writing %s into %s", settings.graph_changes_topic, url)
            sink = asyncio.run(_serve(settings, store, args.until_caught_up, metrics))
    finally:
        if server is not None:
            server.close()
    print(
        f"sink: {sink.written} changes written in {sink.batches} batches, "
        f"{sink.skipped} skipped, {sink.retries} store retries",
        file=sys.stderr,
    )
    return 0


async def _serve(
    settings: Settings, store: GraphStore, until_caught_up: bool, metrics: SinkMetrics
) -> GraphSink:
    from sinks.graph_sink import run_sink

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(number, stop.set)
    return await run_sink(settings, store, stop, until_caught_up=until_caught_up, metrics=metrics)
