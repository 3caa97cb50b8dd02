"""The bounds of a graph query: checked names, hop counts, directions and result limits.

Queries arrive from HTTP and the command line, so every parameter is hostile until checked
here. A refused parameter raises ``BadQueryError`` with a message that says what would be accepted;
the web layer turns it into a 400 and the CLI into one line, never a traceback.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from models.errors import MeeseeksError
from models.topology import CLUSTER_PREFIX, KEY_SEPARATOR, UNATTRIBUTED_PREFIX

MAX_HOPS = 10
"""Deepest neighbourhood a query may ask for: beyond it the answer is most of the graph."""
MAX_NAME_LENGTH = 256
"""Longest node, service or zone name a query may carry."""
DEFAULT_LIMIT = 1000
"""Rows returned when the caller does not say."""
MAX_LIMIT = 100_000
"""Most rows one answer may hold, whatever the caller asks."""


class QueryError(MeeseeksError):
    """A query that cannot be answered as asked."""


class BadQueryError(QueryError):
    """A parameter is malformed or out of bounds; the message says what is accepted."""


class NotFoundError(QueryError):
    """The node, edge or cluster asked about is not in the graph."""


class Direction(StrEnum):
    """Which way a neighbourhood grows from its node."""

    DOWN = "down"
    """Dependencies: the servers the node calls, and theirs."""
    UP = "up"
    """Dependants: the clients that call the node, and theirs."""
    BOTH = "both"
    """Both of the above."""


class NodeKind(StrEnum):
    """What a graph node stands for, read from its name."""

    SERVICE = "service"
    """A service of the inventory."""
    CLUSTER = "cluster"
    """A recognised data-store cluster."""
    UNATTRIBUTED = "unattributed"
    """An address the inventory does not know."""


def node_kind(name: str) -> NodeKind:
    """The kind of a node, from the prefixes Meeseeks reserves for its own nodes."""
    if name.startswith(UNATTRIBUTED_PREFIX):
        return NodeKind.UNATTRIBUTED
    if name.startswith(CLUSTER_PREFIX):
        return NodeKind.CLUSTER
    return NodeKind.SERVICE


def check_name(field: str, value: object) -> str:
    """A node, service or zone name as the inventory allows them, or ``BadQueryError``."""
    if not isinstance(value, str) or not value.strip():
        raise BadQueryError(f"{field} must be a non-empty name")
    if len(value) > MAX_NAME_LENGTH:
        raise BadQueryError(
            f"{field} is {len(value)} characters long; names have at most {MAX_NAME_LENGTH}"
        )
    if KEY_SEPARATOR in value:
        raise BadQueryError(f"{field} contains {KEY_SEPARATOR!r}, which no node name contains")
    if any(unicodedata.category(char).startswith("C") for char in value):
        raise BadQueryError(f"{field} contains control or invisible characters; remove them")
    if value != value.strip():
        raise BadQueryError(f"{field} starts or ends with spaces; remove them")
    return value


def optional_name(field: str, value: object) -> str | None:
    """``check_name`` for an optional filter: None and the empty string mean no filter."""
    if value is None or value == "":
        return None
    return check_name(field, value)


def _integer(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise BadQueryError(f"{field} must be a whole number from {low} to {high}, not {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise BadQueryError(
                f"{field} must be a whole number from {low} to {high}, not {value[:40]!r}"
            )
        value = int(text)
    if not isinstance(value, int) or not low <= value <= high:
        raise BadQueryError(
            f"{field} must be a whole number from {low} to {high}, not {value!r:.40}"
        )
    return value


def check_hops(value: object) -> int:
    """A neighbourhood depth, 1 to ``MAX_HOPS``."""
    return _integer("hops", value, 1, MAX_HOPS)


def check_port(value: object) -> int:
    """A TCP port, 0 to 65535."""
    return _integer("port", value, 0, 65535)


def check_limit(value: object) -> int:
    """A row limit, 1 to ``MAX_LIMIT``; None and the empty string give ``DEFAULT_LIMIT``."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    return _integer("limit", value, 1, MAX_LIMIT)


def check_direction(value: object) -> Direction:
    """``down``, ``up`` or ``both``; None gives ``down``."""
    if value is None or value == "":
        return Direction.DOWN
    if isinstance(value, Direction):
        return value
    try:
        return Direction(str(value))
    except ValueError as exc:
        raise BadQueryError(f"direction must be down, up or both, not {str(value)[:40]!r}") from exc


def check_kind(value: object) -> NodeKind | None:
    """``service``, ``cluster`` or ``unattributed``; None and the empty string mean any."""
    if value is None or value == "":
        return None
    if isinstance(value, NodeKind):
        return value
    try:
        return NodeKind(str(value))
    except ValueError as exc:
        raise BadQueryError(
            f"kind must be service, cluster or unattributed, not {str(value)[:40]!r}"
        ) from exc


def check_choice(field: str, value: object, allowed: tuple[str, ...]) -> str | None:
    """One of ``allowed``; None and the empty string mean no filter."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value in allowed:
        return value
    raise BadQueryError(f"{field} must be one of {', '.join(allowed)}, not {str(value)[:40]!r}")


def check_flag(field: str, value: object) -> bool:
    """A yes/no parameter: 1/true/yes or 0/false/no (empty: no)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"", "0", "false", "no", "off"}:
        return False
    raise BadQueryError(f"{field} must be 1 or 0, not {text[:40]!r}")
