"""Write the benchmark capture: a seeded, streamed pcap of mirrored traffic, cached by size+seed.

Frames are rendered from templates and written in chunks, so generating four million packets
needs no more memory than generating four thousand. A JSON manifest next to the pcap holds
what went in (kinds, VLAN tags, encapsulations): the benchmark checks the decoders against
it. Changing the traffic model means bumping GENERATOR_VERSION, which renames the cache.
"""

from __future__ import annotations

import json
import logging
import os
import random
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from bench.decode.templates import Template, build_template, render, word_sum
from bench.decode.traffic import MIRRORS, SHAPE_WEIGHTS, Erspan, Pair, Shape, address_pool
from capture.packet_builder import packed_addresses

log = logging.getLogger(__name__)

GENERATOR_VERSION: Final = 1
START_US: Final = 1_700_000_000_000_000
"""First packet time, microseconds since the epoch (November 2023)."""
_CHUNK: Final = 8192
_FILE_HEADER: Final = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262_144, 1)
_RECORD_HEADER: Final = struct.Struct("<IIII").pack
_SHAPES: Final = tuple(shape for shape, _ in SHAPE_WEIGHTS)


@dataclass(frozen=True)
class Manifest:
    """What a generated capture contains: the ground truth of the benchmark's checks."""

    packets: int
    seed: int
    syn: int
    syn_ack: int
    not_syn: int
    vlan_tagged: int
    erspan_ii: int
    erspan_iii: int
    erspan_iii_subheader: int
    outer_ipv6: int
    inner_ipv6: int
    bytes: int

    @property
    def events(self) -> int:
        """SYN plus SYN-ACK: what every decoder must report."""
        return self.syn + self.syn_ack


def capture_path(out_dir: Path, packets: int, seed: int) -> Path:
    """Where the capture of this size and seed is cached."""
    return out_dir / f"mirrored-{packets}-seed{seed}-v{GENERATOR_VERSION}.pcap"


def cached_capture(out_dir: Path, packets: int, seed: int) -> tuple[Path, Manifest]:
    """The capture of ``packets`` packets for ``seed``, generated on first use."""
    path = capture_path(out_dir, packets, seed)
    manifest_path = path.with_suffix(".json")
    if path.exists() and manifest_path.exists():
        return path, Manifest(**json.loads(manifest_path.read_text()))
    out_dir.mkdir(parents=True, exist_ok=True)
    log.info("generating %d mirrored packets (seed %d) into %s", packets, seed, path)
    partial = path.with_suffix(".partial")
    manifest = write_capture(partial, packets, seed)
    os.replace(partial, path)
    manifest_path.write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return path, manifest


class _PackedPair:
    """A pair's raw addresses, their checksum word sum, and its four templates by shape."""

    __slots__ = ("address_sum", "client", "mirror", "port", "server", "templates")

    def __init__(self, pair: Pair, templates: tuple[Template, ...]) -> None:
        _, self.client, self.server = packed_addresses(pair.client, pair.server)
        self.address_sum = word_sum(self.client + self.server)
        self.port = pair.port
        self.mirror = pair.mirror
        self.templates = templates


def write_capture(path: Path, packets: int, seed: int) -> Manifest:
    """Generate ``packets`` mirrored packets into a pcap at ``path``; return their manifest."""
    rng = random.Random(seed)
    pairs = address_pool(rng)
    cache: dict[tuple[int, int | None, bool, Shape], Template] = {}
    packed = [_PackedPair(pair, _templates_of(pair, cache)) for pair in pairs]
    usage = [0] * (len(pairs) * len(_SHAPES))
    size = len(_FILE_HEADER)
    with path.open("wb") as stream:
        stream.write(_FILE_HEADER)
        for chunk in _records(rng, packed, packets, usage):
            stream.write(chunk)
            size += len(chunk)
    return _manifest(pairs, usage, packets, seed, size)


def _templates_of(
    pair: Pair, cache: dict[tuple[int, int | None, bool, Shape], Template]
) -> tuple[Template, ...]:
    templates = []
    for shape in _SHAPES:
        key = (pair.mirror, pair.vlan, pair.ipv6, shape)
        if key not in cache:
            cache[key] = build_template(*key)
        templates.append(cache[key])
    return tuple(templates)


def _records(
    rng: random.Random, pairs: list[_PackedPair], packets: int, usage: list[int]
) -> Iterator[bytes]:
    """Chunks of pcap records; ``usage[pair * 4 + shape]`` counts what was written."""
    thresholds = []
    total = 0.0
    for _, weight in SHAPE_WEIGHTS:
        total += weight
        thresholds.append(total)
    syn_below, syn_ack_below, ack_below = thresholds[0], thresholds[1], thresholds[2]
    random_float, random_bits = rng.random, rng.getrandbits
    gre_sequences = [0] * len(MIRRORS)
    count = len(pairs)
    now_us = START_US
    chunk: list[bytes | bytearray] = []
    for _ in range(packets):
        index = int(random_float() * count)
        pair = pairs[index]
        draw = random_float()
        if draw < syn_below:
            shape = 0
        elif draw < syn_ack_below:
            shape = 1
        else:
            shape = 2 if draw < ack_below else 3
        usage[index * 4 + shape] += 1
        ephemeral = 32768 + int(random_float() * 28232)
        gre_sequences[pair.mirror] += 1
        if shape in {0, 2}:  # client to server: SYN, or the client's ACK
            src, dst, sport, dport = pair.client, pair.server, ephemeral, pair.port
        else:  # server to client: SYN-ACK, or response data
            src, dst, sport, dport = pair.server, pair.client, pair.port, ephemeral
        frame = render(
            pair.templates[shape], src, dst, pair.address_sum, sport, dport, random_bits(32),
            gre_sequences[pair.mirror],
        )  # fmt: skip
        now_us += 1 + random_bits(5)
        seconds, micros = divmod(now_us, 1_000_000)
        chunk.append(_RECORD_HEADER(seconds, micros, len(frame), len(frame)))
        chunk.append(frame)
        if len(chunk) >= 2 * _CHUNK:
            yield b"".join(chunk)
            chunk = []
    if chunk:
        yield b"".join(chunk)


def _manifest(pairs: list[Pair], usage: list[int], packets: int, seed: int, size: int) -> Manifest:
    per_shape = [0] * len(_SHAPES)
    per_pair = [0] * len(pairs)
    for slot, used in enumerate(usage):
        per_shape[slot % len(_SHAPES)] += used
        per_pair[slot // len(_SHAPES)] += used

    def packets_where(keep: list[bool]) -> int:
        return sum(used for used, kept in zip(per_pair, keep, strict=True) if kept)

    kinds = [MIRRORS[pair.mirror].erspan for pair in pairs]
    return Manifest(
        packets=packets,
        seed=seed,
        syn=per_shape[0],
        syn_ack=per_shape[1],
        not_syn=per_shape[2] + per_shape[3],
        vlan_tagged=packets_where([pair.vlan is not None for pair in pairs]),
        erspan_ii=packets_where([kind is Erspan.II for kind in kinds]),
        erspan_iii=packets_where([kind is Erspan.III for kind in kinds]),
        erspan_iii_subheader=packets_where([kind is Erspan.III_SUBHEADER for kind in kinds]),
        outer_ipv6=packets_where([":" in MIRRORS[pair.mirror].address for pair in pairs]),
        inner_ipv6=packets_where([pair.ipv6 for pair in pairs]),
        bytes=size,
    )
