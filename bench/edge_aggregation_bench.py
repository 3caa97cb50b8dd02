"""Cost per call of the edge fold: ``python bench/edge_aggregation_bench.py``.

Prints microseconds per call for the hot paths the edge agent runs per delta or tick.
"""

from __future__ import annotations

import json
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.connection import Kind
from models.edge_aggregation import advance, apply_delta
from models.edge_delta import EdgeDelta, Observation, combine
from models.edge_params import EdgeParams
from models.edge_state import EdgeState
from models.topology import EdgeKey

PARAMS = EdgeParams()
EDGE = EdgeKey("orders", "payments", 443)
T0 = 1_700_000_040.0
IDS = tuple(f"orders-{n}" for n in range(10))


def per_call(label: str, func: Callable[[], object], number: int, items: int = 1) -> None:
    """Best of five runs, in microseconds per item."""
    best = min(timeit.repeat(func, number=number, repeat=5)) / number / items
    print(f"{label:<60} {best * 1e6:8.2f} us")


def full_state() -> EdgeState:
    """An edge with a full history and two open windows."""
    state = None
    for n in range(PARAMS.history_windows + 1):
        d = EdgeDelta(EDGE, T0 + 60 * n, 100, 99, T0 + 60 * n, T0 + 60 * n + 59, IDS)
        state, _ = apply_delta(state, d, PARAMS, T0 + 60 * n + 59)
    assert state is not None
    return state


def main() -> None:
    state = full_state()
    now = state.open_windows[-1].start
    same = EdgeDelta(EDGE, now, 3, 3, now + 1, now + 2, IDS[:3])
    per_call(
        "apply_delta, delta into an open window",
        lambda: apply_delta(state, same, PARAMS, now + 2),
        20_000,
    )

    def stream() -> None:
        s = state
        for n in range(600):  # 10 deltas per window: a window closes every 10 calls
            start = now + 60 * (n // 10 + 1)
            d = EdgeDelta(EDGE, start, 1, 1, start + 6 * (n % 10), start + 6 * (n % 10), IDS[:2])
            s, _ = apply_delta(s, d, PARAMS, d.last_ts)

    per_call("apply_delta, a window closing every 10 deltas (per delta)", stream, 20, 600)
    idle = advance(state, now + 69, PARAMS)[0]
    per_call(
        "advance, nothing due (same object back)", lambda: advance(idle, now + 69, PARAMS), 50_000
    )
    per_call("advance, closing a window", lambda: advance(state, now + 70, PARAMS), 20_000)
    data = state.to_dict()
    text = json.dumps(data)
    per_call("EdgeState.to_dict, 60 closed + 1 open window", state.to_dict, 5_000)
    per_call("EdgeState.from_dict, same", lambda: EdgeState.from_dict(data), 5_000)
    per_call("json.dumps + json.loads of that dict", lambda: json.loads(json.dumps(data)), 5_000)
    print(f"{'state JSON size':<60} {len(text):8d} bytes")
    batch = [
        Observation(EdgeKey("orders", f"svc-{n % 50}", 443), T0 + n * 0.01, Kind.SYN, IDS[n % 10])
        for n in range(5_000)
    ]
    per_call("combine, 5000 events of 50 edges (per event)", lambda: combine(batch, 60.0), 20, 5000)


if __name__ == "__main__":
    main()
