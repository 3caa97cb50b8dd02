"""One tiny estate with every engine, generated once for the module that asks for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.estate.model import EstateParams
from bench.estate.writer import write_estate

TINY = EstateParams(services=12, instances=2, minutes=3, seed=11, clusters=5)
"""Twelve services, three minutes, one cluster of each engine in turn (ZooKeeper comes with
Kafka) plus the unknown engine: small enough for a second, big enough for every feature."""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("estate")
    write_estate(out, TINY)
    return out
