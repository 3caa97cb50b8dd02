"""Shared fixtures: tests under tests/integration are marked and get the real broker."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (TESTS / "integration") in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
