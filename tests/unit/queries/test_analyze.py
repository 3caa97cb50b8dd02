"""``meeseeks analyze``: captures through the stream's stages in-process, checked edge by edge."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from capture.erspan_encoder import mirror_frame
from capture.packet_builder import tcp_frame
from capture.pcap_writer import write_pcap
from capture.protocol_numbers import TCP_FLAG_ACK, TCP_FLAG_SYN
from config.inventory_file import load_inventory_file
from config.settings import Settings
from models.inventory import Inventory
from streams.analyze import Analysis, analyze_capture
from streams.cli import main
from streams.topology import anomaly_params_from, edge_params_from

SURICATA = Path(__file__).parents[2] / "data/pcaps/suricata-verify/bug-5437-02"
SURICATA_INVENTORY = """
owners:
  - {address: 41.108.52.138, service: frontend, instance: frontend-1, zone: a}
  - {address: 40.110.35.23, service: web-a, instance: web-a-1, zone: a}
  - {address: 126.203.57.64, service: web-b, instance: web-b-1, zone: b}
"""
T0 = 1_714_550_400.0  # 2024-05-01T08:00:00Z, a window boundary
GENERATED_INVENTORY = """
owners:
  - {address: 10.1.0.1, service: web, instance: web-1, zone: a}
  - {address: 10.1.0.2, service: web, instance: web-2, zone: b}
  - {address: 10.2.0.1, service: api, instance: api-1, zone: a}
  - {address: 10.3.0.0/29, service: cache, instance: cache-pods, zone: b}
"""
CACHE = ["10.3.0.1", "10.3.0.2", "10.3.0.3"]
Edge = tuple[str, str, int, int, int]


def inventory(tmp_path: Path, text: str) -> Inventory:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return Inventory(load_inventory_file(path))


def analyze(capture: Path, known: Inventory, window: float = 60.0) -> Analysis:
    settings = Settings(window_seconds=window)
    return analyze_capture(
        capture, known, edge_params_from(settings), anomaly_params_from(settings)
    )


def edges_of(analysis: Analysis) -> set[Edge]:
    return {
        (e["client"], e["server"], e["port"], e["attempts"], e["answered"])
        for e in analysis.view.topology()["edges"]
    }


def tshark_truth(owners: dict[str, str]) -> set[Edge]:
    """The edges tshark's own decode of the capture implies, attributed by ``owners``."""

    def node(address: str) -> str:
        return owners.get(address, f"unattributed:{address}")

    attempts: Counter[tuple[str, str, int]] = Counter()
    answered: Counter[tuple[str, str, int]] = Counter()
    with (SURICATA / "input.pcap.syn.csv").open() as rows:
        for row in csv.DictReader(rows):
            key = (node(row["ip.src"]), node(row["ip.dst"]), int(row["tcp.dstport"]))
            attempts[key] += 1
    with (SURICATA / "input.pcap.synack.csv").open() as rows:
        for row in csv.DictReader(rows):
            key = (node(row["ip.dst"]), node(row["ip.src"]), int(row["tcp.srcport"]))
            answered[key] += 1
    return {(*key, attempts[key], answered[key]) for key in attempts.keys() | answered.keys()}


def test_a_real_capture_gives_the_edges_tshark_sees(tmp_path: Path) -> None:
    analysis = analyze(SURICATA / "input.pcap", inventory(tmp_path, SURICATA_INVENTORY))

    expected = {
        ("frontend", "web-a", 80, 3, 3),
        ("frontend", "web-b", 80, 3, 3),
        ("frontend", "unattributed:196.25.212.207", 80, 10, 0),
    }
    owners = {"41.108.52.138": "frontend", "40.110.35.23": "web-a", "126.203.57.64": "web-b"}
    assert tshark_truth(owners) == expected
    assert edges_of(analysis) == expected
    assert (analysis.frames, analysis.events) == (60, 22)
    unattributed = analysis.view.unattributed()["unattributed"]
    assert [row["address"] for row in unattributed] == ["196.25.212.207"]
    assert unattributed[0]["top_clients"] == [{"client": "frontend", "attempts": 10}]
    # Every window closed at the end: the edges carry their one closed window.
    web_a = analysis.view.edge("frontend", "web-a", 80)
    assert (web_a["last_window"]["attempts"], web_a["status"]) == (3, "active")
    assert analysis.clusters == ()


def syn_pair(ts: float, client: str, server: str, port: int, sport: int, *, answer: bool = True):
    """A mirrored SYN and, when the port is open, the SYN-ACK 1 ms later."""
    frames = [(ts, mirror_frame(tcp_frame(client, server, sport, port)))]
    if answer:
        reply = tcp_frame(server, client, port, sport, flags=TCP_FLAG_SYN | TCP_FLAG_ACK)
        frames.append((ts + 0.001, mirror_frame(reply)))
    return frames


def generated_capture(path: Path) -> None:
    """Three minutes of a small estate, with a closed port, an unknown server and a Redis cluster.

    - web (two instances) -> api:8080, 5 answered SYNs a minute: 15/15 over three windows;
    - web-1 -> api:9090, nobody listens: 4 SYNs, no SYN-ACK;
    - api -> 10.9.9.9:5432 (unknown to the inventory): 6/6;
    - api -> each cache member on 6379, 2/2 a member; the members gossip on 16379.
    """
    frames = []
    sport = iter(range(40000, 60000))
    for minute in range(3):
        base = T0 + minute * 60 + 1
        for i in range(5):
            client = "10.1.0.1" if i % 2 else "10.1.0.2"
            frames += syn_pair(base + i, client, "10.2.0.1", 8080, next(sport))
        frames += syn_pair(base + 10, "10.2.0.1", "10.9.9.9", 5432, next(sport))
        frames += syn_pair(base + 11, "10.2.0.1", "10.9.9.9", 5432, next(sport))
    for n in range(4):
        frames += syn_pair(T0 + 20 + n, "10.1.0.1", "10.2.0.1", 9090, 41000, answer=False)
    for member in CACHE:
        for n in range(2):
            frames += syn_pair(T0 + 30 + n, "10.2.0.1", member, 6379, next(sport))
        for peer in CACHE:
            if peer != member:
                frames += syn_pair(T0 + 40, member, peer, 16379, next(sport))
    ack = tcp_frame("10.1.0.1", "10.2.0.1", 40001, 8080, flags=TCP_FLAG_ACK)
    frames.append((T0 + 2, mirror_frame(ack)))  # not a SYN: counted as skipped
    frames.sort(key=lambda item: item[0])
    write_pcap(path, frames)


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    path = tmp_path / "estate.pcap"
    generated_capture(path)
    return path


def test_a_generated_capture_gives_exactly_its_edges(tmp_path: Path, generated: Path) -> None:
    analysis = analyze(generated, inventory(tmp_path, GENERATED_INVENTORY))

    assert edges_of(analysis) == {
        ("web", "api", 8080, 15, 15),
        ("web", "api", 9090, 4, 0),
        ("api", "unattributed:10.9.9.9", 5432, 6, 6),
        ("api", "cache", 6379, 6, 6),
        ("cache", "cache", 16379, 6, 6),
    }
    closed = analysis.view.edge("web", "api", 9090)
    assert (closed["answer_ratio"], closed["status"]) == (0.0, "active")
    assert analysis.skipped == {"not_syn": 1}
    unattributed = analysis.view.unattributed()["unattributed"]
    assert [(row["address"], row["attempts"]) for row in unattributed] == [("10.9.9.9", 6)]
    nodes = {row["name"]: row for row in analysis.view.topology()["nodes"]}
    assert (nodes["web"]["zone"], nodes["web"]["instances"]) in {("a", 2), ("b", 2)}


def test_a_generated_capture_closes_every_window(tmp_path: Path, generated: Path) -> None:
    analysis = analyze(generated, inventory(tmp_path, GENERATED_INVENTORY))

    web_api = analysis.view.edge("web", "api", 8080)
    assert web_api["last_window"] == {
        "start": T0 + 120,
        "attempts": 5,
        "answered": 5,
        "client_instances": 2,
    }
    assert web_api["rate"] == pytest.approx(5 / 60)


def test_the_cache_members_form_a_redis_cluster(tmp_path: Path, generated: Path) -> None:
    analysis = analyze(generated, inventory(tmp_path, GENERATED_INVENTORY))

    assert [(c.engine, sorted(c.members)) for c in analysis.clusters] == [("redis", CACHE)]
    node = analysis.clusters[0].node
    rows = analysis.view.clusters()["clusters"]
    assert [(row["cluster"], row["clients"], row["attempts"]) for row in rows] == [
        (node, ["api"], 6)
    ]
    clustered = analysis.view.topology(clustered=True)
    keys = {(e["client"], e["server"], e["port"]) for e in clustered["edges"]}
    assert ("api", node, 6379) in keys
    assert clustered["internal_edges"] == 1  # the cluster bus


def test_analyze_command_prints_json_and_tables(
    tmp_path: Path, generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(GENERATED_INVENTORY)

    assert main(["analyze", str(generated), "--inventory", str(path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["capture"]["events"] == 2 * 15 + 4 + 2 * 6 + 2 * 6 + 2 * 6
    assert document["topology"]["total_edges"] == 5
    assert document["unattributed"]["unattributed"][0]["address"] == "10.9.9.9"

    assert main(["analyze", str(generated), "--inventory", str(path), "--window", "30"]) == 0
    out = capsys.readouterr().out
    assert all(text in out for text in ("10.9.9.9", "redis", "9090"))


def test_analyze_refuses_what_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(GENERATED_INVENTORY)
    not_a_capture = tmp_path / "notes.txt"
    not_a_capture.write_text("hello")

    assert main(["analyze", str(not_a_capture), "--inventory", str(path)]) == 2
    assert "is not a pcap or pcapng file" in capsys.readouterr().err
    assert main(["analyze", str(not_a_capture), "--inventory", str(path), "--window", "0"]) == 2
    assert "--window" in capsys.readouterr().err
