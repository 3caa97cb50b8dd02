"""The ERSPAN exporter's two sockets: an AF_PACKET reader on the mirror port, a raw GRE sender.

The reader asks for PACKET_AUXDATA so it can put back the VLAN tag the kernel took off the
frame, skips what the host itself transmits on the port, and can join a fanout group so that
several exporters share a busy port. The sender is a raw IPPROTO_GRE socket: the kernel writes
the outer IP header, routes and (for frames beyond the path MTU) fragments; the processor
host's raw socket gets the datagram reassembled.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import struct
import time
from collections.abc import Callable, Iterator

from capture.export_frames import with_vlan_tag
from capture.live_socket import (
    CHUNK_PACKETS,
    IDLE_SECONDS,
    LiveSourceError,
    open_failure,
)
from capture.packet_builder import ethernet_frame
from capture.packet_socket import (
    PACKET_OUTGOING,
    PACKET_STATISTICS,
    SOL_PACKET,
    open_packet_socket,
)

logger = logging.getLogger(__name__)

Frames = list[tuple[float, bytes]]
"""(receive time, Ethernet frame) pairs read in one burst."""

# <linux/if_packet.h> and <linux/if_arp.h>
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
_AUXDATA = struct.Struct("=IIIHHHH")  # status, len, snaplen, mac, net, vlan_tci, vlan_tpid
_STATISTICS = struct.Struct("=II")
_ETHERNET_HARDWARE = frozenset({1, 772})  # ARPHRD_ETHER, ARPHRD_LOOPBACK
_RAW_IP_HARDWARE = 0xFFFE  # ARPHRD_NONE: tun devices hand over bare IP packets
_BUFFER_BYTES = 262144  # GRO may merge frames beyond the MTU
_IP_MTU_DISCOVER = 10  # <linux/in.h>; not in the socket module
_IP_PMTUDISC_DONT = 0
_SMALL_RECEIVE_BUFFER = 4096  # the sender never reads; GRE sent back to it is simply dropped


class MirrorPortReader:
    """Frames arriving on one interface, with their VLAN tags, in bursts."""

    def __init__(self, interface: str, receive_buffer: int, fanout_group: int | None) -> None:
        self._sock, hardware = open_packet_socket(
            interface, receive_buffer, fanout_group, options=[(PACKET_AUXDATA, 1)]
        )
        self._sock.settimeout(IDLE_SECONDS)
        if hardware not in _ETHERNET_HARDWARE and hardware != _RAW_IP_HARDWARE:
            self._sock.close()
            raise LiveSourceError(
                f"interface {interface} has ARP hardware type {hardware}; the exporter mirrors "
                "Ethernet, loopback and raw-IP interfaces"
            )
        self._raw_ip = hardware == _RAW_IP_HARDWARE
        self.index = socket.if_nametoindex(interface)
        self._buffer = bytearray(_BUFFER_BYTES)
        self._view = memoryview(self._buffer)
        self._ancillary = socket.CMSG_SPACE(_AUXDATA.size)

    def bursts(self, stop: Callable[[], bool]) -> Iterator[Frames]:
        """Bursts of frames until ``stop()``; an empty burst after a quiet interval."""
        while not stop():
            burst: Frames = []
            frame = self._receive(0)
            while frame is not None:
                if frame:
                    burst.append((time.time(), frame))
                if len(burst) >= CHUNK_PACKETS:
                    break
                frame = self._receive(socket.MSG_DONTWAIT)
            yield burst

    def kernel_drops(self) -> int:
        """Drops since the previous call (reading PACKET_STATISTICS resets the kernel's count)."""
        try:
            raw = self._sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATISTICS.size)
        except OSError:
            return 0
        return int(_STATISTICS.unpack(raw)[1])

    def close(self) -> None:
        self._sock.close()

    def _receive(self, flags: int) -> bytes | None:
        """One frame; b"" for one to leave out; None when nothing is waiting."""
        try:
            size, ancillary, _, address = self._sock.recvmsg_into(
                [self._buffer], self._ancillary, flags
            )
        except (BlockingIOError, TimeoutError, InterruptedError):
            return None
        if address[2] == PACKET_OUTGOING:
            return b""  # the host's own transmissions are not part of the mirror
        frame = bytes(self._view[:size])
        if self._raw_ip:
            return ethernet_frame(frame)
        for level, kind, data in ancillary:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= _AUXDATA.size:
                status, _, _, _, _, tci, tpid = _AUXDATA.unpack_from(data)
                if tci or status & TP_STATUS_VLAN_VALID:
                    has_tpid = status & TP_STATUS_VLAN_TPID_VALID and tpid
                    frame = (
                        with_vlan_tag(frame, tci, tpid) if has_tpid else with_vlan_tag(frame, tci)
                    )
        return frame


class GreSender:
    """Sends GRE packets to the processor host over a raw IP socket (protocol 47)."""

    def __init__(self, destination: str, source: str | None = None) -> None:
        family = _family("--to", destination)
        if source is not None and _family("--source", source) != family:
            raise LiveSourceError(
                f"--source {source} and --to {destination} are not of the same IP version"
            )
        try:
            self._sock = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_GRE)
        except OSError as exc:
            raise open_failure("a raw GRE socket", exc) from exc
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SMALL_RECEIVE_BUFFER)
            if family == socket.AF_INET:
                # Fragment oversized mirrors locally instead of failing them with EMSGSIZE.
                self._sock.setsockopt(socket.IPPROTO_IP, _IP_MTU_DISCOVER, _IP_PMTUDISC_DONT)
            if source is not None:
                self._sock.bind((source, 0))
            self._sock.connect((destination, 0))
        except OSError as exc:
            self._sock.close()
            if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                raise LiveSourceError(
                    f"no route to the processor host {destination}; check `ip route get "
                    f"{destination}`"
                ) from exc
            raise open_failure(f"a raw GRE socket to {destination}", exc) from exc
        logger.info("sending ERSPAN to %s", destination)

    def send(self, packet: bytes) -> str | None:
        """Send one GRE packet; None when sent, else the errno name of the failure."""
        try:
            self._sock.send(packet)
        except OSError as exc:
            return errno.errorcode.get(exc.errno or 0, "OSError")
        return None

    def close(self) -> None:
        self._sock.close()


def _family(option: str, address: str) -> socket.AddressFamily:
    try:
        version = ipaddress.ip_address(address).version
    except ValueError as exc:
        raise LiveSourceError(f"{option} {address!r} is not an IPv4 or IPv6 address") from exc
    return socket.AF_INET if version == 4 else socket.AF_INET6
