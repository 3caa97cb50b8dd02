"""The anomaly record: JSON round trips, refusals, dedup keys, validated params."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.anomalies import evaluate_window
from models.anomaly_params import AnomalyParams, AnomalyParamsError
from models.anomaly_record import Anomaly, AnomalyKind, AnomalyRecordError, Severity
from models.errors import MeeseeksError
from models.topology import EdgeKey
from tests.unit.anomalies.conftest import EDGE, T0, window

names = st.text(st.characters(blacklist_characters="|", blacklist_categories=["Cs"]), min_size=1)
edges = st.builds(EdgeKey, names, names, st.integers(0, 65535)).map(EdgeKey.encode)
numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53)
anomalies = st.builds(
    Anomaly,
    kind=st.sampled_from(AnomalyKind),
    edge=edges,
    node=st.none() | names,
    window_start=st.floats(allow_nan=False, allow_infinity=False),
    severity=st.sampled_from(Severity),
    message=st.text(),
    values=st.dictionaries(st.text(), numbers, max_size=6),
)


@given(anomalies)
def test_json_round_trip(anomaly: Anomaly) -> None:
    encoded = json.dumps(anomaly.to_dict(), sort_keys=True)

    decoded = Anomaly.from_dict(json.loads(encoded))

    assert decoded == anomaly
    assert decoded.dedup_key == anomaly.dedup_key
    assert json.dumps(decoded.to_dict(), sort_keys=True) == encoded


def test_node_only_anomaly_round_trips() -> None:
    anomaly = Anomaly(
        AnomalyKind.UNATTRIBUTED_TRAFFIC,
        None,
        "unattributed:10.0.0.9",
        T0,
        Severity.WARNING,
        "m",
        {},
    )

    assert Anomaly.from_dict(anomaly.to_dict()) == anomaly
    assert anomaly.dedup_key == "unattributed_traffic:unattributed:10.0.0.9"
    assert anomaly.edge_key is None


def test_records_are_deterministic_and_keyed_by_condition_not_window() -> None:
    params = AnomalyParams()
    first = evaluate_window(EDGE, [], window(1, 50, 0), T0, T0, params)
    replay = evaluate_window(EDGE, [], window(1, 50, 0), T0, T0, params)
    later = evaluate_window(EDGE, [], window(2, 80, 0), T0, T0, params)

    assert [a.to_dict() for a in first] == [a.to_dict() for a in replay]
    assert first[0].dedup_key == later[0].dedup_key == "failing_edge:checkout|payments|8443"
    assert first[0].edge_key == EDGE


def good() -> dict[str, Any]:
    return Anomaly(
        AnomalyKind.FAILING_EDGE, EDGE.encode(), None, T0, Severity.CRITICAL, "m", {"a": 1.0}
    ).to_dict()


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2},
        {"v": None},
        {"kind": "meltdown"},
        {"severity": "panic"},
        {"edge": "no-separators"},
        {"edge": 5},
        {"edge": None, "node": None},
        {"window_start": "yesterday"},
        {"window_start": True},
        {"values": {"a": "1"}},
        {"values": [1]},
        {"message": None},
    ],
)
def test_refuses_what_it_cannot_read(change: dict[str, Any]) -> None:
    with pytest.raises(AnomalyRecordError):
        Anomaly.from_dict({**good(), **change})


def test_refuses_missing_fields() -> None:
    data = good()
    del data["values"]

    with pytest.raises(MeeseeksError, match="not an anomaly record"):
        Anomaly.from_dict(data)


def test_values_are_read_only() -> None:
    anomaly = Anomaly.from_dict(good())

    with pytest.raises(TypeError):
        anomaly.values["a"] = 2.0  # type: ignore[index]


@pytest.mark.parametrize(
    "change",
    [
        {"window_seconds": 0.0},
        {"rate_epsilon": 0.0},
        {"failing_max_ratio": 1.5},
        {"failing_critical_ratio": 0.5},
        {"rate_threshold": 20.0},
        {"vanished_silent_windows": 0},
        {"learning_seconds": float("nan")},
        {"unattributed_min_attempts": -1},
    ],
)
def test_params_refuse_nonsense(change: dict[str, Any]) -> None:
    with pytest.raises(AnomalyParamsError):
        AnomalyParams(**change)
