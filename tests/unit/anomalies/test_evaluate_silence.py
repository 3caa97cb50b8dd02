"""Vanished edges: regular, then silent."""

from __future__ import annotations

from models.anomalies import evaluate_silence
from models.anomaly_params import AnomalyParams
from models.anomaly_record import AnomalyKind
from tests.unit.anomalies.conftest import EDGE, NORMAL, T0, WINDOW, series

PARAMS = AnomalyParams()
HISTORY = series(NORMAL)
SILENT_FROM = T0 + len(NORMAL) * WINDOW
"""End of the last active window."""


def test_regular_edge_silent_for_enough_windows_has_vanished() -> None:
    watermark = SILENT_FROM + PARAMS.vanished_silent_windows * WINDOW

    (anomaly,) = evaluate_silence(EDGE, HISTORY, watermark, PARAMS)

    assert anomaly.kind is AnomalyKind.VANISHED_EDGE
    assert anomaly.window_start == SILENT_FROM
    assert anomaly.values["active_windows"] == len(NORMAL)


def test_short_silence_is_not_vanished() -> None:
    watermark = SILENT_FROM + PARAMS.vanished_silent_windows * WINDOW - 1

    assert evaluate_silence(EDGE, HISTORY, watermark, PARAMS) == []


def test_edge_with_too_little_history_cannot_vanish() -> None:
    history = HISTORY[: PARAMS.vanished_min_active_windows - 1]

    assert evaluate_silence(EDGE, history, SILENT_FROM + 1e6, PARAMS) == []


def test_windows_without_traffic_do_not_count_as_active() -> None:
    history = [*HISTORY[:5], *series([0] * 20, first=5)]

    assert evaluate_silence(EDGE, history, SILENT_FROM + 1e6, PARAMS) == []


def test_every_check_during_one_silence_yields_the_same_record() -> None:
    early = SILENT_FROM + PARAMS.vanished_silent_windows * WINDOW
    later = early + 100 * WINDOW

    assert evaluate_silence(EDGE, HISTORY, early, PARAMS) == evaluate_silence(
        EDGE, HISTORY, later, PARAMS
    )
