"""Pure helpers of the stream benchmark: Prometheus text, /proc files and latency figures."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any


def metric_value(text: str, name: str) -> float | None:
    """The value of an unlabelled sample ``name`` in Prometheus text, None when absent."""
    for line in text.splitlines():
        if line.startswith(name) and line[len(name) : len(name) + 1] == " ":
            return float(line.split()[1])
    return None


def metric_sum(text: str, name: str) -> float:
    """The sum of every labelled sample of ``name`` (``name{...} value`` lines)."""
    prefix = name + "{"
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


def cpu_seconds(stat: str, ticks_per_second: int | None = None) -> float:
    """User plus system CPU time of a process from the text of /proc/PID/stat."""
    ticks = ticks_per_second or os.sysconf("SC_CLK_TCK")
    # The command name is in parentheses and may hold spaces: count fields after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / ticks


def status_kib(status: str, field: str) -> int | None:
    """A ``kB`` field (VmRSS, VmHWM) of /proc/PID/status, in KiB; None when absent."""
    for line in status.splitlines():
        name, _, rest = line.partition(":")
        if name == field:
            return int(rest.split()[0])
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by the nearest-rank method."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    """Median, p95 and max in milliseconds of request latencies given in seconds."""
    return {
        "requests": len(seconds),
        "median_ms": percentile(seconds, 50) * 1000,
        "p95_ms": percentile(seconds, 95) * 1000,
        "max_ms": max(seconds) * 1000,
    }
