"""The graph store every backend implements: stream-owned graph rows, overlays and annotations.

Methods are synchronous because python-arango is; async callers (the sink, the HTTP API) run
them with ``asyncio.to_thread``. Every backend must pass the contract suite in tests/unit/store/.

Stream-owned rows are kept by (kind, key) and only ``apply_changes`` writes them. Rules, the same
on every backend:

- Edges and clusters: a change replaces the stored payload when its ``at`` is at least the stored
  one (ties: the later change in the batch wins), else it is ignored. So replaying a batch, or
  an older change arriving after a newer one, leaves the same state.
- Nodes: node changes carry only the facts they know, so each payload field keeps the value
  of the newest change that named it (ties: the later change); ``at`` and ``change`` are the
  newest change's. An edge or cluster change also records its nodes if they are missing,
  with no facts beyond what the name says (``at`` None).
- ``stale`` is true when the winning change is STALE or its payload's ``status`` is "stale";
  the payload of a stale row stays readable. ``first_at`` is the earliest ``at`` ever applied.
- A batch is one transaction: a change the store refuses (``StoreInputError`` naming it) leaves
  the store as it was; ``change_problem`` in sinks/store_fold.py lets a caller skip and count
  such changes first.

Read shapes (plain JSON-able dicts, payload fields first, the store's fields over them):

- node: ``{**payload, "name", "kind" (service|cluster|unattributed), "change", "at",
  "first_at", "stale"}``; ``at`` is None for a node only implied by an edge or cluster.
- edge: ``{**payload, "key", "client", "server", "port", "change", "at", "first_at", "stale"}``.
- cluster: ``{**payload, "id", "change", "at", "first_at", "stale"}``.

Annotations live apart, keyed by (overlay, target kind, target key), and no stream change
touches them, so they survive upserts and staleness, and may even precede their target.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from models.graph_change import GraphChange
from models.overlay_schema import TargetKind
from models.query_input import Direction

AnnotationSwap = Mapping[TargetKind, Mapping[str, Mapping[str, Any] | None]]
"""One side of ``swap_annotations``: per target kind, target key to its fields (None: none)."""


class AnnotationOp(StrEnum):
    """Comparisons ``find_annotated`` understands; a target without the field never matches."""

    EQ = "eq"
    """Equal, type-strict (1 is not "1"; True is not 1)."""
    NE = "ne"
    """Present and not equal."""
    LT = "lt"
    """Less than; value and field both numbers or both strings."""
    LE = "le"
    """Less than or equal; as ``lt``."""
    GT = "gt"
    """Greater than; as ``lt``."""
    GE = "ge"
    """Greater than or equal; as ``lt``."""
    IN = "in"
    """Equal to one of a list of scalar values."""
    CONTAINS = "contains"
    """A list field holding the scalar value, or a string field holding the substring."""


@dataclass(frozen=True, slots=True)
class OverlayVersion:
    """One registered overlay and its latest version."""

    name: str
    version: int


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """How much the store holds."""

    nodes: int
    edges: int
    stale_edges: int
    clusters: int
    overlays: int
    """Overlay names (not versions)."""
    annotations: int
    """Annotated targets over all overlays."""


class GraphStore(Protocol):
    """A durable home for the service graph, its overlays and their annotations."""

    # -- stream-owned rows -------------------------------------------------------------------
    def apply_changes(self, changes: Sequence[GraphChange]) -> None:
        """Upsert a batch in one transaction (rules in the module docstring)."""

    def apply_change(self, change: GraphChange) -> None:
        """Upsert one change in its own transaction (the slow path the benchmark compares)."""

    def node(self, name: str) -> dict[str, Any] | None: ...

    def edge(self, key: str) -> dict[str, Any] | None:
        """One edge by its encoded key ``client|server|port``."""

    def cluster(self, cluster_id: str) -> dict[str, Any] | None:
        """One cluster by id (its node name, ``cluster:...``)."""

    def nodes(
        self,
        kind: str | None = None,
        zone: str | None = None,
        names: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Nodes by name; filters combine (kind: service, cluster or unattributed)."""

    def edges(
        self,
        client: str | None = None,
        server: str | None = None,
        keys: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Edges by key; filters combine."""

    def clusters(self) -> list[dict[str, Any]]:
        """Clusters by id."""

    def neighbours(
        self,
        name: str,
        direction: Direction | str = Direction.DOWN,
        hops: int = 1,
        via: Collection[str] | None = None,
    ) -> dict[str, int]:
        """Nodes within ``hops`` (1..10) of ``name``, to their distance; ``name`` left out.

        down follows edges client to server (dependencies), up against them, both is the union
        (the shorter distance kept). ``via``: walk only the edges with these keys (for example
        the edges an overlay marks essential). Unknown ``name``: an empty dict.
        """

    def counts(self) -> StoreCounts: ...

    # -- overlays ----------------------------------------------------------------------------
    def put_overlay(self, name: str, version: int, definition: Mapping[str, Any]) -> None:
        """Store a definition (opaque JSON object) under (name, version >= 1).

        The same definition again is a no-op; another definition under an existing version,
        or a version below the latest, raises ``OverlayConflictError``.
        """

    def overlay(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        """A stored definition; ``version`` None means the latest."""

    def overlays(self) -> list[OverlayVersion]:
        """Every overlay with its latest version, by name."""

    def delete_overlay(self, name: str) -> bool:
        """Delete every version and every annotation of an overlay; False if it was unknown."""

    # -- annotations -------------------------------------------------------------------------
    def put_annotations(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        values: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """Set each target's annotation fields for ``overlay`` (replacing its old ones), at once.

        The overlay must be registered (``UnknownOverlayError``); the target need not exist.
        """

    def remove_annotations(
        self, overlay: str, target_kind: TargetKind | str, keys: Iterable[str]
    ) -> int:
        """Drop these targets' annotations for ``overlay``; how many there were."""

    def swap_annotations(
        self,
        overlay: str,
        expected: AnnotationSwap,
        new: AnnotationSwap,
    ) -> None:
        """Compare and set, in one transaction: when every target in ``expected`` holds exactly
        those fields now (None: no annotation), write ``new`` (None: remove the annotation).

        Otherwise ``AnnotationConflictError`` names the targets that changed and nothing is
        written: a read-merge-write by two writers at once loses neither update.
        """

    def annotations(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        keys: Iterable[str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Annotation fields by target key (all annotated targets when ``keys`` is None)."""

    def find_annotated(
        self,
        overlay: str,
        target_kind: TargetKind | str,
        field: str,
        op: AnnotationOp | str,
        value: Any,
    ) -> list[str]:
        """Keys of the targets whose ``field`` satisfies ``op value`` (sorted)."""

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...
