"""Edge anomaly detection: pure checks of one edge's closed window against its own history.

``evaluate_window`` runs when a window of an edge closes; ``evaluate_silence`` runs as the
watermark advances over edges that stopped sending (no window closes for a silent edge, so
nothing else would notice). Both only read what they are given, so the same inputs always give
the same records.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.anomaly_baseline import MAD_SCALE, Baseline
from models.anomaly_params import AnomalyParams
from models.anomaly_record import Anomaly, AnomalyKind, Severity
from models.topology import EdgeKey, WindowStats, is_unattributed


def evaluate_window(  # noqa: PLR0917 - the wiring's call site mirrors the stream's table row
    edge_key: EdgeKey,
    history: Sequence[WindowStats],
    closed: WindowStats,
    first_seen: float,
    stream_start: float,
    params: AnomalyParams,
) -> list[Anomaly]:
    """The anomalies a closed window shows, in kind order.

    ``history`` holds the edge's earlier closed windows (with traffic); windows at or after
    ``closed.start`` are ignored, so passing the history with ``closed`` included is fine.
    """
    found = [
        _new_edge(edge_key, closed, first_seen, stream_start, params),
        _failing(edge_key, closed, params),
        _rate_shift(edge_key, history, closed, params),
        _unattributed(edge_key, closed, params),
    ]
    return [anomaly for anomaly in found if anomaly is not None]


def evaluate_silence(
    edge_key: EdgeKey, history: Sequence[WindowStats], watermark: float, params: AnomalyParams
) -> list[Anomaly]:
    """A vanished edge: regular before, silent for whole windows up to the watermark.

    The record's window is the first silent one, so every evaluation during one silence yields
    the same record.
    """
    active = [window for window in history if window.attempts > 0 or window.answered > 0]
    if len(active) < params.vanished_min_active_windows:
        return []
    last = max(window.start for window in active)
    silent_from = last + params.window_seconds
    silent = int((watermark - silent_from) // params.window_seconds)
    if silent < params.vanished_silent_windows:
        return []
    return [
        _anomaly(
            AnomalyKind.VANISHED_EDGE,
            edge_key,
            silent_from,
            Severity.WARNING,
            message=f"{_describe(edge_key)} went silent after {len(active)} active windows",
            values={"active_windows": len(active), "last_active_start": last},
        )
    ]


def _anomaly(
    kind: AnomalyKind,
    edge_key: EdgeKey,
    window_start: float,
    severity: Severity,
    *,
    message: str,
    values: dict[str, float],
    node: str | None = None,
) -> Anomaly:
    return Anomaly(kind, edge_key.encode(), node, window_start, severity, message, values)


def _describe(edge_key: EdgeKey) -> str:
    return f"{edge_key.client} -> {edge_key.server}:{edge_key.port}"


def _new_edge(
    edge_key: EdgeKey,
    closed: WindowStats,
    first_seen: float,
    stream_start: float,
    params: AnomalyParams,
) -> Anomaly | None:
    """Raised while the edge is younger than the hold, if it appeared after the learning."""
    if first_seen < stream_start + params.learning_seconds:
        return None
    if closed.start >= first_seen + params.new_edge_hold_seconds:
        return None
    return _anomaly(
        AnomalyKind.NEW_EDGE,
        edge_key,
        closed.start,
        Severity.WARNING,
        message=f"new dependency {_describe(edge_key)}",
        values={"first_seen": first_seen, "attempts": closed.attempts},
    )


def _failing(edge_key: EdgeKey, closed: WindowStats, params: AnomalyParams) -> Anomaly | None:
    ratio = closed.answer_ratio
    if ratio is None or closed.attempts < params.failing_min_attempts:
        return None
    if ratio > params.failing_max_ratio:
        return None
    critical = ratio <= params.failing_critical_ratio
    return _anomaly(
        AnomalyKind.FAILING_EDGE,
        edge_key,
        closed.start,
        Severity.CRITICAL if critical else Severity.WARNING,
        message=f"{_describe(edge_key)} answered {closed.answered} of {closed.attempts} attempts",
        values={"attempts": closed.attempts, "answered": closed.answered, "answer_ratio": ratio},
    )


def _rate_shift(
    edge_key: EdgeKey,
    history: Sequence[WindowStats],
    closed: WindowStats,
    params: AnomalyParams,
) -> Anomaly | None:
    earlier = sorted((w for w in history if w.start < closed.start), key=lambda w: w.start)
    baseline_windows = earlier[-params.rate_baseline_windows :]
    if len(baseline_windows) < params.rate_min_history:
        return None
    baseline = Baseline.of(window.attempts for window in baseline_windows)
    change = closed.attempts - baseline.median
    score = baseline.score(closed.attempts, params.rate_epsilon)
    if score < params.rate_threshold or abs(change) < params.rate_min_change:
        return None
    critical = score >= params.rate_critical_score
    direction = "rose" if change > 0 else "fell"
    return _anomaly(
        AnomalyKind.RATE_SHIFT,
        edge_key,
        closed.start,
        Severity.CRITICAL if critical else Severity.WARNING,
        message=f"{_describe(edge_key)} attempts {direction} to {closed.attempts} per window "
        f"(median {baseline.median:g}, robust score {score:.1f})",
        values={
            "attempts": closed.attempts,
            "rate_per_second": closed.attempts / params.window_seconds,
            "median": baseline.median,
            "mad": baseline.mad,
            "sigma": MAD_SCALE * baseline.mad,
            "score": score,
            "baseline_windows": baseline.count,
        },
    )


def _unattributed(edge_key: EdgeKey, closed: WindowStats, params: AnomalyParams) -> Anomaly | None:
    if not is_unattributed(edge_key.server) or closed.attempts < params.unattributed_min_attempts:
        return None
    return _anomaly(
        AnomalyKind.UNATTRIBUTED_TRAFFIC,
        edge_key,
        closed.start,
        Severity.WARNING,
        message=f"{closed.attempts} attempts from {_describe(edge_key)}, "
        "an address the inventory does not know",
        values={"attempts": closed.attempts, "client_instances": closed.client_instances},
        node=edge_key.server,
    )
