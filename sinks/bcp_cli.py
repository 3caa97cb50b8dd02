"""``meeseeks bcp plan|check``: plan a zone failure and check the BCP overlays, from the graph
store (the default) or from a JSON topology and annotation files."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings, with_overrides
from models.errors import MeeseeksError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from models.bcp_finding import FindingEvent
    from sinks.bcp_sources import BcpInputs

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

FORMATS = ("table", "json", "dot")


class BcpCliError(MeeseeksError):
    """The options cannot be used as given; the message says what to change."""


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "bcp",
        help="plan an availability-zone failure and check the BCP and Data-DR overlays",
        description=(
            "Business continuity from the observed graph and the bcp and data-dr overlays: "
            "what to restore when a zone fails, in which order, how much to scale and how "
            "long it takes against each flow's RTO; and what is wrong before it happens."
        ),
    )
    commands = parser.add_subparsers(dest="bcp_command", metavar="COMMAND", required=True)
    plan = commands.add_parser(
        "plan",
        help="the plan for a zone (or service) failure: order, scale-up, time against RTO",
        description="Bring-up and shutdown waves, scale-up per service, and each BCP flow's "
        "ready time against its RTO, with the critical path of a late flow. README: "
        "'Reading a BCP plan'.",
    )
    plan.add_argument(
        "--fail-zone", action="append", default=[], metavar="ZONE", help="a zone that fails "
        "(repeat for several)",
    )  # fmt: skip
    plan.add_argument(
        "--fail-service", action="append", default=[], metavar="NAME",
        help="a service that fails in every zone (repeat for several)",
    )  # fmt: skip
    plan.add_argument(
        "--follow-undeclared",
        action="store_true",
        help="treat observed edges no overlay mentions as essential (a cautious plan)",
    )
    plan.add_argument("--format", choices=FORMATS, default="table")
    plan.set_defaults(func=run_plan)
    check = commands.add_parser(
        "check",
        help="criticality inversions, undeclared or unobserved dependencies, single-zone "
        "risks and Data-DR backups against RPO",
    )
    check.add_argument("--format", choices=FORMATS[:2], default="table")
    check.add_argument(
        "--learning",
        type=float,
        metavar="SECONDS",
        help="how long an essential edge may stay silent (default "
        "MEESEEKS_LEARNING_PERIOD_SECONDS)",
    )
    check.add_argument(
        "--publish",
        action="store_true",
        help="send the findings to MEESEEKS_BCP_FINDINGS_TOPIC and the Data-DR ones to "
        "MEESEEKS_DR_EVENTS_TOPIC",
    )
    check.add_argument(
        "--exit-code", action="store_true", help="exit with 1 when there is any finding"
    )
    check.set_defaults(func=run_check)
    for command in (plan, check):
        sources = command.add_argument_group("inputs (default: the graph store)")
        sources.add_argument("--store", help="store URL (default MEESEEKS_STORE_URL)")
        sources.add_argument(
            "--topology",
            type=Path,
            metavar="FILE",
            help="a JSON topology instead of the store: `meeseeks analyze --json` output or "
            "a /topology/ answer",
        )
        sources.add_argument(
            "--annotations",
            type=Path,
            action="append",
            default=[],
            metavar="FILE",
            help="annotation file of the bcp or data-dr overlay (YAML, JSON or CSV; with "
            "--topology; repeat for several)",
        )
        sources.add_argument(
            "--inventory",
            type=Path,
            metavar="FILE",
            help="inventory for instances per zone (default MEESEEKS_INVENTORY_FILE; without "
            "one, each node's zone and instance count)",
        )


def load_inputs(args: argparse.Namespace, settings: Settings) -> BcpInputs:
    from config.inventory_file import load_inventory_file
    from sinks.bcp_sources import Placement, inputs_from_files, inputs_from_store

    if args.annotations and args.topology is None:
        raise BcpCliError("--annotations goes with --topology; the store keeps its own")
    inventory = args.inventory or settings.inventory_file
    placement = Placement.of(load_inventory_file(inventory)) if inventory else Placement()
    if args.topology is not None:
        return inputs_from_files(args.topology, args.annotations, placement)
    from sinks.store_url import open_store, store_url_of

    settings = with_overrides(settings, store_url=args.store)
    with open_store(store_url_of(settings), settings) as store:
        return inputs_from_store(store, placement)


def run_plan(args: argparse.Namespace, settings: Settings) -> int:
    from models.bcp_model import Scenario
    from models.bcp_plan import plan_failure
    from models.bcp_plan_json import plan_to_dict

    scenario = Scenario(
        frozenset(args.fail_zone), frozenset(args.fail_service), args.follow_undeclared
    )
    body = plan_to_dict(plan_failure(load_inputs(args, settings).estate, scenario))
    print_plan(body, args.format)
    return 0


def print_plan(body: dict[str, object], form: str) -> None:
    from sinks import bcp_render

    if form == "json":
        print(json.dumps(body, indent=2))
    elif form == "dot":
        sys.stdout.write(bcp_render.plan_dot(body))
    else:
        from rich.console import Console

        Console().print(bcp_render.plan_view(body))


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    from models.bcp_checks import CheckParams
    from sinks.bcp_service import BcpChecker

    learning = args.learning if args.learning is not None else settings.learning_period_seconds
    if not learning > 0:
        raise BcpCliError(f"--learning {learning} must be a number of seconds above 0")
    checker = BcpChecker(CheckParams(learning_seconds=learning))
    run = checker.run(lambda: load_inputs(args, settings))
    rows = [finding.to_dict() for finding in run.findings]
    if args.format == "json":
        print(json.dumps({"at": run.at, "findings": rows, "late_flows": run.late_flows}, indent=2))
    else:
        from rich.console import Console

        from sinks.bcp_render import findings_table

        console = Console()
        console.print(findings_table(rows))
        late = ", ".join(f"zone {z}: {n}" for z, n in run.late_flows.items()) or "no zones"
        console.print(f"flows missing their RTO if a zone fails: {late}")
    if args.publish:
        sent = asyncio.run(_publish(run.events, settings))
        print(f"bcp check: {sent[0]} finding events, {sent[1]} DR events sent", file=sys.stderr)
    return 1 if args.exit_code and rows else 0


async def _publish(events: Sequence[FindingEvent], settings: Settings) -> tuple[int, int]:
    from config.kafka_security import kafka_client_options
    from sinks.bcp_publish import KafkaSender, publish_events

    async with KafkaSender(kafka_client_options(settings)) as send:
        return await publish_events(
            events, send, settings.bcp_findings_topic, settings.dr_events_topic
        )
