"""Selectors: which nodes or edges one annotation applies to, without listing them all.

A selector is either explicit keys, or filters over the graph as the store holds it: node kind,
zone and a name pattern for nodes; client, server, port and the zones at either end for edges
("every service of zone a", "every edge from checkout", "every edge that crosses zones").
Explicit keys need not be in the graph yet (a dependency may be declared before it is seen);
filters only match what is there.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from models.overlay_errors import OverlayQueryError
from models.overlay_schema import TargetKind, check_key
from models.query_input import (
    BadQueryError,
    check_flag,
    check_kind,
    check_name,
    check_port,
    node_kind,
)
from models.topology import EdgeKey

NODE_FILTERS = ("kind", "zone", "name")
EDGE_FILTERS = ("client", "server", "port", "client_zone", "server_zone", "cross_zone")


@dataclass(frozen=True, slots=True)
class Selector:
    """Explicit ``keys`` or ``filters`` (never both) for one target kind."""

    target: TargetKind
    keys: tuple[str, ...] = ()
    filters: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.filters is None:
            return {"target": self.target.value, "keys": list(self.keys)}
        filters = {k: v.value if isinstance(v, Enum) else v for k, v in self.filters.items()}
        return {"target": self.target.value, **filters}


def parse_selector(target: TargetKind, data: Any) -> Selector:
    """A selector from a mapping: ``{"keys": [...]}`` or filters such as ``{"zone": "a"}``."""
    if not isinstance(data, Mapping):
        raise OverlayQueryError(f"a {target.value} selector must be a mapping, not {data!r:.60}")
    if "keys" in data:
        if len(data) != 1:
            raise OverlayQueryError("a selector has either keys or filters, not both")
        keys = data["keys"]
        if not isinstance(keys, list) or not keys:
            raise OverlayQueryError("selector keys must be a non-empty list")
        try:
            checked = tuple(check_key(target, key) for key in keys)
        except ValueError as exc:
            raise OverlayQueryError(f"selector keys: {exc}") from exc
        return Selector(target, keys=checked)
    allowed = NODE_FILTERS if target is TargetKind.NODE else EDGE_FILTERS
    unknown = sorted(set(map(str, data)) - set(allowed))
    if unknown:
        raise OverlayQueryError(
            f"{target.value} selector: unknown filter(s) {', '.join(unknown)}; "
            f"use keys or {', '.join(allowed)}"
        )
    if not data:
        raise OverlayQueryError(
            f"an empty {target.value} selector would select everything; "
            f"give keys or a filter ({', '.join(allowed)})"
        )
    try:
        filters = {name: _check_filter(name, value) for name, value in data.items()}
    except BadQueryError as exc:
        raise OverlayQueryError(f"{target.value} selector: {exc}") from exc
    return Selector(target, filters=filters)


def parse_selector_text(target: TargetKind, text: str) -> Selector:
    """``"zone=a,kind=service"`` (the command line's form) as a selector."""
    data: dict[str, Any] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise OverlayQueryError(f"selector part {part!r} must be name=value, e.g. zone=a")
        data[name.strip()] = value.strip()
    return parse_selector(target, data)


def select_nodes(selector: Selector, zones: Mapping[str, str | None]) -> list[str]:
    """The node names ``selector`` picks; ``zones`` maps every node in the graph to its zone."""
    if selector.filters is None:
        return list(selector.keys)
    filters = selector.filters
    kind, zone, pattern = filters.get("kind"), filters.get("zone"), filters.get("name")
    return sorted(
        name
        for name, node_zone in zones.items()
        if (kind is None or node_kind(name) is kind)
        and (zone is None or node_zone == zone)
        and (pattern is None or fnmatch.fnmatchcase(name, pattern))
    )


def select_edges(
    selector: Selector, edges: Iterable[EdgeKey], zones: Mapping[str, str | None]
) -> list[str]:
    """The encoded keys of the edges ``selector`` picks among ``edges``."""
    if selector.filters is None:
        return list(selector.keys)
    f = selector.filters
    picked = []
    for edge in edges:
        client_zone, server_zone = zones.get(edge.client), zones.get(edge.server)
        if (
            f.get("client", edge.client) == edge.client
            and f.get("server", edge.server) == edge.server
            and f.get("port", edge.port) == edge.port
            and f.get("client_zone", client_zone) == client_zone
            and f.get("server_zone", server_zone) == server_zone
            and (not f.get("cross_zone") or crosses_zones(client_zone, server_zone))
        ):
            picked.append(edge.encode())
    return sorted(picked)


def crosses_zones(client_zone: str | None, server_zone: str | None) -> bool:
    """Both ends are in known zones, and the zones differ."""
    return client_zone is not None and server_zone is not None and client_zone != server_zone


def _check_filter(name: str, value: Any) -> Any:
    if name == "kind":
        return check_kind(value)
    if name == "port":
        return check_port(value)
    if name == "cross_zone":
        return check_flag(name, value)
    if name == "name":
        if not isinstance(value, str) or not value:
            raise BadQueryError("name must be a pattern such as checkout-*")
        return value
    return check_name(name, value)
