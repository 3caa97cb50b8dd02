"""The shipped overlays, and a small definition written out in full for the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from models.overlay_schema import OverlayDefinition, parse_definition

ROOT = Path(__file__).resolve().parents[3]
OVERLAYS = ROOT / "config" / "overlays"
SAMPLE = ROOT / "config" / "sample"


def shipped(name: str) -> OverlayDefinition:
    return parse_definition(yaml.safe_load((OVERLAYS / f"{name}.yaml").read_text()))


def small_definition(version: int = 1, **changes: Any) -> dict[str, Any]:
    """A BCP-like overlay: level (enum, required), rto (duration, required), flows; edges kind."""
    data: dict[str, Any] = {
        "name": "small",
        "version": version,
        "nodes": {
            "level": {"type": "enum", "values": ["P0", "P1", "P2"], "required": True},
            "rto": {"type": "duration", "required": True},
            "flows": {"type": "list", "items": "string"},
        },
        "edges": {"kind": {"type": "enum", "values": ["essential", "optional"]}},
    }
    data.update(changes)
    return data


@pytest.fixture
def bcp() -> OverlayDefinition:
    return shipped("bcp")


@pytest.fixture
def small() -> OverlayDefinition:
    return parse_definition(small_definition())
