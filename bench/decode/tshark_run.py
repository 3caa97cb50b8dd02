"""tshark as an operator would use it: one command printing a line per SYN, timed as a whole.

tshark starts a few threads, so besides the wall time (the rate a user sees) the children's
CPU time is taken from ``getrusage(RUSAGE_CHILDREN)`` around the run: comparing per-core rates
needs it. Output goes to a file, as when redirecting to one, and is counted afterwards.
"""

from __future__ import annotations

import logging
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Final

log = logging.getLogger(__name__)

FIELDS: Final = (
    "frame.time_epoch",
    "ip.src",
    "ipv6.src",
    "tcp.srcport",
    "ip.dst",
    "ipv6.dst",
    "tcp.dstport",
    "tcp.flags.ack",
    "vlan.id",
    "erspan.version",
    "erspan.spanid",
)
"""What a ConnectionEvent holds, as tshark names it."""


def tshark_command(tshark: str, path: Path) -> list[str]:
    """The command line whose wall time is measured."""
    fields = [part for field in FIELDS for part in ("-e", field)]
    return [tshark, "-r", str(path), "-n", "-Y", "tcp.flags.syn==1", "-T", "fields", *fields]


def find_tshark() -> str | None:
    return shutil.which("tshark")


def run_tshark(tshark: str, path: Path, scratch: Path) -> dict[str, Any]:
    """Run tshark once over ``path``; wall and CPU seconds and the number of lines printed."""
    command = tshark_command(tshark, path)
    with tempfile.TemporaryFile(dir=scratch) as output:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        completed = subprocess.run(command, stdout=output, stderr=subprocess.PIPE, check=False)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if completed.returncode != 0:
            raise RuntimeError(
                f"tshark failed ({completed.returncode}): {completed.stderr.decode()[-500:]}"
            )
        output.seek(0)
        events = sum(chunk.count(b"\n") for chunk in iter(lambda: output.read(1 << 20), b""))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "command": " ".join(command),
        "events": events,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_kib": after.ru_maxrss,
    }
