"""``meeseeks kafka up|down|status``: the local development broker."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from config.local_kafka import LocalKafka
from config.settings import Settings

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

logger = logging.getLogger(__name__)


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "kafka",
        help="fetch, start and stop the local single-node Kafka broker",
        description=(
            "Manage a local single-node Kafka broker (KRaft) run from Maven Central jars with "
            "java -cp. Needs Java 17+ and Maven. Version, ports, heap and folder come from "
            "MEESEEKS_KAFKA_VERSION, MEESEEKS_KAFKA_PORT, MEESEEKS_KAFKA_CONTROLLER_PORT, "
            "MEESEEKS_KAFKA_HEAP and MEESEEKS_KAFKA_HOME."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser("up", help="start the broker and wait until it answers")
    up.add_argument(
        "--timeout", type=float, default=90.0, help="seconds to wait for readiness (default 90)"
    )
    actions.add_parser("down", help="stop the broker started by `up`")
    actions.add_parser("status", help="say whether the broker runs, and where")
    actions.add_parser("fetch", help="download the broker's jars with Maven, and do nothing else")
    parser.set_defaults(func=run)


def broker_from(settings: Settings) -> LocalKafka:
    return LocalKafka(
        home=settings.kafka_home,
        version=settings.kafka_version,
        port=settings.kafka_port,
        controller_port=settings.kafka_controller_port,
        heap=settings.kafka_heap,
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    broker = broker_from(settings)
    if args.action == "fetch":
        print(broker.fetch_jars())
        return 0
    if args.action == "status":
        state = broker.running()
        if state is None:
            print("no local broker is running")
            return 1
        print(f"Kafka {state.version} running, pid {state.pid}, bootstrap {state.bootstrap}")
        return 0
    if args.action == "down":
        if not broker.stop():
            print("no local broker was running", file=sys.stderr)
        return 0
    state = broker.start()
    try:
        asyncio.run(broker.wait_ready(state, timeout=args.timeout))
    except BaseException:
        broker.stop()
        raise
    print(f"Kafka {state.version} ready on {state.bootstrap} (log: {state.log_file})")
    return 0
