"""The sample estate `make run` ships: small, reproducible from its command, and scored well."""

from __future__ import annotations

import json
from pathlib import Path

from bench.estate.accuracy import measure
from bench.estate.model import EstateParams
from bench.estate.writer import CAPTURE, INVENTORY, TRUTH, write_estate
from capture.decoder import Decoder
from capture.pcap_source import PcapSource
from models.connection import ConnectionEvent

SAMPLE = Path(__file__).parents[3] / "config" / "sample"


def _events(capture: Path) -> list[ConnectionEvent]:
    decoder = Decoder()
    return [
        event
        for record in PcapSource(capture)
        if (event := decoder.decode_frame(record.frame, record.ts, record.linktype)) is not None
    ]


def test_the_sample_is_small() -> None:
    assert (SAMPLE / CAPTURE).stat().st_size < 2_000_000
    truth = json.loads((SAMPLE / TRUTH).read_text())
    assert truth["params"]["services"] <= 30
    assert len(truth["clusters"]) >= 3


def test_the_sample_is_what_its_command_generates(tmp_path: Path) -> None:
    """Regenerate after changing the generator: python -m bench.estate generate --out
    config/sample --services 24 --minutes 10 --seed 1 (the parameters are in truth.json)."""
    params = json.loads((SAMPLE / TRUTH).read_text())["params"]
    write_estate(tmp_path, EstateParams(**params))
    for name in (INVENTORY, TRUTH):
        assert (tmp_path / name).read_text() == (SAMPLE / name).read_text(), name
    # Frames are compared decoded, so a change in how capture builds headers does not matter.
    assert _events(tmp_path / CAPTURE) == _events(SAMPLE / CAPTURE)


def test_the_product_meets_the_targets_on_the_sample() -> None:
    assert measure(SAMPLE).passed
