"""A software ERSPAN exporter: what a switch's mirror session does, for hosts without one.

Frames copied to a mirror interface (by a SPAN port, or by ``tc ... action mirred`` on the
host itself) are wrapped in ERSPAN Type II or III with a session id and a GRE sequence number
and sent to the processor host, which receives them with ``meeseeks capture --listen``. Losing
a mirrored copy is what switches do under load too, so nothing here blocks or crashes on a bad
frame or an unreachable processor: every frame read ends up exported, filtered, or counted as a
send error by reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from capture.erspan_encoder import erspan_ii_header, erspan_iii_header, gre_packet
from capture.export_frames import is_tcp_opening
from capture.protocol_numbers import GRE_PROTO_ERSPAN_I_II, GRE_PROTO_ERSPAN_III

logger = logging.getLogger(__name__)

ERSPAN_VERSIONS = (2, 3)
MAX_SESSION = 0x03FF
_REFUSED = "ECONNREFUSED"
_TIMESTAMP_UNITS_PER_SECOND = 10_000  # ERSPAN III granularity 00: 100 microseconds


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """How frames are mirrored: the ERSPAN type and session, the snap length, the filter."""

    erspan_version: int = 2
    session: int = 0
    snaplen: int = 0
    """Frames longer than this are cut to it and flagged truncated; 0 keeps whole frames."""
    syn_only: bool = False
    """Export only TCP frames with SYN set (what the processor host turns into events)."""

    def __post_init__(self) -> None:
        if self.erspan_version not in ERSPAN_VERSIONS:
            raise ValueError(f"ERSPAN version {self.erspan_version} is not 2 or 3")
        if not 0 <= self.session <= MAX_SESSION:
            raise ValueError(f"ERSPAN session id {self.session} is outside 0..{MAX_SESSION}")
        if self.snaplen < 0:
            raise ValueError(f"snap length {self.snaplen} is negative")


class ErspanEncapsulator:
    """Wraps frames as one ERSPAN session does: a GRE sequence number counting every packet."""

    def __init__(self, options: ExportOptions, port_index: int = 0) -> None:
        self.options = options
        self._port_index = port_index
        self._sequence = 0

    def encapsulate(self, frame: bytes, ts: float) -> tuple[bytes, bool]:
        """The GRE packet mirroring ``frame`` (seen at ``ts``), and whether it was cut."""
        options = self.options
        truncated = 0 < options.snaplen < len(frame)
        if truncated:
            frame = frame[: options.snaplen]
        if options.erspan_version == 2:
            header = erspan_ii_header(options.session, truncated=truncated, index=self._port_index)
            protocol = GRE_PROTO_ERSPAN_I_II
        else:
            stamp = int(ts * _TIMESTAMP_UNITS_PER_SECOND)
            header = erspan_iii_header(options.session, truncated=truncated, timestamp=stamp)
            protocol = GRE_PROTO_ERSPAN_III
        packet = gre_packet(header + frame, protocol, sequence=self._sequence)
        self._sequence = (self._sequence + 1) & 0xFFFF_FFFF
        return packet, truncated


@dataclass
class ExportTotals:
    """What one exporter did; the metrics and the end-of-run summary are copied from it."""

    frames: int = 0
    exported: int = 0
    exported_bytes: int = 0
    filtered: int = 0
    truncated: int = 0
    kernel_drops: int = 0
    send_errors: dict[str, int] = field(default_factory=dict)

    def count_error(self, reason: str) -> None:
        self.send_errors[reason] = self.send_errors.get(reason, 0) + 1


class FrameReader(Protocol):
    """The mirror port (``capture.export_socket.MirrorPortReader``)."""

    def bursts(self, stop: Callable[[], bool]) -> Iterator[list[tuple[float, bytes]]]: ...

    def kernel_drops(self) -> int: ...


class PacketSender(Protocol):
    """The way to the processor host (``capture.export_socket.GreSender``)."""

    def send(self, packet: bytes) -> str | None: ...


class TotalsObserver(Protocol):
    """Told the running totals after every burst (the Prometheus counters)."""

    def observe(self, totals: ExportTotals) -> None: ...


class ErspanExporter:
    """Reads the mirror port, wraps each frame and sends it, counting everything."""

    def __init__(
        self,
        reader: FrameReader,
        sender: PacketSender,
        encapsulator: ErspanEncapsulator,
        observer: TotalsObserver | None = None,
    ) -> None:
        self._reader = reader
        self._sender = sender
        self._encapsulator = encapsulator
        self._observer = observer
        self.totals = ExportTotals()
        self._warned: set[str] = set()

    def run(self, stop: Callable[[], bool]) -> ExportTotals:
        """Export until ``stop()`` is true (checked at least every quiet interval)."""
        for burst in self._reader.bursts(stop):
            for ts, frame in burst:
                self.export(frame, ts)
            self.totals.kernel_drops += self._reader.kernel_drops()
            if self._observer is not None:
                self._observer.observe(self.totals)
        return self.totals

    def export(self, frame: bytes, ts: float | None = None) -> None:
        """Mirror one frame, or count why it was not."""
        totals = self.totals
        totals.frames += 1
        if self._encapsulator.options.syn_only and not is_tcp_opening(frame):
            totals.filtered += 1
            return
        packet, truncated = self._encapsulator.encapsulate(frame, time.time() if ts is None else ts)
        totals.truncated += truncated
        reason = self._sender.send(packet)
        if reason == _REFUSED:
            # The processor host refused an earlier packet (ICMP); the kernel reports it on
            # this send, which therefore did not go out: count it and try once more.
            self._failed(reason)
            reason = self._sender.send(packet)
        if reason is None:
            totals.exported += 1
            totals.exported_bytes += len(packet)
        else:
            self._failed(reason)

    def _failed(self, reason: str) -> None:
        self.totals.count_error(reason)
        if reason not in self._warned:
            self._warned.add(reason)
            logger.warning(
                "sending to the processor host failed (%s); counting further failures in "
                "meeseeks_export_send_errors_total",
                reason,
            )


def format_totals(totals: ExportTotals) -> str:
    """The end-of-run summary for stderr."""
    lines = [
        f"frames {totals.frames}  exported {totals.exported} ({totals.exported_bytes} bytes)  "
        f"filtered {totals.filtered}  truncated {totals.truncated}"
    ]
    if totals.kernel_drops:
        lines.append(f"kernel dropped {totals.kernel_drops} frames before the exporter read them")
    for reason, count in sorted(totals.send_errors.items()):
        lines.append(f"send failed ({reason}): {count}")
    return "\n".join(lines)
