"""``--listen ADDR``: GRE packets addressed to this host, from a raw IPPROTO_GRE socket.

No tunnel device is needed: the kernel hands every GRE packet for ADDR to raw sockets of
that protocol. An IPv4 raw socket delivers the outer IP header too, which is skipped here (its
source is the sender anyway); an IPv6 one delivers the GRE header first. Either way the
decoder gets the GRE payload and the sender's address as the mirror.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import AsyncGenerator, Mapping, Sequence

from capture.live_socket import (
    CHUNK_PACKETS,
    LiveSourceError,
    open_failure,
    read_bursts,
    set_receive_buffer,
)
from capture.packets import Captured, GrePayload

logger = logging.getLogger(__name__)

_BUFFER_BYTES = 65536  # an IP datagram, reassembled by the kernel, never exceeds this


class GreSocketSource:
    """Reads GRE packets sent to one local address (or to any, with 0.0.0.0 / ::)."""

    def __init__(self, address: str, receive_buffer: int) -> None:
        try:
            version = ipaddress.ip_address(address.split("%", 1)[0]).version
        except ValueError as exc:
            raise LiveSourceError(
                f"--listen {address!r} is not an IP address; give one of this host's "
                "addresses, or 0.0.0.0 / :: for all"
            ) from exc
        self._with_ip_header = version == 4
        family = socket.AF_INET if version == 4 else socket.AF_INET6
        try:
            self._sock = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_GRE)
        except OSError as exc:
            raise open_failure(f"a raw GRE socket for {address}", exc) from exc
        try:
            self._sock.bind((address, 0))
            self._sock.setblocking(False)
            set_receive_buffer(self._sock, receive_buffer)
        except OSError as exc:
            self._sock.close()
            raise open_failure(f"a raw GRE socket on {address}", exc) from exc
        self._buffer = bytearray(_BUFFER_BYTES)
        self._view = memoryview(self._buffer)
        logger.info("receiving GRE sent to %s", address)

    def chunks(self, stop: asyncio.Event) -> AsyncGenerator[Sequence[Captured], None]:
        return read_bursts(self._sock, self._read_burst, stop)

    def skip_counts(self) -> Mapping[str, int]:
        return {}

    def kernel_drops(self) -> int:
        return 0  # raw IP sockets keep no drop statistics of their own

    def close(self) -> None:
        self._sock.close()

    def _read_burst(self) -> list[Captured]:
        burst: list[Captured] = []
        view, with_ip_header = self._view, self._with_ip_header
        for _ in range(CHUNK_PACKETS):
            try:
                size, sender = self._sock.recvfrom_into(self._buffer)
            except (BlockingIOError, InterruptedError):
                break
            start = (self._buffer[0] & 0x0F) * 4 if with_ip_header else 0
            mirror = sender[0].split("%", 1)[0]
            burst.append(GrePayload(time.time(), bytes(view[start:size]), mirror))
        return burst
