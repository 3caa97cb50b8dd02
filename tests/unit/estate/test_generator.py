"""The generator: same seed, same bytes; every feature the issue lists is in the estate."""

from __future__ import annotations

import json
from pathlib import Path

from bench.estate.generator import generate
from bench.estate.model import EstateParams
from bench.estate.writer import CAPTURE, INVENTORY, TRUTH, write_estate
from capture.pcap_source import PcapSource
from config.inventory_file import load_inventory_file
from models.inventory import Inventory
from tests.unit.estate.conftest import TINY

FILES = (INVENTORY, CAPTURE, TRUTH)


def test_the_same_seed_gives_the_same_bytes(tiny: Path, tmp_path: Path) -> None:
    write_estate(tmp_path, TINY)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (tiny / name).read_bytes(), name


def test_another_seed_gives_another_estate(tiny: Path, tmp_path: Path) -> None:
    other = EstateParams(services=TINY.services, instances=2, minutes=TINY.minutes, seed=12)
    write_estate(tmp_path, other)
    for name in FILES:
        assert (tmp_path / name).read_bytes() != (tiny / name).read_bytes(), name


def test_the_capture_is_time_sorted_and_inside_the_run(tiny: Path) -> None:
    times = [record.ts for record in PcapSource(tiny / CAPTURE)]
    assert times == sorted(times)
    assert TINY.start <= times[0]
    # Retransmissions of the last unanswered SYNs may follow the run by three seconds.
    assert times[-1] < TINY.end + 4


def test_the_inventory_loads_and_names_what_the_truth_calls_services(tiny: Path) -> None:
    inventory = Inventory(load_inventory_file(tiny / INVENTORY))
    truth = json.loads((tiny / TRUTH).read_text())
    nodes = {e["client"] for e in truth["edges"]} | {e["server"] for e in truth["edges"]}
    named = {node for node in nodes if not node.startswith("unattributed:")}
    assert named
    assert [node for node in sorted(named) if inventory.instance_count(node) == 0] == []


def test_every_feature_of_the_issue_is_there(tiny: Path) -> None:
    truth = json.loads((tiny / TRUTH).read_text())
    engines = {cluster["engine"] for cluster in truth["clusters"]}
    assert engines == {
        "redis", "cassandra", "mysql", "kafka", "zookeeper", "elasticsearch", "unknown:7777",
    }  # fmt: skip
    assert [s["engine"] for s in truth["standalone"]] == ["postgresql", "postgresql"]
    edges = {(e["client"], e["server"], e["port"]): e for e in truth["edges"]}
    ports = {port for _, _, port in edges}
    assert {16379, 7000, 9300, 2181, 2888, 3888, 7777} <= ports
    down = truth["down"][0]
    assert any(s == down and e["attempts"] and not e["answered"] for (_, s, _), e in edges.items())
    assert truth["moves"]
    assert truth["vips"]
    scanner = [e for (c, _, _), e in edges.items() if c == "unattributed:10.99.0.66"]
    assert len(scanner) > 30
    assert any(c == "monitoring" for c, _, _ in edges)
    assert truth["frames"]["other"] > 0  # refused scanner probes


def test_addresses_move_and_keep_their_inventory_history() -> None:
    estate = generate(TINY)
    (move,) = estate.moves
    owners = [o for o in estate.owners if move.address in o.addresses]
    assert [(o.service, o.valid_from) for o in owners if o.valid_from] == [(move.new, move.at)]
