"""Every parser of outside input answers hostile values with the project's own error, or a
result, and never with any other exception: bad input gives a clear error, not a crash.

Covered here: overlay schemas, annotations, annotation files and conditions, query
parameters, inventory files and records, graph changes, anomaly events, connection-event
batches and capture files. Packets have their own million-mutation fuzz test
(tests/unit/capture/); HTTP routes answer these errors as 400s (query and overlay view tests).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture.pcap_source import read_capture
from config.inventory_file import load_inventory_file
from models.anomaly_event import AnomalyEvent
from models.connection_wire import decode_batch
from models.errors import MeeseeksError
from models.graph_change import GraphChange
from models.inventory_record import decode_record
from models.overlay_conditions import parse_condition
from models.overlay_file import parse_csv, parse_document
from models.overlay_schema import OverlayDefinition, TargetKind, check_batch, parse_definition
from models.query_input import (
    check_direction,
    check_flag,
    check_hops,
    check_kind,
    check_limit,
    check_name,
    check_port,
)

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "",
            "\x00",
            "../../etc/passwd",
            "' OR 1=1 --",
            "${jndi:ldap://x}",
            "<script>alert(1)</script>",
            "9" * 400,
            "-1",
            "1e309",
            "nan",
            "inf",
            "0x10",
            "\u202e\ufeff",
            "a" * 5000,
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(HOSTILE_TEXT, inner, max_size=5)
    ),
    max_leaves=25,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _bcp() -> OverlayDefinition:
    return parse_definition(yaml.safe_load((ROOT / "config/overlays/bcp.yaml").read_text()))


def _answers_cleanly(call: Callable[[], Any]) -> None:
    message = "ok"
    try:
        call()
    except MeeseeksError as exc:
        message = str(exc)
    assert message, "an error must say what is wrong"


@FUZZ
@given(VALUES)
def test_overlay_definitions(data: Any) -> None:
    _answers_cleanly(lambda: parse_definition(data))


@FUZZ
@given(st.dictionaries(HOSTILE_TEXT, VALUES, max_size=4), st.sampled_from(list(TargetKind)))
def test_annotation_batches(records: dict[str, Any], kind: TargetKind) -> None:
    definition = _bcp()
    _answers_cleanly(lambda: check_batch(definition, kind, records))


@FUZZ
@given(VALUES)
def test_annotation_documents(data: Any) -> None:
    _answers_cleanly(lambda: parse_document(data))


@FUZZ
@given(HOSTILE_TEXT)
def test_annotation_csv(text: str) -> None:
    definition = _bcp()
    _answers_cleanly(lambda: parse_csv(text, definition))
    _answers_cleanly(lambda: parse_csv("target,key,criticality\n" + text, definition))


@FUZZ
@given(VALUES, st.sampled_from(list(TargetKind)))
def test_annotation_conditions(data: Any, kind: TargetKind) -> None:
    definition = _bcp()
    _answers_cleanly(lambda: parse_condition(definition, kind, data))


@FUZZ
@given(VALUES)
def test_query_parameters(value: Any) -> None:
    for check in (check_hops, check_port, check_limit, check_direction, check_kind):
        _answers_cleanly(lambda check=check: check(value))  # type: ignore[misc]
    _answers_cleanly(lambda: check_flag("clustered", value))
    _answers_cleanly(lambda: check_name("service", value))


@FUZZ
@given(st.binary(max_size=600), st.sampled_from([".yaml", ".yml", ".csv"]))
def test_inventory_files(content: bytes, suffix: str) -> None:
    path = Path(f"/dev/shm/meeseeks-hostile-inventory{suffix}")
    try:
        path.write_bytes(content)
        _answers_cleanly(lambda: load_inventory_file(path))
    finally:
        path.unlink(missing_ok=True)


@FUZZ
@given(VALUES)
def test_inventory_files_of_hostile_yaml_values(data: Any) -> None:
    path = Path("/dev/shm/meeseeks-hostile-values.yaml")
    try:
        path.write_text(json.dumps({"owners": data}))  # JSON is YAML
        _answers_cleanly(lambda: load_inventory_file(path))
    finally:
        path.unlink(missing_ok=True)


@FUZZ
@given(
    st.one_of(st.binary(max_size=80), HOSTILE_TEXT),
    st.one_of(st.none(), st.binary(max_size=200)),
)
def test_inventory_records_from_kafka(key: bytes | str, value: bytes | None) -> None:
    _answers_cleanly(lambda: decode_record(key, value))


@FUZZ
@given(VALUES)
def test_graph_changes_and_anomaly_events(data: Any) -> None:
    _answers_cleanly(lambda: GraphChange.from_dict(data))
    _answers_cleanly(lambda: AnomalyEvent.from_dict(data))


@FUZZ
@given(st.binary(max_size=300))
def test_connection_batches(data: bytes) -> None:
    _answers_cleanly(lambda: decode_batch(data))
    _answers_cleanly(lambda: decode_batch(b"MKC" + data))


@FUZZ
@given(st.binary(max_size=400))
def test_capture_files(content: bytes) -> None:
    path = Path("/dev/shm/meeseeks-hostile.pcap")
    try:
        path.write_bytes(content)
        _answers_cleanly(lambda: list(read_capture(path)))
    finally:
        path.unlink(missing_ok=True)
