"""The edge stage's fold: deltas and watermarks in, new edge states and graph changes out.

Pure functions of (state, input, params): the Faust agent reads the state from its table, calls
one of them, writes the returned state back and sends the changes. States are frozen; when
nothing changes, ``advance`` returns the very same object, so the caller can skip the table
write with an ``is`` test (``apply_delta`` always returns a new state: counts changed).

Choices:
- Windows are closed by the watermark (end + grace <= watermark), in window order. Windows
  without traffic are not stored: the history holds windows with traffic, gaps are silence.
- A delta for a closed window (late data) goes into totals, first/last seen and
  ``late_events`` and yields an 'updated' change; closed windows themselves never change.
- Each edge change carries the full payload; a call yields one edge change at most, except a
  'stale' judged before a delta that brings the edge back, kept and followed by 'reactivated'.
  A new edge also yields 'appeared' changes for its two nodes (``unseen_node_changes``
  drops those already known). Deltas into open windows yield nothing: the window's close does.
- One window after the traffic stops, an 'updated' change reports the rate falling to zero.
"""

from __future__ import annotations

import math

from models.edge_delta import EdgeDelta
from models.edge_params import EdgeParams
from models.edge_state import EdgeState, EdgeStatus
from models.edge_views import edge_payload
from models.edge_window import OpenWindow
from models.graph_change import ChangeType, EntityKind, GraphChange, node_changes_for

_ACTIVE = EdgeStatus.ACTIVE
_STALE = EdgeStatus.STALE


def due_at(state: EdgeState, params: EdgeParams) -> float:
    """The lowest watermark at which ``advance`` would change the state (inf: never).

    Lets the wiring keep a timer index instead of visiting every edge on every tick.
    """
    due = math.inf
    if state.open_windows:
        due = state.open_windows[0].start + (params.window_seconds + params.grace_seconds)
    if state.status is _ACTIVE:
        due = min(due, state.last_seen + params.stale_after_seconds)
        if state.history:
            quiet = _quiet_at(state, params)
            if state.watermark < quiet < due:
                due = quiet
    return due


def advance(
    state: EdgeState, watermark: float, params: EdgeParams
) -> tuple[EdgeState, list[GraphChange]]:
    """Close the windows the watermark has passed and judge staleness.

    Returns the same state object and no changes when nothing is due.
    """
    if watermark < due_at(state, params):
        return state, []
    state, change = _advance(state, watermark, params)
    return state, [] if change is None else [change]


def apply_delta(
    state: EdgeState | None, delta: EdgeDelta, params: EdgeParams, watermark: float
) -> tuple[EdgeState, list[GraphChange]]:
    """Count one delta into its edge, after advancing the edge to ``watermark``.

    ``watermark`` is the partition's watermark after observing this delta
    (``Watermarks.observe``); the delta itself may lie ahead of it. The state's own watermark
    is a floor, so a restarted worker whose watermark lags never reopens a closed window.
    """
    wm = watermark
    if state is None:
        return _new_edge(delta, params, wm)
    if state.edge is not delta.edge and state.edge != delta.edge:
        raise ValueError(f"delta of {delta.edge.encode()} applied to {state.edge.encode()}")
    changes: list[GraphChange] = []
    if wm >= due_at(state, params):
        state, closing = _advance(state, wm, params)
        if closing is not None:
            changes.append(closing)
    wm = max(wm, state.watermark)
    late = delta.window_start + (params.window_seconds + params.grace_seconds) <= wm
    last_seen = max(state.last_seen, delta.last_ts)
    status = _ACTIVE if last_seen + params.stale_after_seconds > wm else _STALE
    new = EdgeState(
        edge=state.edge,
        status=status,
        first_seen=min(state.first_seen, delta.first_ts),
        last_seen=last_seen,
        watermark=wm,
        attempts=state.attempts + delta.attempts,
        answered=state.answered + delta.answered,
        late_events=state.late_events + (delta.attempts + delta.answered if late else 0),
        open_windows=(
            state.open_windows
            if late
            else _with_delta(state.open_windows, delta, params.max_client_instances)
        ),
        history=state.history,
        client_instances=state.client_instances,
        client_instances_truncated=state.client_instances_truncated,
    )
    if state.status is _STALE and status is _ACTIVE:
        kind = ChangeType.REACTIVATED
    elif late:
        kind = ChangeType.UPDATED
    else:
        return new, changes
    if changes and changes[-1].change is ChangeType.UPDATED:
        changes.pop()  # superseded: the new change carries the full, newer payload
    changes.append(_edge_change(new, kind, params))
    return new, changes


def _new_edge(
    delta: EdgeDelta, params: EdgeParams, wm: float
) -> tuple[EdgeState, list[GraphChange]]:
    late = delta.window_start + (params.window_seconds + params.grace_seconds) <= wm
    fresh = delta.last_ts + params.stale_after_seconds > wm
    state = EdgeState(
        edge=delta.edge,
        status=_ACTIVE if fresh else _STALE,
        first_seen=delta.first_ts,
        last_seen=delta.last_ts,
        watermark=wm,
        attempts=delta.attempts,
        answered=delta.answered,
        late_events=delta.attempts + delta.answered if late else 0,
        open_windows=() if late else (OpenWindow.from_delta(delta, params.max_client_instances),),
        history=(),
        client_instances=(),
        client_instances_truncated=False,
    )
    changes = node_changes_for(delta.edge, wm)
    changes.append(_edge_change(state, ChangeType.APPEARED, params))
    return state, changes


def _advance(
    state: EdgeState, wm: float, params: EdgeParams
) -> tuple[EdgeState, GraphChange | None]:
    span = params.window_seconds + params.grace_seconds
    opens = state.open_windows
    count = 0
    while count < len(opens) and opens[count].start + span <= wm:
        count += 1
    history, ids, truncated = (
        state.history,
        state.client_instances,
        state.client_instances_truncated,
    )
    kind: ChangeType | None = None
    if count:
        closed = tuple(window.close() for window in opens[:count])
        history = (history + closed)[-params.history_windows :]
        newest = opens[count - 1]
        ids, truncated = tuple(sorted(newest.client_instances)), newest.truncated
        opens = opens[count:]
        kind = ChangeType.UPDATED
    status = state.status
    if status is _ACTIVE:
        if state.last_seen + params.stale_after_seconds <= wm:
            status, kind = _STALE, ChangeType.STALE
        elif kind is None and state.history and state.watermark < _quiet_at(state, params) <= wm:
            kind = ChangeType.UPDATED
    if kind is None:
        return state, None
    new = EdgeState(
        edge=state.edge,
        status=status,
        first_seen=state.first_seen,
        last_seen=state.last_seen,
        watermark=max(wm, state.watermark),
        attempts=state.attempts,
        answered=state.answered,
        late_events=state.late_events,
        open_windows=opens,
        history=history,
        client_instances=ids,
        client_instances_truncated=truncated,
    )
    return new, _edge_change(new, kind, params)


def _quiet_at(state: EdgeState, params: EdgeParams) -> float:
    """When the slot after the newest recorded window closes (its rate then reads zero)."""
    return (
        state.history[-1].start
        + params.window_seconds
        + (params.window_seconds + params.grace_seconds)
    )


def _with_delta(
    opens: tuple[OpenWindow, ...], delta: EdgeDelta, limit: int
) -> tuple[OpenWindow, ...]:
    start = delta.window_start
    for index, window in enumerate(opens):
        if window.start == start:
            return (*opens[:index], window.add(delta, limit), *opens[index + 1 :])
        if window.start > start:
            return (*opens[:index], OpenWindow.from_delta(delta, limit), *opens[index:])
    return (*opens, OpenWindow.from_delta(delta, limit))


def _edge_change(state: EdgeState, kind: ChangeType, params: EdgeParams) -> GraphChange:
    payload = edge_payload(state, params)
    return GraphChange(EntityKind.EDGE, kind, state.edge.encode(), state.watermark, payload)
