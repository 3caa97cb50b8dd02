"""``--interface NAME``: every frame arriving on an interface, from an AF_PACKET socket.

For a NIC that receives the mirrored traffic (ERSPAN or plain GRE to this host, or to a
tap). With ``--fanout-group N`` the socket joins a PACKET_FANOUT group of type HASH: the
kernel hands each flow to one member, so several `meeseeks capture` processes share the
interface. The kernel's drop counter (PACKET_STATISTICS) feeds the kernel-drop metric.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections.abc import AsyncGenerator, Mapping, Sequence

from capture.live_socket import (
    CHUNK_PACKETS,
    LiveSourceError,
    open_failure,
    read_bursts,
    set_receive_buffer,
)
from capture.packets import LINKTYPE_ETHERNET, LINKTYPE_RAW, Captured, Frame

logger = logging.getLogger(__name__)

# <linux/if_ether.h>, <linux/if_packet.h>, <linux/if_arp.h>; not all are in the socket module.
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_FANOUT = 18
PACKET_FANOUT_HASH = 0
PACKET_FANOUT_FLAG_DEFRAG = 0x8000
PACKET_OUTGOING = 4
_LINKTYPE_OF_HARDWARE = {1: LINKTYPE_ETHERNET, 772: LINKTYPE_ETHERNET, 0xFFFE: LINKTYPE_RAW}
_TPACKET_STATS = struct.Struct("=II")
_BUFFER_BYTES = 262144  # room for GRO-merged frames, which exceed the MTU


def fanout_argument(group: int) -> int:
    """PACKET_FANOUT's value: group id, hashing by flow, reassembling fragments first."""
    if not 0 <= group <= 0xFFFF:
        raise LiveSourceError(f"--fanout-group {group}: use a number from 0 to 65535")
    return group | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16)


def open_packet_socket(
    interface: str,
    receive_buffer: int,
    fanout_group: int | None,
    *,
    options: Sequence[tuple[int, int]] = (),
) -> tuple[socket.socket, int]:
    """An AF_PACKET socket bound to ``interface`` (every protocol) and its ARP hardware type.

    ``options`` are (SOL_PACKET option, value) pairs set before the bind, so that no frame is
    received without them. With ``fanout_group`` the socket joins that PACKET_FANOUT group.
    """
    try:
        # Protocol 0 receives nothing until bind() names the interface and ETH_P_ALL.
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    except OSError as exc:
        raise open_failure(f"an AF_PACKET socket for {interface}", exc) from exc
    try:
        set_receive_buffer(sock, receive_buffer)
        for option, value in options:
            sock.setsockopt(SOL_PACKET, option, value)
        sock.bind((interface, ETH_P_ALL))
        if fanout_group is not None:
            argument = struct.pack("=I", fanout_argument(fanout_group))  # > INT_MAX
            sock.setsockopt(SOL_PACKET, PACKET_FANOUT, argument)
    except OSError as exc:
        sock.close()
        raise open_failure(f"interface {interface}", exc) from exc
    return sock, int(sock.getsockname()[3])


class PacketSocketSource:
    """Reads frames received on one interface, optionally as one member of a fanout group."""

    def __init__(self, interface: str, receive_buffer: int, fanout_group: int | None) -> None:
        self._sock, hardware = open_packet_socket(interface, receive_buffer, fanout_group)
        self._sock.setblocking(False)
        linktype = _LINKTYPE_OF_HARDWARE.get(hardware)
        if linktype is None:
            self._sock.close()
            raise LiveSourceError(
                f"interface {interface} has ARP hardware type {hardware}; capture reads "
                "Ethernet, loopback and raw-IP interfaces: pick the NIC the mirror arrives on"
            )
        self._linktype = linktype
        self._buffer = bytearray(_BUFFER_BYTES)
        self._view = memoryview(self._buffer)
        logger.info(
            "capturing on %s%s",
            interface,
            "" if fanout_group is None else f" in fanout group {fanout_group}",
        )

    def chunks(self, stop: asyncio.Event) -> AsyncGenerator[Sequence[Captured], None]:
        return read_bursts(self._sock, self._read_burst, stop)

    def skip_counts(self) -> Mapping[str, int]:
        return {}

    def kernel_drops(self) -> int:
        """Drops since the previous call: reading PACKET_STATISTICS resets the kernel's count."""
        try:
            raw = self._sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _TPACKET_STATS.size)
        except OSError:
            return 0
        _received, dropped = _TPACKET_STATS.unpack(raw)
        return int(dropped)

    def close(self) -> None:
        self._sock.close()

    def _read_burst(self) -> list[Captured]:
        burst: list[Captured] = []
        view, linktype = self._view, self._linktype
        for _ in range(CHUNK_PACKETS):
            try:
                size, address = self._sock.recvfrom_into(self._buffer)
            except (BlockingIOError, InterruptedError):
                break
            if address[2] == PACKET_OUTGOING:
                continue  # our own transmissions; loopback would show each packet twice
            burst.append(Frame(time.time(), linktype, bytes(view[:size])))
        return burst
