"""The public side of every backend: checked arguments, then the backend's own primitives.

Backends subclass ``CheckedStore`` and implement the ``_``-methods, which receive arguments
already checked and normalised, so every backend refuses the same inputs with the same
messages and answers the same shapes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from models.graph_change import GraphChange
from models.overlay_schema import TargetKind
from models.query_input import Direction, NodeKind
from sinks.store import AnnotationOp, AnnotationSwap, OverlayVersion, StoreCounts
from sinks.store_args import (
    Swap,
    check_annotations,
    check_condition,
    check_definition,
    check_direction,
    check_field,
    check_hops,
    check_name,
    check_names,
    check_node_kind,
    check_swap,
    check_target_kind,
    check_version,
)
from sinks.store_fold import check_changes
from sinks.store_walk import walk

Rows = list[dict[str, Any]]


class CheckedStore(ABC):
    """A ``GraphStore`` whose backend implements only checked primitives."""

    checks_json_first = True
    """False: the backend encodes every payload itself and refuses what is not JSON then."""

    # -- stream-owned rows -------------------------------------------------------------------
    def apply_changes(self, changes: Sequence[GraphChange]) -> None:
        check_changes(changes, check_json=self.checks_json_first)
        if changes:
            self._apply(changes)

    def apply_change(self, change: GraphChange) -> None:
        self.apply_changes([change])

    def node(self, name: str) -> dict[str, Any] | None:
        return _first(self._nodes(None, None, [check_name("node", name)]))

    def edge(self, key: str) -> dict[str, Any] | None:
        return _first(self._edges(None, None, [check_name("edge key", key)]))

    def cluster(self, cluster_id: str) -> dict[str, Any] | None:
        return _first(self._clusters([check_name("cluster id", cluster_id)]))

    def nodes(
        self,
        kind: str | None = None,
        zone: str | None = None,
        names: Iterable[str] | None = None,
    ) -> Rows:
        checked_zone = None if zone is None else check_name("zone", zone)
        return self._nodes(check_node_kind(kind), checked_zone, check_names("node name", names))

    def edges(
        self,
        client: str | None = None,
        server: str | None = None,
        keys: Iterable[str] | None = None,
    ) -> Rows:
        checked_client = None if client is None else check_name("client", client)
        checked_server = None if server is None else check_name("server", server)
        return self._edges(checked_client, checked_server, check_names("edge key", keys))

    def clusters(self) -> Rows:
        return self._clusters(None)

    def neighbours(
        self,
        name: str,
        direction: Direction | str = Direction.DOWN,
        hops: int = 1,
        via: Collection[str] | None = None,
    ) -> dict[str, int]:
        start, way, depth = check_name("node", name), check_direction(direction), check_hops(hops)
        allowed = None if via is None else set(check_names("edge key", via) or ())
        return walk(start, way, depth, self._step, allowed)

    # -- overlays ----------------------------------------------------------------------------
    def put_overlay(self, name: str, version: int, definition: Mapping[str, Any]) -> None:
        name, version = check_name("overlay name", name), check_version(version)
        check_definition(name, definition)
        self._put_overlay(name, version, dict(definition))

    def overlay(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        wanted = None if version is None else check_version(version)
        return self._overlay(check_name("overlay name", name), wanted)

    def delete_overlay(self, name: str) -> bool:
        return self._delete_overlay(check_name("overlay name", name))

    # -- annotations -------------------------------------------------------------------------
    def put_annotations(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        values: Mapping[str, Mapping[str, Any]],
    ) -> None:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        check_annotations(values)
        self._put_annotations(overlay, kind, {key: dict(fields) for key, fields in values.items()})

    def remove_annotations(
        self, overlay: str, target_kind: TargetKind | str, keys: Iterable[str]
    ) -> int:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        return self._remove_annotations(overlay, kind, check_names("target key", keys) or [])

    def swap_annotations(
        self,
        overlay: str,
        expected: AnnotationSwap,
        new: AnnotationSwap,
    ) -> None:
        overlay = check_name("overlay name", overlay)
        self._swap_annotations(overlay, check_swap(expected), check_swap(new))

    def annotations(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        keys: Iterable[str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        return self._annotations(overlay, kind, check_names("target key", keys))

    def find_annotated(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        field: str,
        op: AnnotationOp | str,
        value: Any,
    ) -> list[str]:
        overlay, kind = check_name("overlay name", overlay), check_target_kind(target_kind)
        checked_op, checked_value = check_condition(op, value)
        return self._find_annotated(overlay, kind, check_field(field), checked_op, checked_value)

    # -- lifetime ----------------------------------------------------------------------------
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- what a backend implements -----------------------------------------------------------
    @abstractmethod
    def _apply(self, changes: Sequence[GraphChange]) -> None:
        """Fold checked, non-empty changes in, in one transaction."""

    @abstractmethod
    def _nodes(self, kind: NodeKind | None, zone: str | None, names: list[str] | None) -> Rows:
        """Node rows by name."""

    @abstractmethod
    def _edges(self, client: str | None, server: str | None, keys: list[str] | None) -> Rows:
        """Edge rows by key."""

    @abstractmethod
    def _clusters(self, ids: list[str] | None) -> Rows:
        """Cluster rows by id."""

    @abstractmethod
    def _step(self, frontier: Collection[str], downstream: bool) -> list[tuple[str, str]]:
        """(next node, edge key) for the edges leaving ``frontier`` (see sinks/store_walk.py)."""

    @abstractmethod
    def counts(self) -> StoreCounts: ...

    @abstractmethod
    def _put_overlay(self, name: str, version: int, definition: dict[str, Any]) -> None:
        """Store it, in one transaction with ``overlay_conflict``'s check."""

    @abstractmethod
    def _overlay(self, name: str, version: int | None) -> dict[str, Any] | None: ...

    @abstractmethod
    def overlays(self) -> list[OverlayVersion]: ...

    @abstractmethod
    def _delete_overlay(self, name: str) -> bool: ...

    @abstractmethod
    def _put_annotations(
        self, overlay: str, kind: TargetKind, values: dict[str, dict[str, Any]]
    ) -> None:
        """Replace these targets' fields in one transaction; ``UnknownOverlayError`` first."""

    @abstractmethod
    def _remove_annotations(self, overlay: str, kind: TargetKind, keys: list[str]) -> int: ...

    @abstractmethod
    def _swap_annotations(self, overlay: str, expected: Swap, new: Swap) -> None:
        """``swap_annotations`` in one transaction; ``UnknownOverlayError`` first."""

    @abstractmethod
    def _annotations(
        self, overlay: str, kind: TargetKind, keys: list[str] | None
    ) -> dict[str, dict[str, Any]]: ...

    @abstractmethod
    def _find_annotated(
        self, overlay: str, kind: TargetKind, field: str, op: AnnotationOp, value: Any
    ) -> list[str]: ...

    @abstractmethod
    def close(self) -> None: ...


def _first(rows: Rows) -> dict[str, Any] | None:
    return rows[0] if rows else None
