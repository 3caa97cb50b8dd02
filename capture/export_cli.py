"""``meeseeks export``: a software ERSPAN exporter, for hosts whose switches cannot mirror."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

from config.settings import Settings

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

logger = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="send frames from a mirror interface as ERSPAN over GRE to a processor host",
        description=(
            "Read every frame arriving on a mirror interface (AF_PACKET) and send it, wrapped "
            "in ERSPAN Type II or III, over GRE to the processor host, which receives it with "
            "`meeseeks capture --listen ADDR`. What a switch's ERSPAN session does, for hosts "
            "whose switches cannot mirror: copy the SYNs to a veth with tc (see the README) "
            "and export from its peer. Needs root (raw sockets). SIGINT/SIGTERM stop it; a "
            "summary of counts goes to stderr."
        ),
    )
    parser.add_argument(
        "--interface", required=True, metavar="NAME", help="the mirror interface to read"
    )
    parser.add_argument(
        "--to", required=True, metavar="ADDR", help="the processor host's IPv4/IPv6 address"
    )
    parser.add_argument(
        "--source", metavar="ADDR", help="outer source address (default: chosen by routing)"
    )
    parser.add_argument(
        "--erspan-version",
        type=int,
        choices=(2, 3),
        default=2,
        help="ERSPAN Type II (GRE 0x88BE) or III (0x22EB); default 2",
    )
    parser.add_argument(
        "--session", type=int, default=0, metavar="ID", help="ERSPAN session id, 0-1023"
    )
    parser.add_argument(
        "--snaplen",
        type=int,
        default=0,
        metavar="BYTES",
        help="cut longer frames to this many bytes and flag them truncated (0: whole frames)",
    )
    parser.add_argument(
        "--syn-only",
        action="store_true",
        help="export only TCP frames with SYN set (SYN and SYN-ACK), for unfiltered mirrors",
    )
    parser.add_argument(
        "--fanout-group",
        type=int,
        metavar="N",
        help="join PACKET_FANOUT group N (hashed by flow) to share a busy interface",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        metavar="PORT",
        help="serve /metrics on this port (default 0: off)",
    )
    parser.set_defaults(func=run, export_parser=parser)


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse values that make no sense (argparse exits with status 2)."""
    parser: argparse.ArgumentParser = args.export_parser
    if not 0 <= args.session <= 0x03FF:
        parser.error("--session must be between 0 and 1023 (ERSPAN session ids are 10 bits)")
    if args.snaplen < 0 or 0 < args.snaplen < 14:
        parser.error("--snaplen must be 0 (whole frames) or at least 14 (an Ethernet header)")
    if args.fanout_group is not None and not 0 <= args.fanout_group <= 0xFFFF:
        parser.error("--fanout-group must be between 0 and 65535")
    if not 0 <= args.metrics_port <= 65535:
        parser.error("--metrics-port must be 0 (off) or a port number")


def run(args: argparse.Namespace, settings: Settings) -> int:
    check_arguments(args)
    # Imported here so that `meeseeks --help` does not load prometheus_client and the encoder.
    from prometheus_client import CollectorRegistry

    from capture.errors import CaptureError
    from capture.erspan_exporter import (
        ErspanEncapsulator,
        ErspanExporter,
        ExportOptions,
        format_totals,
    )
    from capture.export_socket import GreSender, MirrorPortReader
    from capture.metrics import ExportMetrics, MetricsServer

    options = ExportOptions(args.erspan_version, args.session, args.snaplen, args.syn_only)
    metrics = ExportMetrics(CollectorRegistry())
    server = None
    if args.metrics_port:
        try:
            server = MetricsServer(
                metrics.registry, settings.capture_metrics_host, args.metrics_port
            )
        except OSError as exc:
            raise CaptureError(
                f"cannot serve metrics on port {args.metrics_port}: {exc.strerror or exc}; "
                "pick a free --metrics-port, or 0 for none"
            ) from exc
    reader = sender = None
    try:
        sender = GreSender(args.to, args.source)
        reader = MirrorPortReader(
            args.interface, settings.capture_receive_buffer_bytes, args.fanout_group
        )
        exporter = ErspanExporter(
            reader, sender, ErspanEncapsulator(options, reader.index), metrics
        )
        logger.info(
            "exporting frames from %s as ERSPAN Type %s session %d to %s",
            args.interface,
            "II" if options.erspan_version == 2 else "III",
            options.session,
            args.to,
        )
        stopping: list[int] = []
        previous = {signum: signal.getsignal(signum) for signum in _STOP_SIGNALS}

        def stop_on(signum: int, _frame: FrameType | None) -> None:
            logger.info("%s: stopping", signal.Signals(signum).name)
            stopping.append(signum)

        for signum in _STOP_SIGNALS:
            signal.signal(signum, stop_on)
        try:
            totals = exporter.run(lambda: bool(stopping))
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        print(format_totals(totals), file=sys.stderr)
    finally:
        for opened in (reader, sender, server):
            if opened is not None:
                opened.close()
    return 0
