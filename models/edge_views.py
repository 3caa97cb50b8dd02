"""Derived views of an edge state: rate, answer ratio, client count, and the change payload.

Computed on demand from the state and the watermark rather than stored, so the table holds
facts only and a view can never disagree with them.
"""

from __future__ import annotations

from typing import Any

from models.edge_params import EdgeParams
from models.edge_state import EdgeState
from models.topology import WindowStats


def last_closed_start(watermark: float, params: EdgeParams) -> float:
    """Start of the newest window slot that is closed at ``watermark``."""
    window, span = params.window_seconds, params.window_seconds + params.grace_seconds
    slot = (watermark - params.grace_seconds) // window - 1
    # Snap to the closing rule itself (start + span <= watermark) against float rounding;
    # slot * window is how window_start() computes starts, so equal slots compare equal.
    if slot * window + span > watermark:
        slot -= 1
    elif (slot + 1) * window + span <= watermark:
        slot += 1
    return float(slot * window)


def current_rate(
    state: EdgeState, params: EdgeParams, watermark: float | None = None
) -> float | None:
    """SYNs per second over the newest closed window slot; 0 when that slot was silent.

    None before any window of the edge has closed. ``watermark`` defaults to the state's own.
    """
    if not state.history:
        return None
    at = state.watermark if watermark is None else max(watermark, state.watermark)
    last = state.history[-1]
    if last.start != last_closed_start(at, params):
        return 0.0
    return last.attempts / params.window_seconds


def answer_ratio(state: EdgeState) -> float | None:
    """Answer ratio of the newest closed window with traffic; None without attempts."""
    return state.history[-1].answer_ratio if state.history else None


def answer_ratios(state: EdgeState) -> list[tuple[float, float | None]]:
    """(window start, answer ratio) of every window in the history, oldest first."""
    return [(stats.start, stats.answer_ratio) for stats in state.history]


def distinct_client_instances(state: EdgeState) -> int:
    """Distinct client instances of the newest closed window with traffic (a lower bound when
    truncated)."""
    return len(state.client_instances)


def window_dict(stats: WindowStats) -> dict[str, Any]:
    """JSON-able form of one closed window."""
    return {
        "start": stats.start,
        "attempts": stats.attempts,
        "answered": stats.answered,
        "client_instances": stats.client_instances,
    }


def edge_payload(state: EdgeState, params: EdgeParams) -> dict[str, Any]:
    """The stream-owned fields of an edge, as every edge change carries them in full."""
    last = state.history[-1] if state.history else None
    return {
        "client": state.edge.client,
        "server": state.edge.server,
        "port": state.edge.port,
        "status": state.status.value,
        "first_seen": state.first_seen,
        "last_seen": state.last_seen,
        "attempts": state.attempts,
        "answered": state.answered,
        "late_events": state.late_events,
        "last_window": None if last is None else window_dict(last),
        "answer_ratio": None if last is None else last.answer_ratio,
        "rate": current_rate(state, params),
        "client_instances": len(state.client_instances),
        "client_instances_truncated": state.client_instances_truncated,
    }
