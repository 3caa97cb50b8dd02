"""The ground truth: every edge with its attempts and answers, every cluster with its members.

Edges are counted from the connections the capture holds, under the names the stream gives
before clusters are folded in: a service, or ``unattributed:<address>``; a data-store member
is its service when the inventory names it. ``attempts`` counts SYN packets (retransmissions
included) and ``answered`` SYN-ACKs, as the stream does. A store with two members or more is
a cluster; a lone server is listed under ``standalone`` so a spurious cluster can be told.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from bench.estate.model import Estate
from bench.estate.traffic import Connection

TRUTH_VERSION: Final = 1
EdgeKey = tuple[str, str, int]


class Truth:
    """Counts connections as the writer emits them; ``document()`` is truth.json."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.attempts: Counter[EdgeKey] = Counter()
        self.answered: Counter[EdgeKey] = Counter()
        self.frames: Counter[str] = Counter()

    def count(self, connection: Connection) -> None:
        key = (connection.client.node, connection.server.node, connection.port)
        self.attempts[key] += connection.tries
        self.frames["syn"] += connection.tries
        if connection.answered:
            self.answered[key] += 1
            self.frames["syn_ack"] += 1
        elif connection.refused:
            self.frames["other"] += 1

    def document(self) -> dict[str, Any]:
        estate = self.estate
        stores = estate.stores
        return {
            "version": TRUTH_VERSION,
            "params": asdict(estate.params),
            "start": estate.params.start,
            "end": estate.params.end,
            "frames": {
                "total": sum(self.frames.values()),
                **{kind: self.frames[kind] for kind in ("syn", "syn_ack", "other")},
            },
            "edges": [
                {
                    "client": client,
                    "server": server,
                    "port": port,
                    "attempts": self.attempts[(client, server, port)],
                    "answered": self.answered[(client, server, port)],
                }
                for client, server, port in sorted(self.attempts)
            ],
            "clusters": [
                {
                    "engine": s.engine,
                    "name": s.name,
                    "members": list(s.members),
                    "member_nodes": list(s.member_nodes),
                }
                for s in stores
                if len(s.members) >= 2
            ],
            "standalone": [
                {"engine": s.engine, "name": s.name, "address": s.members[0]}
                for s in stores
                if len(s.members) == 1
            ],
            "moves": [
                {"address": m.address, "from": m.old, "to": m.new, "at": m.at} for m in estate.moves
            ],
            "down": list(estate.down),
            "vips": [asdict(v) for v in estate.vips],
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.document(), indent=1) + "\n", encoding="utf-8")


def load_truth(path: Path) -> dict[str, Any]:
    """truth.json, refusing a version this code does not know."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if document.get("version") != TRUTH_VERSION:
        raise ValueError(
            f"{path}: truth version {document.get('version')!r} is not {TRUTH_VERSION}"
        )
    return document
