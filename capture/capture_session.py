"""One run of `meeseeks capture`: connect the sink, read until done or told to stop, flush.

The first SIGINT/SIGTERM stops reading and flushes everything already accepted, however long
Kafka takes to come back; a second one abandons what is still unacknowledged and says how
much that was. That is the only way accepted events are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from typing import Protocol

from capture.capture_loop import CaptureLoop, CaptureTotals, EventSink
from capture.packets import PacketSource

logger = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StartableSink(EventSink, Protocol):
    """A sink that first needs a connection (Kafka) before it can accept events."""

    async def start(self, stop: asyncio.Event) -> bool:
        """Connect; False when ``stop`` came before the connection did."""
        ...


@dataclass
class SessionResult:
    totals: CaptureTotals
    abandoned_events: int
    """Accepted events given up on by a second interrupt (or a fatal Kafka error)."""


class Interrupts:
    """SIGINT/SIGTERM as two events: the first asks to stop, the next to abandon the flush."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.abandon = asyncio.Event()

    def __enter__(self) -> Interrupts:
        loop = asyncio.get_running_loop()
        for signum in _STOP_SIGNALS:
            loop.add_signal_handler(signum, self._received, signum)
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = asyncio.get_running_loop()
        for signum in _STOP_SIGNALS:
            loop.remove_signal_handler(signum)

    def _received(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if not self.stop.is_set():
            logger.warning(
                "%s: stopping; flushing accepted events (send it again to abandon them)", name
            )
            self.stop.set()
        else:
            logger.warning("%s again: abandoning events Kafka has not acknowledged", name)
            self.abandon.set()


async def run_session(
    source: PacketSource, capture: CaptureLoop, sink: StartableSink
) -> SessionResult:
    """Capture from ``source`` until it ends or a signal arrives; ``capture`` feeds ``sink``.

    The caller keeps ``capture`` so that it can report its totals even when this raises.
    """
    with Interrupts() as interrupts:
        try:
            if await sink.start(interrupts.stop):
                await capture.run(source, interrupts.stop)
        except BaseException:
            sink.abandon()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await sink.close()
            raise
        finally:
            source.close()
        abandoned = await _close(sink, interrupts.abandon)
    return SessionResult(capture.totals, abandoned)


async def _close(sink: EventSink, abandon: asyncio.Event) -> int:
    """Flush the sink; if ``abandon`` fires first, give up and return the events lost."""
    loop = asyncio.get_running_loop()
    closing = loop.create_task(sink.close())
    abandoning = loop.create_task(abandon.wait())
    await asyncio.wait({closing, abandoning}, return_when=asyncio.FIRST_COMPLETED)
    if closing.done():
        abandoning.cancel()
        closing.result()
        return 0
    lost = sink.abandon()
    with contextlib.suppress(asyncio.CancelledError):
        await closing
    logger.error("abandoned %d accepted events that Kafka had not acknowledged", lost)
    return lost
