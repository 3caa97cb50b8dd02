"""Fixtures of the capture tests: each decoder test runs against both implementations."""

from __future__ import annotations

import pytest

from capture.decoder import Decoder
from capture.frame_decoder import FrameDecoder
from capture.reference_decoder import ReferenceDecoder


@pytest.fixture(params=[Decoder, ReferenceDecoder], ids=["fast", "reference"])
def decoder(request: pytest.FixtureRequest) -> FrameDecoder:
    """A fresh fast or reference decoder."""
    make: type[FrameDecoder] = request.param
    return make()
