"""`meeseeks export`: argument checks, clear errors for what an operator can fix, and the
sender's raw socket on loopback (where this machine lets us open one)."""

from __future__ import annotations

import socket

import pytest

from capture.errors import CaptureError
from capture.export_socket import GreSender, MirrorPortReader
from streams.cli import main


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--session", "1024"], "--session must be between 0 and 1023"),
        (["--snaplen", "5"], "--snaplen must be 0"),
        (["--fanout-group", "70000"], "--fanout-group must be between 0 and 65535"),
        (["--erspan-version", "1"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--interface", "eth9", "--to", "192.0.2.2", *extra])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_processor_address_must_be_an_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--interface", "eth9", "--to", "processor.example"]) == 2
    assert "--to 'processor.example' is not an IPv4 or IPv6 address" in capsys.readouterr().err


def test_source_and_processor_must_share_a_version() -> None:
    with pytest.raises(CaptureError, match="not of the same IP version"):
        GreSender("2001:db8::2", "192.0.2.1")


def test_without_privileges_the_error_says_to_run_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> socket.socket:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(socket, "socket", refuse)
    with pytest.raises(CaptureError, match="run as root or give the interpreter CAP_NET_RAW"):
        GreSender("192.0.2.2")
    with pytest.raises(CaptureError, match="run as root"):
        MirrorPortReader("eth0", 1 << 16, None)


def test_missing_interface_is_refused_clearly() -> None:
    with pytest.raises(CaptureError, match=r"check the interface name with `ip link`|CAP_NET_RAW"):
        MirrorPortReader("no-such-if0", 1 << 16, None)


def test_sender_reaches_a_raw_gre_socket_on_loopback() -> None:
    try:
        receiver = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_GRE)
    except PermissionError:
        pytest.skip("raw sockets need root or CAP_NET_RAW here")
    with receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(5)
        sender = GreSender("127.0.0.1", "127.0.0.1")
        try:
            assert sender.send(b"\x10\x00\x88\xbe" + bytes(12)) is None
        finally:
            sender.close()
        datagram = receiver.recv(2048)
    header = (datagram[0] & 0x0F) * 4
    assert datagram[9] == socket.IPPROTO_GRE
    assert datagram[header:] == b"\x10\x00\x88\xbe" + bytes(12)
