"""The ``meeseeks`` command: one entry point, a subcommand per stage of the pipeline.

Each package registers its own subcommands; this module only builds the parser, loads the
settings once, sets up logging and turns the project's errors into one clear line and exit 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from config.settings import Settings, load_settings
from models.errors import MeeseeksError

logger = logging.getLogger(__name__)

Command = Callable[[argparse.Namespace, Settings], int]
Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _registrars() -> list[Registrar]:
    # Imported here so that `meeseeks --help` stays fast.
    from capture import cli as capture_cli
    from config import cli as config_cli
    from sinks import bcp_cli, overlay_cli, sink_cli
    from streams import analyze_cli, demo_cli, inventory_cli, topology_cli, worker_cli

    return [
        config_cli.register,
        capture_cli.register,
        worker_cli.register,
        inventory_cli.register,
        topology_cli.register,
        analyze_cli.register,
        demo_cli.register,
        sink_cli.register,
        overlay_cli.register,
        bcp_cli.register,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meeseeks",
        description=(
            "Build a live service dependency graph from mirrored TCP SYNs and plan "
            "availability-zone failures from it. Settings come from MEESEEKS_* environment "
            "variables (see docs/settings.md)."
        ),
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="override MEESEEKS_LOG_LEVEL for this command",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in _registrars():
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        overrides = {"log_level": args.log_level} if args.log_level else {}
        settings = load_settings(**overrides)
    except MeeseeksError as exc:
        print(f"meeseeks: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    command: Command = args.func
    try:
        return command(args, settings)
    except MeeseeksError as exc:
        print(f"meeseeks {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        logger.info("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
