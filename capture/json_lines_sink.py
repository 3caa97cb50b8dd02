"""``meeseeks capture --stdout``: events as JSON lines, for eyes, jq and tests.

It has no back-pressure of its own beyond the stream's: a slow reader of the pipe slows the
capture, which is what a person piping into ``head`` or ``jq`` expects; a reader that goes away
(``head`` has its lines) ends the capture quietly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import TextIO

from capture.errors import CaptureError
from models.connection import ConnectionEvent


class OutputClosedError(CaptureError):
    """The reader of ``--stdout`` closed the pipe: not a failure, there is nobody to write to."""


class JsonLinesSink:
    """Writes each accepted event as one ``ConnectionEvent.to_json()`` line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.written_events = 0

    async def start(self, stop: asyncio.Event) -> bool:
        return True

    async def wait_for_room(self, stop: asyncio.Event) -> None:
        return None

    def accept(self, events: Sequence[ConnectionEvent]) -> None:
        if not events:
            return
        try:
            self._stream.write("".join(json.dumps(e.to_json()) + "\n" for e in events))
        except BrokenPipeError as exc:
            raise OutputClosedError("the reader of stdout went away; stopped") from exc
        self.written_events += len(events)

    async def close(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError as exc:
            raise OutputClosedError("the reader of stdout went away; stopped") from exc

    def abandon(self) -> int:
        return 0  # every accepted event is already written
