"""The app's consumer delivers the producer's buffer before it commits offsets."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP

from config.settings import load_settings
from streams.app import create_app
from streams.flushing_consumer import FlushingConsumer, FlushingTransport


def test_create_app_uses_the_flushing_consumer(tmp_path: Path) -> None:
    app = create_app(load_settings(data_dir=tmp_path), topology=False)
    assert isinstance(app.transport, FlushingTransport)
    assert isinstance(app.consumer, FlushingConsumer)


class _Producer:
    def __init__(self, log: list[str], fail: bool = False) -> None:
        self.log, self.fail = log, fail

    async def flush(self) -> None:
        self.log.append("flush")
        if self.fail:
            raise ConnectionError("broker gone")


class _App:
    def __init__(self, producer: _Producer) -> None:
        self.producer = producer


async def _parent_commit(self: Any, tps: Iterable[TP], start_new_transaction: bool) -> bool:
    self.app.producer.log.append("commit")
    return True


async def test_flush_comes_before_the_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aiokafka_driver.Consumer, "_commit_tps", _parent_commit)
    log: list[str] = []
    consumer = object.__new__(FlushingConsumer)
    consumer.app = _App(_Producer(log))  # type: ignore[assignment]
    assert await consumer._commit_tps([TP("t", 0)], start_new_transaction=False) is True
    assert log == ["flush", "commit"]


async def test_a_failed_flush_commits_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aiokafka_driver.Consumer, "_commit_tps", _parent_commit)
    log: list[str] = []
    consumer = object.__new__(FlushingConsumer)
    consumer.app = _App(_Producer(log, fail=True))  # type: ignore[assignment]
    with pytest.raises(ConnectionError):
        await consumer._commit_tps([TP("t", 0)], start_new_transaction=False)
    assert log == ["flush"]
