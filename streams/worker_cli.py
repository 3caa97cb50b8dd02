"""``meeseeks worker``: run a Faust worker of the stream app in this process."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from config.settings import Settings, with_overrides

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

logger = logging.getLogger(__name__)


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run a stream worker (Faust) that consumes connection events",
        description=(
            "Run one Faust worker of the Meeseeks stream app. Several workers on one host "
            "need distinct MEESEEKS_WEB_PORT and MEESEEKS_DATA_DIR."
        ),
    )
    parser.add_argument("--web-port", type=int, help="override MEESEEKS_WEB_PORT")
    parser.add_argument("--data-dir", help="override MEESEEKS_DATA_DIR")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import faust

    from streams.app import create_app

    settings = with_overrides(settings, web_port=args.web_port, data_dir=args.data_dir)
    app = create_app(settings)
    logger.info(
        "starting worker %s against %s, web on %s:%d",
        settings.app_id,
        settings.kafka_bootstrap,
        settings.web_host,
        settings.web_port,
    )
    worker = faust.Worker(app, loglevel=settings.log_level.lower())
    worker.execute_from_commandline()  # runs until the worker stops, then exits
