"""Write an estate to a directory: inventory.yaml, capture.pcap (time-sorted, streamed), truth.json.

The capture is written a minute at a time: the minute's connections become packets, and the
packets before the minute's end (nothing later can precede them) become frames on disk; the
rest, retransmissions and answers spilling over, wait for the next minute.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Final

from bench.estate.frames import Mirrors, Packet, packets
from bench.estate.generator import generate
from bench.estate.inventory_yaml import write_inventory
from bench.estate.model import Estate, EstateParams
from bench.estate.traffic import SLICE, Sampler
from bench.estate.truth import Truth
from capture.pcap_writer import write_pcap

logger = logging.getLogger(__name__)

INVENTORY: Final = "inventory.yaml"
CAPTURE: Final = "capture.pcap"
TRUTH: Final = "truth.json"
_MICRO: Final = Decimal(1_000_000)


def write_estate(out: Path, params: EstateParams) -> Truth:
    """Generate the estate of ``params`` into ``out`` (created if needed); return its truth."""
    estate = generate(params)
    out.mkdir(parents=True, exist_ok=True)
    write_inventory(out / INVENTORY, estate)
    truth = Truth(estate)
    partial = out / f"{CAPTURE}.partial"
    frames = write_pcap(partial, _frames(estate, truth))
    partial.replace(out / CAPTURE)
    truth.write(out / TRUTH)
    logger.info(
        "%s: %d frames, %d edges, %d stores", out, frames, len(truth.attempts), len(estate.stores)
    )
    return truth


def _frames(estate: Estate, truth: Truth) -> Iterator[tuple[Decimal, bytes]]:
    sampler = Sampler(estate, random.Random(f"traffic:{estate.params.seed}"))
    mirrors = Mirrors()
    pending: list[Packet] = []
    order = 0
    for minute, connections in enumerate(sampler.minutes()):
        for connection in connections:
            truth.count(connection)
            pending += packets(connection, order)
            order += 4
        pending.sort()
        cut = round((estate.params.start + (minute + 1) * SLICE) * 1_000_000)
        done = next((n for n, p in enumerate(pending) if p.ts >= cut), len(pending))
        for packet in pending[:done]:
            yield Decimal(packet.ts) / _MICRO, mirrors.frame(packet)
        del pending[:done]
    for packet in sorted(pending):
        yield Decimal(packet.ts) / _MICRO, mirrors.frame(packet)
