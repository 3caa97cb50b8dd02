"""Cheap construction of ConnectionEvents and cached address text, for the fast decoder.

A frozen slots dataclass sets each field through ``object.__setattr__``: about 1.3 us per event
on CPython 3.11, as much as decoding the whole frame. ``new_event`` fills an instance of a
plain slots class with the same layout and then gives it the ConnectionEvent class, which
CPython allows for layout-identical classes; the result is an ordinary ConnectionEvent (equal,
hashable, frozen) built in about a quarter of the time. If the model ever stops being a plain
slots dataclass, the check below fails at import and the normal constructor is used.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
from collections.abc import Callable
from typing import Any, Final

from capture.fast_fields import EventT
from models.connection import ConnectionEvent, Kind

log = logging.getLogger(__name__)

ADDRESS_CACHE_LIMIT: Final = 65_536
"""Distinct addresses kept as text; the cache is emptied when it grows past this."""


_address_texts: Final[dict[int | bytes | str, str]] = {}


def address_text(key: int | bytes | str) -> str:
    """Text of an address: an IPv4 address as a 32-bit int, or raw IPv4/IPv6 bytes. Cached,
    since the same few thousand hosts recur; ints avoid slicing the frame for IPv4. Text (a
    raw GRE socket's sender) is its own text, cached too so one lookup serves every form.
    """
    text = _address_texts.get(key)
    if text is None:
        if len(_address_texts) >= ADDRESS_CACHE_LIMIT:
            _address_texts.clear()
        if isinstance(key, str):
            text = key
        elif isinstance(key, int):
            text = socket.inet_ntop(socket.AF_INET, key.to_bytes(4, "big"))
        else:
            text = socket.inet_ntop(socket.AF_INET if len(key) == 4 else socket.AF_INET6, key)
        _address_texts[key] = text
    return text


MirrorRef = str | int | bytes
"""The mirror's address: its text, an outer IPv4 source as an int, or an IPv6 source's bytes;
formatted (and cached) only when a frame yields an event."""

SynFactory = Callable[
    [
        float,
        int | bytes,
        int,
        int | bytes,
        int,
        int,
        int | None,
        int | None,
        int | None,
        int | None,
        MirrorRef,
    ],
    EventT,
]
"""What the fast decoder calls with a SYN's raw fields (ts, src, sport, dst, dport, TCP flags,
vlan, erspan_version, erspan_vlan, session, mirror): it builds an event, or packs a record."""
SynEventFactory = SynFactory[ConnectionEvent]


def _layout_twin() -> type[Any] | None:
    """A plain class CPython accepts as layout-compatible with ConnectionEvent, or None."""
    slots = getattr(ConnectionEvent, "__slots__", None)
    names = tuple(field.name for field in dataclasses.fields(ConnectionEvent))
    if slots != names or hasattr(ConnectionEvent, "__post_init__"):
        return None
    twin = type("_ConnectionEventLayout", (), {"__slots__": names})
    probe: Any = object.__new__(twin)
    try:
        probe.__class__ = ConnectionEvent
    except TypeError:
        return None
    return twin


_TWIN: Final = _layout_twin()
_new: Final = object.__new__
_SYN: Final = Kind.SYN
_SYN_ACK: Final = Kind.SYN_ACK
_KIND_BY_FLAGS: Final = tuple(_SYN_ACK if flags & 0x10 else _SYN for flags in range(256))


def _syn_event_via_twin(  # noqa: PLR0917  # the model's field order
    ts: float,
    src: int | bytes,
    sport: int,
    dst: int | bytes,
    dport: int,
    tcp_flags: int,
    vlan: int | None,
    erspan_version: int | None,
    erspan_vlan: int | None,
    session: int | None,
    mirror: MirrorRef,
) -> ConnectionEvent:
    texts = _address_texts
    try:  # a plain dict subscript is the cheapest lookup; a miss is rare, so pay for it there
        src_text, dst_text, mirror_text = texts[src], texts[dst], texts[mirror]
    except KeyError:
        src_text, dst_text, mirror_text = address_text(src), address_text(dst), address_text(mirror)
    event = _new(_TWIN)  # type: ignore[arg-type]  # checked at import
    event.ts = ts
    event.src = src_text
    event.sport = sport
    event.dst = dst_text
    event.dport = dport
    event.kind = _KIND_BY_FLAGS[tcp_flags]
    event.vlan = vlan
    event.erspan_version = erspan_version
    event.erspan_vlan = erspan_vlan
    event.session = session
    event.mirror = mirror_text
    event.__class__ = ConnectionEvent
    return event  # type: ignore[no-any-return]  # it is a ConnectionEvent now


def _syn_event_via_constructor(  # noqa: PLR0917  # the model's field order
    ts: float,
    src: int | bytes,
    sport: int,
    dst: int | bytes,
    dport: int,
    tcp_flags: int,
    vlan: int | None,
    erspan_version: int | None,
    erspan_vlan: int | None,
    session: int | None,
    mirror: MirrorRef,
) -> ConnectionEvent:
    return ConnectionEvent(
        ts,
        address_text(src),
        sport,
        address_text(dst),
        dport,
        _SYN_ACK if tcp_flags & 0x10 else _SYN,
        vlan,
        erspan_version,
        erspan_vlan,
        session,
        address_text(mirror),
    )


syn_event: Final[SynEventFactory] = (
    _syn_event_via_twin if _TWIN is not None else _syn_event_via_constructor
)
"""The event of a SYN (or SYN-ACK, by ``tcp_flags``) from raw address keys and header fields."""

if _TWIN is None:
    log.info("ConnectionEvent is not a plain slots dataclass: using its constructor")
