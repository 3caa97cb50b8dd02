"""The progress bar of ``meeseeks capture --file``: bytes of the file read, on stderr.

Only for a person at a terminal: it stays off when stderr is not a TTY (logs, CI, pipes)
and with ``--no-progress``, so it never mixes into machine-read output.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class FileProgress:
    """Shows how far through a capture file the reading is; a no-op when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def start(self, name: str, total_bytes: int) -> None:
        if not self.enabled:
            return
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._progress.add_task(name, total=total_bytes)
        self._progress.start()

    def update(self, bytes_read: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=bytes_read)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
