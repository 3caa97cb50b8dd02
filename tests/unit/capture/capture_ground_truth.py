"""The public reference captures in tests/data/pcaps and TShark's ground truth next to them.

TShark 4.0 wrote one CSV row per SYN, SYN-ACK and ERSPAN packet (see INDEX.md there); these
helpers turn the rows into the values our decoders must produce.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from capture.pcap_source import PcapSource
from models.connection import ConnectionEvent, Kind

PCAP_DIR = Path(__file__).resolve().parents[2] / "data" / "pcaps"
CAPTURES = sorted(PCAP_DIR.glob("**/*.pcap"))
CAPTURE_IDS = [str(path.relative_to(PCAP_DIR)) for path in CAPTURES]


@dataclass(frozen=True)
class Frame:
    """One record of a capture, numbered from 1 like TShark's frame.number."""

    number: int
    ts: float
    linktype: int
    data: bytes


def frames(capture: Path) -> list[Frame]:
    """Every record of a capture file."""
    return [Frame(n, *record) for n, record in enumerate(PcapSource(capture), start=1)]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as stream:
        return list(csv.DictReader(stream))


def _optional_int(text: str) -> int | None:
    return int(text, 0) if text else None


def _erspan_type(version_column: str, gre_proto: str) -> int | None:
    """TShark's erspan.version (blank for Type I, 1 = II, 2 = III) as our 1/2/3."""
    if version_column:
        return int(version_column) + 1
    return 1 if gre_proto.lower() == "0x88be" else None


EventKey = tuple[
    int, float, str, int, str, int, Kind, int | None, int | None, int | None, int | None
]
"""(frame number, ts to the microsecond, src, sport, dst, dport, kind, vlan, ERSPAN type,
ERSPAN VLAN, session): what must match between TShark and a decoder."""


def event_key(number: int, event: ConnectionEvent) -> EventKey:
    """The comparable part of a decoded event."""
    return (
        number,
        round(event.ts, 6),
        event.src,
        event.sport,
        event.dst,
        event.dport,
        event.kind,
        event.vlan,
        event.erspan_version,
        event.erspan_vlan,
        event.session,
    )


def expected_events(capture: Path) -> list[EventKey]:
    """The SYNs and SYN-ACKs TShark found, in frame order."""
    keys: list[EventKey] = []
    for suffix, kind in ((".syn.csv", Kind.SYN), (".synack.csv", Kind.SYN_ACK)):
        for row in _rows(capture.with_name(capture.name + suffix)):
            keys.append(
                (
                    int(row["frame.number"]),
                    round(float(row["frame.time_epoch"]), 6),
                    row["ip.src"] or row["ipv6.src"],
                    int(row["tcp.srcport"]),
                    row["ip.dst"] or row["ipv6.dst"],
                    int(row["tcp.dstport"]),
                    kind,
                    _optional_int(row["vlan.id"]),
                    _erspan_type(row["erspan.version"], row["gre.proto"]),
                    _optional_int(row["erspan.vlan"]),
                    _optional_int(row["erspan.spanid"]),
                )
            )
    return sorted(keys, key=lambda key: key[0])


@dataclass(frozen=True)
class ErspanRow:
    """TShark's view of one ERSPAN packet (innermost values where a field repeats)."""

    number: int
    ts: float
    gre_sequence: int | None
    erspan_type: int
    session: int | None
    erspan_vlan: int | None
    frame_type: int | None
    vlan: int | None
    ip_src: str
    ip_dst: str
    ip_proto: int | None


def erspan_rows(capture: Path) -> list[ErspanRow]:
    """The rows of ``<capture>.erspan.csv``; empty when the capture has none."""
    return [
        ErspanRow(
            number=int(row["frame.number"]),
            ts=round(float(row["frame.time_epoch"]), 6),
            gre_sequence=_optional_int(row["gre.sequence_number"]),
            erspan_type=_erspan_type(row["erspan.version"], "0x88be") or 1,
            session=_optional_int(row["erspan.spanid"]),
            erspan_vlan=_optional_int(row["erspan.vlan"]),
            frame_type=_optional_int(row["erspan.ft"]),
            vlan=_optional_int(row["vlan.id"]),
            ip_src=row["ip.src"] or row["ipv6.src"],
            ip_dst=row["ip.dst"] or row["ipv6.dst"],
            ip_proto=_optional_int(row["ip.proto"]),
        )
        for row in _rows(capture.with_name(capture.name + ".erspan.csv"))
    ]
