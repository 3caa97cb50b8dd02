"""Each window check fires on a crafted history and stays quiet on a normal one."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from models.anomalies import evaluate_window
from models.anomaly_params import AnomalyParams
from models.anomaly_record import AnomalyKind, Severity
from models.topology import EdgeKey, WindowStats, unattributed_node
from tests.unit.anomalies.conftest import EDGE, NORMAL, T0, series, window

PARAMS = AnomalyParams()
DAY = 86_400.0
OLD = T0 - 30 * DAY
"""First seen long ago: the edge is part of the learnt estate."""


def kinds(
    edge: EdgeKey, history: Sequence[WindowStats], closed: WindowStats, first_seen: float = T0
) -> list[AnomalyKind]:
    return [a.kind for a in evaluate_window(edge, history, closed, first_seen, T0, PARAMS)]


def test_normal_window_of_a_normal_edge_is_quiet() -> None:
    history = series(NORMAL)
    closed = window(len(NORMAL), 101)

    assert evaluate_window(EDGE, history, closed, T0, T0, PARAMS) == []


def test_new_edge_after_the_learning_period() -> None:
    first_seen = T0 + DAY + 600
    closed = window(int((first_seen - T0) // 60), 5)

    (anomaly,) = evaluate_window(EDGE, [], closed, first_seen, T0, PARAMS)

    assert anomaly.kind is AnomalyKind.NEW_EDGE
    assert anomaly.severity is Severity.WARNING
    assert anomaly.edge == EDGE.encode()
    assert anomaly.window_start == closed.start
    assert anomaly.values["first_seen"] == first_seen


def test_edge_first_seen_while_learning_is_not_new() -> None:
    first_seen = T0 + DAY - 60
    closed = window(int((first_seen - T0) // 60), 5)

    assert evaluate_window(EDGE, [], closed, first_seen, T0, PARAMS) == []


def test_new_edge_resolves_after_the_hold() -> None:
    first_seen = T0 + 2 * DAY
    young = window(int((first_seen - T0) // 60) + 59, 5)
    grown = window(int((first_seen - T0) // 60) + 60, 5)

    assert kinds(EDGE, [], young, first_seen) == [AnomalyKind.NEW_EDGE]
    assert kinds(EDGE, [], grown, first_seen) == []


@pytest.mark.parametrize(
    ("attempts", "answered", "severity"),
    [(50, 0, Severity.CRITICAL), (50, 10, Severity.WARNING), (20, 4, Severity.WARNING)],
)
def test_failing_edge(attempts: int, answered: int, severity: Severity) -> None:
    closed = window(5, attempts, answered)

    (anomaly,) = evaluate_window(EDGE, [], closed, OLD, T0, PARAMS)

    assert anomaly.kind is AnomalyKind.FAILING_EDGE
    assert anomaly.severity is severity
    assert anomaly.values["answer_ratio"] == pytest.approx(answered / attempts)


@pytest.mark.parametrize(("attempts", "answered"), [(19, 0), (50, 11), (0, 0)])
def test_few_attempts_or_enough_answers_is_not_failing(attempts: int, answered: int) -> None:
    assert kinds(EDGE, [], window(5, attempts, answered), OLD) == []


def test_rate_shift_up_and_down() -> None:
    history = series(NORMAL)
    after = len(NORMAL)

    (surge,) = evaluate_window(EDGE, history, window(after, 400), OLD, T0, PARAMS)
    (drop,) = evaluate_window(EDGE, history, window(after, 30), OLD, T0, PARAMS)

    assert surge.kind is drop.kind is AnomalyKind.RATE_SHIFT
    assert surge.severity is Severity.CRITICAL
    assert surge.values["median"] == 100.5
    assert "rose to 400" in surge.message
    assert "fell to 30" in drop.message


def test_rate_shift_is_robust_to_one_outlier_in_the_baseline() -> None:
    history = series([*NORMAL[:7], 5000, *NORMAL[8:]])
    after = len(NORMAL)

    assert kinds(EDGE, history, window(after, 104), OLD) == []
    assert kinds(EDGE, history, window(after, 400), OLD) == [AnomalyKind.RATE_SHIFT]


def test_rate_shift_needs_enough_history() -> None:
    history = series(NORMAL[: PARAMS.rate_min_history - 1])

    assert kinds(EDGE, history, window(len(history), 400), OLD) == []


def test_rate_shift_ignores_small_absolute_changes_on_a_perfectly_steady_edge() -> None:
    history = series([10] * 20)

    # Score (25 - 10) / 1 is huge, but 15 more attempts is below the floor.
    assert kinds(EDGE, history, window(20, 25), OLD) == []
    assert kinds(EDGE, history, window(20, 40), OLD) == [AnomalyKind.RATE_SHIFT]


def test_rate_shift_ignores_history_at_or_after_the_closed_window() -> None:
    history = [*series(NORMAL), window(len(NORMAL), 400)]

    assert kinds(EDGE, history, window(len(NORMAL), 400), OLD) == [AnomalyKind.RATE_SHIFT]


def test_unattributed_traffic() -> None:
    edge = EdgeKey("checkout", unattributed_node("10.0.0.9"), 5432)

    (anomaly,) = evaluate_window(edge, [], window(3, 12), OLD, T0, PARAMS)

    assert anomaly.kind is AnomalyKind.UNATTRIBUTED_TRAFFIC
    assert anomaly.node == "unattributed:10.0.0.9"
    assert kinds(edge, [], window(3, 9), OLD) == []
    assert kinds(EDGE, [], window(3, 12), OLD) == []


def test_several_kinds_at_once_come_in_kind_order() -> None:
    edge = EdgeKey("checkout", unattributed_node("10.0.0.9"), 5432)
    first_seen = T0 + 3 * DAY

    found = kinds(edge, [], window(int((first_seen - T0) // 60), 40, 0), first_seen)

    assert found == [
        AnomalyKind.NEW_EDGE,
        AnomalyKind.FAILING_EDGE,
        AnomalyKind.UNATTRIBUTED_TRAFFIC,
    ]
