"""Run a Faust worker as a child process, the way an operator would, and talk to its web server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp


@dataclass
class WorkerProcess:
    """A worker subprocess with its own web port, data directory and log file."""

    command: list[str]
    env: dict[str, str]
    web_port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def get_json(self, path: str, timeout: float = 5.0) -> tuple[int, Any]:
        url = f"http://127.0.0.1:{self.web_port}{path}"
        limit = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=limit) as session, session.get(url) as resp:
            return resp.status, await resp.json(content_type=None)

    async def get_text(self, path: str, timeout: float = 5.0) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.web_port}{path}"
        limit = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=limit) as session, session.get(url) as resp:
            return resp.status, await resp.text()

    async def wait_until(
        self, path: str, predicate: Any, timeout: float = 90.0, *, text: bool = False
    ) -> Any:
        """Poll ``path`` until ``predicate(body)`` holds; fail with the worker's log otherwise."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                status, body = await (self.get_text(path) if text else self.get_json(path))
                last = (status, body)
                if status == 200 and predicate(body):
                    return body
            await asyncio.sleep(0.5)
        raise AssertionError(f"{path} never satisfied the check; last {last}\n{self.log_tail()}")


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]


def worker_signal(name: str) -> signal.Signals:
    return signal.Signals[name]
