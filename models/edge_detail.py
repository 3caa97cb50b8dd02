"""One edge in full, from its table state: the change payload plus windows and instance ids.

The graph changes carry the newest window only; an operator looking at one edge wants its
history (to see when it started failing) and the windows still open, which only the worker
that owns the edge has.
"""

from __future__ import annotations

from typing import Any

from models.edge_params import EdgeParams
from models.edge_state import EdgeState
from models.edge_views import edge_payload, window_dict


def edge_detail(state: EdgeState, params: EdgeParams) -> dict[str, Any]:
    """The JSON-able detail of one edge: payload, closed windows (oldest first), open windows."""
    return {
        **edge_payload(state, params),
        "watermark": state.watermark,
        "client_instance_ids": list(state.client_instances),
        "history": [
            {**window_dict(stats), "answer_ratio": stats.answer_ratio} for stats in state.history
        ],
        "open_windows": [
            {
                "start": window.start,
                "attempts": window.attempts,
                "answered": window.answered,
                "client_instances": len(window.client_instances),
            }
            for window in state.open_windows
        ],
        "window_seconds": params.window_seconds,
    }
