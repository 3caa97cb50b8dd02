"""``meeseeks capture``: mirrored SYNs from a file or a live socket, to Kafka or stdout."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from capture import export_cli
from config.settings import Settings

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "capture",
        help="decode mirrored TCP SYNs (ERSPAN/GRE) and publish them to Kafka",
        description=(
            "Read mirrored frames from a pcap/pcapng file, a raw GRE socket or an interface, "
            "decode the TCP SYN and SYN-ACK inside, and publish them in batches to "
            "MEESEEKS_EVENTS_TOPIC (or print JSON lines with --stdout). A summary of counts "
            "and skip reasons goes to stderr at the end. SIGINT/SIGTERM stop reading and flush "
            "what was accepted; a second one abandons the flush."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="PATH", help="read a pcap or pcapng capture file")
    source.add_argument(
        "--listen",
        metavar="ADDR",
        help="receive GRE sent to this local IPv4/IPv6 address (raw socket; needs root)",
    )
    source.add_argument(
        "--interface",
        metavar="NAME",
        help="read every frame arriving on this interface (AF_PACKET; needs root)",
    )
    parser.add_argument("--realtime", action="store_true", help="replay --file at its pace")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar for --file")
    parser.add_argument(
        "--stdout", action="store_true", help="print events as JSON lines instead of publishing"
    )
    parser.add_argument(
        "--fanout-group",
        type=int,
        metavar="N",
        help="with --interface: join PACKET_FANOUT group N (hashed by flow) to share the "
        "interface with other capture processes",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve /metrics on this port (overrides MEESEEKS_CAPTURE_METRICS_PORT; 0: off)",
    )
    parser.add_argument("--topic", help="publish to this topic instead of MEESEEKS_EVENTS_TOPIC")
    parser.set_defaults(func=run, capture_parser=parser)
    export_cli.register(subparsers)  # `meeseeks export`, the software ERSPAN exporter


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse flag combinations that make no sense (argparse exits with status 2)."""
    parser: argparse.ArgumentParser = args.capture_parser
    if args.realtime and not args.file:
        parser.error("--realtime only applies to --file")
    if args.fanout_group is not None and not args.interface:
        parser.error("--fanout-group only applies to --interface")
    if args.fanout_group is not None and not 0 <= args.fanout_group <= 0xFFFF:
        parser.error("--fanout-group must be between 0 and 65535")
    if args.metrics_port is not None and not 0 <= args.metrics_port <= 65535:
        parser.error("--metrics-port must be 0 (off) or a port number")


def run(args: argparse.Namespace, settings: Settings) -> int:
    check_arguments(args)
    # Imported here so that `meeseeks --help` does not load aiokafka, rich and the decoders.
    from capture.capture_command import CaptureCommand
    from capture.json_lines_sink import OutputClosedError

    command = CaptureCommand(args, settings, sys.stdout)
    try:
        return command.execute()
    except OutputClosedError:
        # Like `head` closing the pipe for any Unix filter: stop quietly, and keep Python's
        # exit-time flush of stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        summary = command.summary()
        if summary is not None:
            print(summary, file=sys.stderr)
