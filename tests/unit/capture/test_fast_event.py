"""The fast decoder's event construction and address cache."""

from __future__ import annotations

import pytest

from capture import fast_event
from models.connection import ConnectionEvent, Kind


def test_both_event_builders_build_the_same_frozen_event() -> None:
    fields = (1.5, 0x0A000001, 1234, bytes.fromhex("20010db8" + "00" * 11 + "02"), 443, 0x12)
    context = (7, 2, 100, 5, "192.0.2.1")
    built = fast_event._syn_event_via_twin(*fields, *context)
    expected = ConnectionEvent(
        1.5, "10.0.0.1", 1234, "2001:db8::2", 443, Kind.SYN_ACK, 7, 2, 100, 5, "192.0.2.1"
    )
    assert type(built) is ConnectionEvent
    assert built == expected
    assert fast_event._syn_event_via_constructor(*fields, *context) == expected
    with pytest.raises(AttributeError):
        built.session = 6  # type: ignore[misc]


def test_the_address_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_event, "ADDRESS_CACHE_LIMIT", 8)
    fast_event._address_texts.clear()  # earlier tests may have cached these very addresses
    texts = [fast_event.address_text(0x0A000000 + n) for n in range(20)]
    assert texts == [f"10.0.0.{n}" for n in range(20)]
    assert len(fast_event._address_texts) <= 8
    assert fast_event.address_text(bytes([192, 0, 2, 9])) == "192.0.2.9"
