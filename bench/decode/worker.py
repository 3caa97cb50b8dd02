"""One measurement in a fresh process: ``python -m bench.decode.worker MODE ...``.

A fresh interpreter per decoder keeps one decoder's caches, heap growth and JIT-less warm-up
from colouring the next one's figures, and gives each peak-memory reading its own process.
The result is one JSON object on stdout; the orchestrator (``bench.decode.runner``) parses it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.decode.dpkt_baseline import DpktBaseline
from bench.decode.measure import Decoding, events_digest, read_frames, repeated, streamed
from capture.decoder import Decoder

DECODERS: dict[str, Callable[[], Decoding]] = {"fast": Decoder, "dpkt": DpktBaseline}


def _decode(args: argparse.Namespace) -> dict[str, Any]:
    make = DECODERS[args.decoder]
    records = read_frames(args.file, args.limit)
    result = repeated(make, records, args.repeats)
    if args.digest_packets:
        result["digest"] = events_digest(make, records[: args.digest_packets])
    return result


def _publish(args: argparse.Namespace) -> dict[str, Any]:
    from bench.decode.publish_pipeline import publish_capture  # aiokafka only here

    return publish_capture(args.file, args.bootstrap, args.topic)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.decode.worker")
    modes = parser.add_subparsers(dest="mode", required=True)
    decode = modes.add_parser("decode", help="decode frames read into memory, several passes")
    decode.add_argument("--decoder", choices=sorted(DECODERS), required=True)
    decode.add_argument("--file", type=Path, required=True)
    decode.add_argument("--limit", type=int, help="only the first N packets")
    decode.add_argument("--repeats", type=int, default=3)
    decode.add_argument("--digest-packets", type=int, default=0)
    decode.set_defaults(run=_decode)
    stream = modes.add_parser("stream", help="read and decode record by record; peak memory")
    stream.add_argument("--file", type=Path, required=True)
    stream.set_defaults(run=lambda args: streamed(Decoder, args.file))
    publish = modes.add_parser("publish", help="`meeseeks capture --file` into a broker")
    publish.add_argument("--file", type=Path, required=True)
    publish.add_argument("--bootstrap", required=True)
    publish.add_argument("--topic", required=True)
    publish.set_defaults(run=_publish)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = args.run(args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
