"""Aggregation parameters refuse combinations that would break the windowing rules."""

from __future__ import annotations

import pytest

from models.edge_params import EdgeParams, window_start


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window_seconds": 0}, "positive"),
        ({"grace_seconds": -1}, "non-negative"),
        ({"grace_seconds": float("inf")}, "finite"),
        ({"stale_after_seconds": 65}, "at least"),
        ({"history_windows": 0}, "history_windows"),
        ({"max_client_instances": 0}, "max_client_instances"),
    ],
)
def test_invalid_params_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EdgeParams(**kwargs)  # type: ignore[arg-type]


def test_defaults_and_window_arithmetic() -> None:
    params = EdgeParams()
    assert (params.window_seconds, params.grace_seconds, params.stale_after_seconds) == (
        60,
        10,
        600,
    )
    assert (params.history_windows, params.max_client_instances) == (60, 256)
    assert params.window_start(125.5) == 120.0
    assert params.closes_at(120.0) == 190.0
    assert window_start(-1.0, 60) == -60.0
