"""``meeseeks inventory check`` through the real command line (publish is an integration test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.cli import main

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "inventory.example.yaml"


def test_check_summarises_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "check", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{EXAMPLE}: valid",
        "  services: 4, instances: 6, zones: 2 (eu-west-1a, eu-west-1b)",
        "  addresses: 5, CIDR blocks: 2, VIPs: 2",
        "  entries with time-bounded owners: 1",
    ]


def test_check_reports_a_bad_file_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "inv.csv"
    bad.write_text("address,service,instance\n10.0.0.1,orders|v2,o-1\n", encoding="utf-8")
    assert main(["inventory", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"meeseeks inventory: {bad} line 2, field service: service 'orders|v2'" in err


def test_publish_and_check_are_registered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["inventory", "publish", "--help"])
    assert "--keep-absent" in capsys.readouterr().out
