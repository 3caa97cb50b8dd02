"""How graph changes fold into stored rows: the upsert rules every backend shares.

Pure: a backend reads the stored records a batch touches, folds the batch over them here and
writes back what came out, in one transaction. Folding a batch and folding its changes one by
one give the same records, and so does folding them again or in another order (the newest
``at`` wins, ties going to the later change; ``first_at`` is a minimum). The SQLite backend
states the edge, cluster and implied-node rules as SQL upserts instead (sinks/sqlite_schema.py),
for speed; the contract suite holds both to the same results.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from models.errors import GraphChangeError
from models.graph_change import ChangeType, EntityKind, GraphChange, node_payload
from models.graph_clustered import cluster_record
from models.graph_state import edge_row_problem
from models.query_input import node_kind
from models.topology import KEY_SEPARATOR, EdgeKey
from sinks.errors import StoreInputError

Ref = tuple[EntityKind, str]
"""A stored row's identity: (kind, key)."""


@dataclass(frozen=True, slots=True)
class Entity:
    """One stored node, edge or cluster with the store's bookkeeping."""

    kind: EntityKind
    key: str
    payload: dict[str, Any]
    change: str | None
    """The winning change's type; None for a node only implied by an edge or cluster."""
    at: float | None
    """The winning change's event time; None for an implied node."""
    first_at: float
    """The earliest event time that touched this row."""
    stale: bool
    stamps: dict[str, float] = field(default_factory=dict)
    """Nodes only: each payload field's event time, so each field keeps its newest value."""

    @property
    def ref(self) -> Ref:
        return (self.kind, self.key)


def change_problem(change: GraphChange, *, check_json: bool = True) -> str | None:
    """Why the store would refuse ``change``, or None: lets a sink skip and count it first.

    ``check_json=False`` leaves the JSON test to the backend that encodes the payload anyway.
    """
    key, at = change.key, change.at
    payload: object = change.payload  # a GraphChange built by hand may hold anything
    if not isinstance(key, str) or not key:
        return "the key is empty"
    if not isinstance(at, int | float) or not math.isfinite(at):
        return f"'at' {at!r:.40} is not a finite number"
    if not isinstance(payload, dict):
        return "the payload is not an object"
    problem = _payload_problem(change.kind, key, payload)
    if problem is not None or not check_json:
        return problem
    try:
        encode_json(payload)
    except ValueError as exc:
        return f"the payload is not JSON: {exc}"
    return None


def _edge_key_problem(key: str) -> str | None:
    parts = key.rsplit(KEY_SEPARATOR, 2)
    if len(parts) != 3 or not parts[2].isdecimal():
        return "the key is not client|server|port"
    client, server, port = parts
    if not client or not server or int(port) > 65535:
        return "the key does not name a client, a server and a TCP port"
    return None


def _payload_problem(kind: EntityKind, key: str, payload: dict[str, Any]) -> str | None:
    if kind is EntityKind.EDGE:
        return _edge_key_problem(key) or edge_row_problem(payload)
    if kind is EntityKind.CLUSTER:
        try:
            cluster_record(payload)
        except GraphChangeError as exc:
            return str(exc)
        return None
    if not isinstance(payload.get("zone"), str | None):
        return "the zone is not a string"
    return None


def check_changes(changes: Iterable[GraphChange], *, check_json: bool = True) -> None:
    """Raise ``StoreInputError`` naming the first change the store would refuse."""
    for index, change in enumerate(changes):
        if not isinstance(change, GraphChange):
            raise StoreInputError(
                f"change #{index} is a {type(change).__name__}, not a GraphChange"
            )
        problem = change_problem(change, check_json=check_json)
        if problem is not None:
            raise refused(index, change, problem)


def refused(index: int, change: GraphChange, problem: str) -> StoreInputError:
    return StoreInputError(
        f"change #{index} ({change.kind}, {change.key!r:.200}) refused: {problem}; "
        "nothing of this batch was written"
    )


def is_stale(change: GraphChange) -> bool:
    """A row is stale when the change that wrote it says so, by its type or its status."""
    return change.change is ChangeType.STALE or change.payload.get("status") == "stale"


def touched_refs(changes: Iterable[GraphChange]) -> set[Ref]:
    """Every stored row a batch may write: its targets and the nodes they imply."""
    refs: set[Ref] = set()
    for change in changes:
        refs.add((change.kind, change.key))
        refs.update((EntityKind.NODE, name) for name in implied_nodes(change))
    return refs


def implied_nodes(change: GraphChange) -> tuple[str, ...]:
    """The nodes an edge (its ends) or a cluster (its own node) stands on."""
    if change.kind is EntityKind.EDGE:
        edge = EdgeKey.decode(change.key)
        return (edge.client,) if edge.client == edge.server else (edge.client, edge.server)
    if change.kind is EntityKind.CLUSTER:
        return (change.key,)
    return ()


def fold(current: Mapping[Ref, Entity], changes: Sequence[GraphChange]) -> dict[Ref, Entity]:
    """The rows to write after ``changes``, given the stored rows they touch (checked changes)."""
    state: MutableMapping[Ref, Entity] = dict(current)
    written: dict[Ref, Entity] = {}
    for change in changes:
        for name in implied_nodes(change):
            _put(state, written, _implied(state.get((EntityKind.NODE, name)), name, change.at))
        _put(state, written, _applied(state.get((change.kind, change.key)), change))
    return written


def _put(
    state: MutableMapping[Ref, Entity], written: dict[Ref, Entity], new: Entity | None
) -> None:
    if new is not None and state.get(new.ref) != new:
        state[new.ref] = written[new.ref] = new


def _implied(node: Entity | None, name: str, at: float) -> Entity | None:
    if node is None:
        return Entity(EntityKind.NODE, name, {}, None, None, at, False)
    if at < node.first_at:
        return replace(node, first_at=at)
    return None


def _applied(old: Entity | None, change: GraphChange) -> Entity | None:
    """The row after one change, or None when it changes nothing."""
    if change.kind is EntityKind.NODE:
        return _merged(old, change)
    first_at = change.at if old is None else min(old.first_at, change.at)
    if old is not None and old.at is not None and change.at < old.at:
        return replace(old, first_at=first_at) if first_at < old.first_at else None
    payload = dict(change.payload)
    return Entity(
        change.kind, change.key, payload, change.change.value, change.at, first_at, is_stale(change)
    )


def _merged(old: Entity | None, change: GraphChange) -> Entity | None:
    """A node's fields each keep their newest value, whatever order the changes come in."""
    at = change.at
    if old is None:
        stamps = dict.fromkeys(change.payload, at)
        stale = is_stale(change)
        return Entity(
            EntityKind.NODE,
            change.key,
            dict(change.payload),
            change.change.value,
            at,
            at,
            stale,
            stamps,
        )
    payload, stamps = dict(old.payload), dict(old.stamps)
    for name, value in change.payload.items():
        if at >= stamps.get(name, -math.inf):
            payload[name], stamps[name] = value, at
    newest = old.at is None or at >= old.at
    new = replace(
        old,
        payload=payload,
        stamps=stamps,
        first_at=min(old.first_at, at),
        change=change.change.value if newest else old.change,
        at=at if newest else old.at,
        stale=is_stale(change) if newest else old.stale,
    )
    return new


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def encode_json(value: Any) -> str:
    """Compact JSON for a stored column or document; ValueError for what JSON cannot hold."""
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from exc


def entity_row(entity: Entity) -> dict[str, Any]:
    """The read shape of a stored row (see sinks/store.py)."""
    common = {
        "change": entity.change,
        "at": entity.at,
        "first_at": entity.first_at,
        "stale": entity.stale,
    }
    if entity.kind is EntityKind.NODE:
        return {
            **node_payload(entity.key),
            **entity.payload,
            "name": entity.key,
            "kind": node_kind(entity.key).value,
            **common,
        }
    if entity.kind is EntityKind.EDGE:
        edge = EdgeKey.decode(entity.key)
        return {
            **entity.payload,
            "key": entity.key,
            "client": edge.client,
            "server": edge.server,
            "port": edge.port,
            **common,
        }
    return {**entity.payload, "id": entity.key, **common}
