"""The port catalogue: roles, ambiguity, lookups."""

from __future__ import annotations

from models.datastore_ports import (
    ENGINES,
    PortRole,
    engine_named,
    engines_for_port,
    is_ambiguous,
    is_unknown_engine,
    unknown_engine,
)


def test_engine_names_are_unique_and_colon_free() -> None:
    names = [engine.name for engine in ENGINES]
    assert len(names) == len(set(names))
    assert all(":" not in name and "|" not in name for name in names)


def test_weak_ports_belong_to_their_engine() -> None:
    for engine in ENGINES:
        assert engine.weak_ports <= engine.ports, engine.name


def test_roles() -> None:
    redis = engine_named("redis")
    assert redis is not None
    assert redis.role(6379) is PortRole.CLIENT
    assert redis.role(16379) is PortRole.PEER
    assert redis.role(5432) is None
    zookeeper = engine_named("zookeeper")
    assert zookeeper is not None
    assert zookeeper.role(2181) is PortRole.CLIENT
    assert {zookeeper.role(2888), zookeeper.role(3888)} == {PortRole.PEER}


def test_shared_and_weak_ports_are_ambiguous() -> None:
    assert {engine.name for engine in engines_for_port(9000)} >= {"hdfs", "clickhouse"}
    assert is_ambiguous(9000)
    assert is_ambiguous(3000)  # Aerospike, but also every dashboard
    assert is_ambiguous(12345)  # nobody's
    assert not is_ambiguous(6379)
    assert not is_ambiguous(5432)


def test_unknown_engine_label() -> None:
    assert unknown_engine(7777) == "unknown:7777"
    assert is_unknown_engine("unknown:7777")
    assert not is_unknown_engine("redis")
    assert engine_named("unknown:7777") is None
