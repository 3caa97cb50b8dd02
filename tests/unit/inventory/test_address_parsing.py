"""The inventory's address parser agrees with ``ipaddress`` on every string, valid or not."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.inventory import _parse_address


def reference(text: str) -> tuple[str, int, int] | None:
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return None
    return str(parsed), int(parsed), parsed.version


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "010.0.0.1",  # leading zeros: refused by both
        "1.2.3.04",
        "1.2.3",
        "256.1.1.1",
        " 1.2.3.4",
        "1.2.3.4\x00",
        "\uff12.1.1.1",  # a full-width digit
        "::ffff:1.2.3.4",
        "2001:DB8::1",
        "fe80::1%eth0",
        "",
    ],
)
def test_known_cases(text: str) -> None:
    assert _parse_address(text) == reference(text)


@given(st.text(alphabet="0123456789.:abcdefABCDEF% x", max_size=45))
def test_any_string_of_address_characters(text: str) -> None:
    assert _parse_address(text) == reference(text)


@given(st.ip_addresses())
def test_any_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    assert _parse_address(str(address)) == reference(str(address))
