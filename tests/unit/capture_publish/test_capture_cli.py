"""`meeseeks capture` as a user runs it: flags, --stdout output, the summary, clear errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from capture import kafka_producer
from streams.cli import main
from tests.unit.capture_publish.samples import write_handshakes_pcap

PCAPS = Path(__file__).parents[2] / "data" / "pcaps"
BUG_5437 = PCAPS / "suricata-verify" / "bug-5437-02" / "input.pcap"


def run_capture(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, list[str], str]:
    code = main(["capture", "--metrics-port", "0", *arguments])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_help_names_every_source_and_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["capture", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in (
        "--file",
        "--listen",
        "--interface",
        "--realtime",
        "--no-progress",
        "--stdout",
        "--fanout-group",
        "--metrics-port",
        "--topic",
    ):
        assert flag in text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--stdout"], "one of the arguments --file --listen --interface is required"),
        (["--file", "a", "--listen", "b"], "not allowed with argument"),
        (["--listen", "127.0.0.1", "--realtime"], "--realtime only applies to --file"),
        (["--file", "a", "--fanout-group", "1"], "--fanout-group only applies to --interface"),
        (["--interface", "lo", "--fanout-group", "70000"], "between 0 and 65535"),
        (["--file", "a", "--metrics-port", "-1"], "--metrics-port must be"),
    ],
)
def test_bad_flag_combinations_exit_2(
    capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["capture", *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_stdout_prints_every_event_as_json_and_a_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capture = tmp_path / "handshakes.pcap"
    expected = write_handshakes_pcap(capture, 300)

    code, lines, err = run_capture(capsys, "--file", str(capture), "--stdout")

    assert code == 0
    assert [json.loads(line) for line in lines] == [event.to_json() for event in expected]
    assert "packets 900  events 600 (syn 300, syn-ack 300)" in err
    assert "not_syn  300" in err


@pytest.mark.skipif(not BUG_5437.exists(), reason=f"{BUG_5437} not copied in yet")
def test_stdout_on_a_public_capture(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = run_capture(capsys, "--file", str(BUG_5437), "--stdout")
    assert code == 0
    assert lines, err
    keys = {"ts", "src", "sport", "dst", "dport", "kind", "vlan", "mirror", "session"}
    assert all(keys <= json.loads(line).keys() for line in lines)
    assert f"events {len(lines)} " in err


def test_a_file_that_is_not_a_capture_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    code, _, err = run_capture(capsys, "--file", str(text), "--stdout")
    assert code == 2
    assert "is not a pcap or pcapng file" in err
    assert "Traceback" not in err


def test_busy_metrics_port_says_what_to_do(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capture = tmp_path / "one.pcap"
    write_handshakes_pcap(capture, 1)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["capture", "--file", str(capture), "--stdout", "--metrics-port", str(port)])
    assert code == 2
    assert "its own --metrics-port" in capsys.readouterr().err


def test_compression_without_its_library_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # cramjam is a dependency, so stand in for a machine where it is missing.
    monkeypatch.setitem(kafka_producer._AVAILABLE, "zstd", lambda: False)
    capture = tmp_path / "one.pcap"
    write_handshakes_pcap(capture, 1)
    monkeypatch.setenv("MEESEEKS_CAPTURE_COMPRESSION", "zstd")
    code, _, err = run_capture(capsys, "--file", str(capture))
    assert code == 2
    assert "pip install cramjam" in err


def test_auto_compression_prefers_zstd_then_lz4_then_gzip(monkeypatch: pytest.MonkeyPatch) -> None:
    assert kafka_producer.compression_type("auto") == "zstd"
    monkeypatch.setattr(kafka_producer, "has_zstd", lambda: False)
    assert kafka_producer.compression_type("auto") == "lz4"
    monkeypatch.setattr(kafka_producer, "has_lz4", lambda: False)
    assert kafka_producer.compression_type("auto") == "gzip"
    assert kafka_producer.compression_type("none") is None
