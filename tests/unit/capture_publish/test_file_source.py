"""Capture files: chunks, recorded pace with --realtime, stopping, progress, bad files."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from capture.errors import CaptureError
from capture.file_source import FileSource
from capture.progress import FileProgress
from models.errors import MeeseeksError
from tests.unit.capture_publish.samples import write_handshakes_pcap


class RecordedProgress(FileProgress):
    def __init__(self) -> None:
        super().__init__(enabled=True)
        self.calls: list[tuple[str, int]] = []

    def start(self, name: str, total_bytes: int) -> None:
        self.calls.append(("start", total_bytes))

    def update(self, bytes_read: int) -> None:
        self.calls.append(("update", bytes_read))

    def stop(self) -> None:
        self.calls.append(("stop", 0))


async def read_all(source: FileSource, stop: asyncio.Event | None = None) -> list[int]:
    return [len(chunk) async for chunk in source.chunks(stop or asyncio.Event())]


async def test_reads_every_record_in_chunks_with_progress(tmp_path: Path) -> None:
    capture = tmp_path / "c.pcap"
    write_handshakes_pcap(capture, 1000)  # 3000 records, one block of the reader
    progress = RecordedProgress()
    sizes = await read_all(FileSource(capture, realtime=False, progress=progress))
    assert sizes == [2048, 952]
    size = capture.stat().st_size
    assert progress.calls == [
        ("start", size),
        ("update", size - 24),  # after the block: every record, not the 24-byte file header
        ("update", size),
        ("stop", 0),
    ]


async def test_realtime_follows_the_recorded_pace(tmp_path: Path) -> None:
    capture = tmp_path / "paced.pcap"
    write_handshakes_pcap(capture, 4, spacing=0.1)  # records at 0, .1, .2, .3 s
    started = time.monotonic()
    sizes = await read_all(FileSource(capture, realtime=True, progress=FileProgress(False)))
    elapsed = time.monotonic() - started
    assert sum(sizes) == 12
    assert 0.28 <= elapsed < 1.0

    started = time.monotonic()
    await read_all(FileSource(capture, realtime=False, progress=FileProgress(False)))
    assert time.monotonic() - started < 0.1


async def test_stop_ends_a_realtime_wait(tmp_path: Path) -> None:
    capture = tmp_path / "slow.pcap"
    write_handshakes_pcap(capture, 2, spacing=30)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)
    source = FileSource(capture, realtime=True, progress=FileProgress(False))
    sizes = await asyncio.wait_for(read_all(source, stop), 2)
    assert sizes == [3]


def test_not_a_capture_fails_at_once_with_a_meeseeks_error(tmp_path: Path) -> None:
    text = tmp_path / "x.txt"
    text.write_text("not a capture")
    with pytest.raises(CaptureError, match="not a pcap or pcapng") as info:
        FileSource(text, realtime=False, progress=FileProgress(False))
    assert isinstance(info.value, MeeseeksError)
