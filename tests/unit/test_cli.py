"""Every subcommand answers --help, and configuration errors become one line and exit 2."""

from __future__ import annotations

import argparse

import pytest

from streams.cli import build_parser, main


def _subcommands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found.extend(_subcommands(sub, (*prefix, name)))
    return found


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _subcommands(build_parser())
    assert ("kafka", "up") in commands
    assert ("worker",) in commands
    for command in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([*command, "--help"])
        assert exit_info.value.code == 0
        assert "usage: meeseeks " + " ".join(command) in capsys.readouterr().out


def test_bad_setting_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MEESEEKS_WEB_PORT", "not-a-port")
    assert main(["kafka", "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("meeseeks: invalid settings")
    assert "MEESEEKS_WEB_PORT='not-a-port'" in err
    assert "Traceback" not in err
