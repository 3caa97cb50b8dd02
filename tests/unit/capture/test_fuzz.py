"""A million damaged frames through the fast decoder, fewer through the reference: no exception.

The seed corpus is every real capture in tests/data/pcaps plus generated mirrors of each
encapsulation; mutations flip bits, overwrite bytes with boundary values, cut, insert, delete
and splice. The random generator is seeded, so a failure names a reproducible iteration.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from capture.decoder import Decoder
from capture.erspan_encoder import erspan_packet, gre_frame, mirror_frame
from capture.packet_builder import ethernet_frame, tcp_frame, tcp_packet, vxlan_packet
from capture.protocol_numbers import GRE_PROTO_IPV6, LinkType
from capture.reference_decoder import ReferenceDecoder
from capture.skips import SkipReason
from models.connection import ConnectionEvent
from tests.unit.capture.capture_ground_truth import CAPTURES, frames

FAST_FRAMES = 1_000_000
REFERENCE_FRAMES = 100_000
SEED = 20_260_126
BOUNDARY_BYTES = bytes([0x00, 0x01, 0x02, 0x05, 0x06, 0x11, 0x12, 0x2F, 0x3F, 0x40, 0x45])
BOUNDARY_BYTES += bytes([0x50, 0x60, 0x7F, 0x80, 0x81, 0x86, 0x88, 0xBE, 0xDD, 0xFE, 0xFF])

Sample = tuple[bytes, int]


def seed_corpus() -> list[Sample]:
    """Real frames and generated mirrors of every encapsulation, with their link types."""
    corpus = [(frame.data, frame.linktype) for path in CAPTURES for frame in frames(path)]
    syn4 = tcp_frame("10.0.0.1", "10.0.0.2", 1234, 80, vlans=(5,))
    syn6 = tcp_frame("2001:db8::1", "2001:db8::2", 1234, 443, vlans=(100, 200))
    underlay = vxlan_packet(syn6, vni=9, src="172.16.0.1", dst="172.16.0.2")
    for inner in (syn4, syn6, ethernet_frame(underlay)):
        for version in (1, 2, 3):
            for linktype in (LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL2):
                frame = mirror_frame(
                    inner,
                    erspan_version=version,
                    session=17,
                    key=7,
                    checksum=True,
                    subheader=bytes(8) if version == 3 else None,
                    mirror="2001:db8::7" if linktype == LinkType.RAW else "192.0.2.7",
                    linktype=linktype,
                )
                corpus.append((frame, linktype))
    ipv6_syn = tcp_packet("2001:db8::1", "2001:db8::2", 1, 2)
    corpus.append((gre_frame(ipv6_syn, GRE_PROTO_IPV6, sequence=1), LinkType.ETHERNET))
    corpus.append((erspan_packet(syn4, erspan_version=3), -1))  # -1: a bare GRE packet
    return corpus


def mutate(rng: random.Random, sample: bytes, other: bytes) -> bytes:
    """One to three random damages of ``sample`` (``other`` feeds splices)."""
    data = bytearray(sample)
    for _ in range(1 + rng.getrandbits(2) % 3):
        size = len(data)
        if not size:
            return bytes(data) + bytes(rng.getrandbits(3))
        at = rng.randrange(size)
        operation = rng.getrandbits(3)
        if operation <= 1:
            data[at] ^= 1 << rng.getrandbits(3)
        elif operation == 2:
            data[at] = BOUNDARY_BYTES[rng.randrange(len(BOUNDARY_BYTES))]
        elif operation == 3:
            data[at : at + 2] = rng.choice((b"\x00\x00", b"\xff\xff", b"\x00\x14", b"\x05\xdc"))
        elif operation == 4:
            del data[at:]
        elif operation == 5:
            data[at:at] = rng.randbytes(1 + rng.getrandbits(2))
        elif operation == 6:
            del data[at : at + 1 + rng.getrandbits(3)]
        else:
            data[at:] = other[rng.randrange(len(other) + 1) :]
    return bytes(data)


def run(
    decode: Callable[[bytes, int], object], corpus: list[Sample], count: int, seed: int
) -> list[object]:
    """Decode ``count`` mutants; every result is returned so callers can check them."""
    rng = random.Random(seed)
    results = []
    for iteration in range(count):
        frame, linktype = corpus[rng.randrange(len(corpus))]
        other = corpus[rng.randrange(len(corpus))][0]
        mutant = mutate(rng, frame, other)
        try:
            results.append(decode(mutant, linktype))
        except Exception as exc:  # the point of the test: report which input escaped
            raise AssertionError(f"iteration {iteration}: {mutant.hex()} ({linktype})") from exc
    return results


def _fast_decode(decoder: Decoder) -> Callable[[bytes, int], object]:
    def decode(frame: bytes, linktype: int) -> object:
        if linktype < 0:
            return decoder.decode_gre(frame, 0.0, "2001:db8::1")
        return decoder.decode_frame(frame, 0.0, linktype)

    return decode


def test_a_million_damaged_frames_never_break_the_fast_decoder() -> None:
    decoder = Decoder()
    results = run(_fast_decode(decoder), seed_corpus(), FAST_FRAMES, SEED)
    events = sum(isinstance(result, ConnectionEvent) for result in results)
    assert all(result is None or isinstance(result, ConnectionEvent) for result in results)
    assert decoder.packets == FAST_FRAMES
    assert decoder.events == events
    assert set(decoder.skips.counts) == {reason.value for reason in SkipReason}
    assert decoder.skips.total() == FAST_FRAMES - events
    assert events > 1000, "the mutants should still hold some SYNs"


def test_damaged_frames_never_break_the_reference_and_it_agrees() -> None:
    reference, fast = ReferenceDecoder(), Decoder()
    corpus = seed_corpus()

    def both(frame: bytes, linktype: int) -> object:
        if linktype < 0:
            expected = reference.explain_gre(frame, 0.0, "2001:db8::1")
            assert fast.explain_gre(frame, 0.0, "2001:db8::1") == expected, frame.hex()
        else:
            expected = reference.explain_frame(frame, 0.0, linktype)
            assert fast.explain_frame(frame, 0.0, linktype) == expected, (frame.hex(), linktype)
        return expected

    results = run(both, corpus, REFERENCE_FRAMES, SEED + 1)
    assert SkipReason.MALFORMED not in results
