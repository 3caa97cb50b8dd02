"""What the raw GRE and AF_PACKET sources share: opening errors, buffers, waiting for data.

Live sockets are read in non-blocking bursts from the event loop. While the publisher asks
the loop to wait, nobody reads: the kernel's receive buffer fills and the kernel drops, which
is the back-pressure we want on a live feed (memory stays bounded, the drops are counted).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import AsyncGenerator, Callable, Sequence

from capture.errors import CaptureError
from capture.packets import Captured

logger = logging.getLogger(__name__)

IDLE_SECONDS = 0.25
"""How long a wait for data lasts before the loop looks at ``stop`` and its timers again."""
CHUNK_PACKETS = 512
"""Most packets read in one burst, so the loop regularly hands control to Kafka deliveries."""
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


class LiveSourceError(CaptureError):
    """A live capture socket could not be opened or configured."""


def open_failure(what: str, exc: OSError) -> LiveSourceError:
    """A message that says what to do about a socket that would not open."""
    if isinstance(exc, PermissionError) or exc.errno == errno.EPERM:
        hint = "run as root or give the interpreter CAP_NET_RAW (setcap cap_net_raw+ep)"
    elif exc.errno == errno.ENODEV:
        hint = "check the interface name with `ip link`"
    elif exc.errno == errno.EADDRNOTAVAIL:
        hint = "use an address configured on this host (see `ip addr`) or 0.0.0.0"
    else:
        hint = "check the address or interface and that the kernel supports this socket"
    return LiveSourceError(f"cannot open {what}: {exc.strerror or exc}; {hint}")


def set_receive_buffer(sock: socket.socket, size: int) -> None:
    """Ask for a large kernel buffer: it absorbs bursts and pauses of the reading loop."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, size)
    except OSError:  # not privileged: the ordinary option is capped by net.core.rmem_max
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    if granted < size:
        logger.warning(
            "receive buffer is %d bytes, not %d; raise net.core.rmem_max to absorb bursts",
            granted,
            size,
        )


async def wait_readable(sock: socket.socket, timeout: float) -> bool:
    """True once ``sock`` has data, False after ``timeout``.

    The reader is registered only while waiting: a level-triggered reader left in place would
    fire continuously while the loop deliberately is not reading.
    """
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    fd = sock.fileno()
    loop.add_reader(fd, _wake, ready)
    try:
        await asyncio.wait_for(ready, timeout)
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)
    return True


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


async def read_bursts(
    sock: socket.socket, read_burst: Callable[[], Sequence[Captured]], stop: asyncio.Event
) -> AsyncGenerator[Sequence[Captured], None]:
    """Bursts of packets until ``stop``; an empty burst when the socket stayed quiet."""
    while not stop.is_set():
        if await wait_readable(sock, IDLE_SECONDS):
            yield read_burst()
        else:
            yield ()
