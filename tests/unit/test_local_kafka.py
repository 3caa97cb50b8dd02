"""The local broker launcher fails with clear messages instead of stack traces."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from config.errors import BrokerError
from config.local_kafka import LocalKafka, free_port, port_in_use


def _broker(tmp_path: Path, port: int, controller_port: int) -> LocalKafka:
    return LocalKafka(
        home=tmp_path / "home",
        version="3.9.2",
        port=port,
        controller_port=controller_port,
        run_dir=tmp_path / "run",
    )


def test_port_in_use_is_reported_with_the_setting_to_change(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        assert port_in_use(busy)
        with pytest.raises(BrokerError, match=rf"client port {busy} .* MEESEEKS_KAFKA_PORT"):
            _broker(tmp_path, busy, free_port()).start()


def test_second_start_reports_the_running_broker(tmp_path: Path) -> None:
    broker = _broker(tmp_path, free_port(), free_port())
    broker.run_dir.mkdir(parents=True)
    # This test process stands in for a live broker pid.
    broker.state_file.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "port": 1234,
                "controller_port": 1235,
                "version": "3.9.2",
                "log_file": "x",
            }
        )
    )
    with pytest.raises(BrokerError, match=r"already running .*127\.0\.0\.1:1234.*kafka-down"):
        broker.start()


def test_stale_state_file_is_ignored(tmp_path: Path) -> None:
    broker = _broker(tmp_path, free_port(), free_port())
    broker.run_dir.mkdir(parents=True)
    broker.state_file.write_text(
        json.dumps(
            {
                "pid": 2**22 + 12345,
                "port": 1,
                "controller_port": 2,
                "version": "3.9.2",
                "log_file": "x",
            }
        )
    )
    assert broker.running() is None
    assert not broker.state_file.exists()
    assert broker.stop() is False


def test_garbage_state_file_is_a_clear_error(tmp_path: Path) -> None:
    broker = _broker(tmp_path, free_port(), free_port())
    broker.run_dir.mkdir(parents=True)
    broker.state_file.write_text("not json")
    with pytest.raises(BrokerError, match="not a broker state file"):
        broker.running()


def test_missing_java_or_maven_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BrokerError, match=r"`java` was not found on PATH: install a Java 17\+"):
        _broker(tmp_path, free_port(), free_port()).fetch_jars()
    (tmp_path / "empty").mkdir()
    java = tmp_path / "empty" / "java"
    java.write_text("#!/bin/sh\n")
    java.chmod(0o755)
    with pytest.raises(BrokerError, match="`mvn` was not found on PATH: install Apache Maven"):
        _broker(tmp_path, free_port(), free_port()).fetch_jars()
