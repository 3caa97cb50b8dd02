"""Run a module under cProfile timed in CPU seconds: ``python -m bench.stream.cpu_profile OUT
MODULE ARGS...``.

``python -m cProfile`` times with the wall clock, so on a shared machine every function looks
as slow as the other tenants make it. This profiler counts the process's CPU time only, and
writes the stats when the module returns or the process gets SIGTERM (how the benchmark stops
its workers).
"""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
import time
from types import FrameType


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: python -m bench.stream.cpu_profile OUT MODULE [ARGS...]")
    out, module, args = argv[0], argv[1], argv[2:]
    profiler = cProfile.Profile(time.process_time)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    sys.argv = [module, *args]
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        profiler.disable()
        profiler.dump_stats(out)


if __name__ == "__main__":
    main(sys.argv[1:])
