"""A Faust worker as a child process: started, polled over HTTP, read in /proc, stopped."""

from __future__ import annotations

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

from bench.stream.measure import cpu_seconds, status_kib


@dataclass
class Worker:
    """``python -m MODULE worker -l info`` with its own env, web port and log file."""

    module: str
    env: dict[str, str]
    web_port: int
    log_path: Path
    profile: Path | None = None
    """Run the worker under cProfile (CPU time), writing its stats here when it stops."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    started_at: float = field(default=0.0, init=False)

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *self._runner(), self.module, "worker", "-l", "info"],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.monotonic()

    def _runner(self) -> list[str]:
        if self.profile is None:
            return ["-m"]
        return ["-m", "bench.stream.cpu_profile", str(self.profile)]

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def cpu_seconds(self) -> float:
        return cpu_seconds(Path(f"/proc/{self.pid}/stat").read_text())

    def memory_kib(self) -> dict[str, int | None]:
        status = Path(f"/proc/{self.pid}/status").read_text()
        return {"rss_kib": status_kib(status, "VmRSS"), "hwm_kib": status_kib(status, "VmHWM")}

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    async def get(self, session: aiohttp.ClientSession, path: str) -> tuple[int, str]:
        async with session.get(self.url(path)) as response:
            return response.status, await response.text()

    async def try_get(self, session: aiohttp.ClientSession, path: str) -> tuple[int, str] | None:
        """The answer, or None while the web server is not up yet."""
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
            return await self.get(session, path)
        return None

    def check_alive(self) -> None:
        if not self.alive():
            raise RuntimeError(f"worker {self.module} exited:\n{self.log_tail()}")


def session(timeout: float = 30.0) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))


def json_or_none(text: str) -> Any:
    import json

    with contextlib.suppress(ValueError):
        return json.loads(text)
    return None
