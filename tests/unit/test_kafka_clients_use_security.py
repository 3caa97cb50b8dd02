"""Every Kafka client the product creates gets the security settings (config/kafka_security.py).

A client built with only ``bootstrap_servers`` would talk PLAINTEXT to a broker that needs
SASL or TLS, so this reads the product's sources and checks each aiokafka constructor call.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("capture", "streams", "sinks", "config")
CLIENTS = {"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient"}


def _client_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in CLIENTS:
                    calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


def test_the_sources_create_kafka_clients() -> None:
    assert len(_client_calls()) >= 5, "the scan found no clients: has the code moved?"


def test_every_kafka_client_gets_the_security_options() -> None:
    bare = [
        where
        for where, call in _client_calls()
        if not any(keyword.arg is None for keyword in call.keywords)  # no **options
    ]
    assert bare == [], f"Kafka clients without **kafka_client_options(...): {bare}"
