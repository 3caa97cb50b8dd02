"""From annotation entries to the records to store: resolve selectors, merge, validate whole.

An entry's fields merge over the fields of earlier entries for the same target, and then
over what the store already holds for it (unless replacing), a field set to None clears it.
The merged records are validated together: one bad record rejects every record of the
request, so a file is applied entirely or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.overlay_errors import AnnotationError
from models.overlay_file import AnnotationEntry
from models.overlay_schema import OverlayDefinition, Record, TargetKind, check_batch, merge
from models.overlay_selector import select_edges, select_nodes
from models.topology import EdgeKey

Updates = dict[TargetKind, dict[str, dict[str, Any]]]
"""Per target kind, target key to the fields to set (None: clear the field)."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the entries of a request apply to."""

    updates: Updates
    empty_selectors: tuple[dict[str, Any], ...] = field(default=())
    """Selectors (their JSON form) that matched nothing in the graph."""

    def keys(self, kind: TargetKind) -> list[str]:
        return sorted(self.updates.get(kind, {}))


def resolve(
    entries: Sequence[AnnotationEntry],
    zones: Mapping[str, str | None],
    edges: Iterable[EdgeKey],
) -> Resolution:
    """Each entry's fields on each target its selector picks, later entries winning per field."""
    updates: Updates = {TargetKind.NODE: {}, TargetKind.EDGE: {}}
    empty: list[dict[str, Any]] = []
    edge_list = list(edges)
    for entry in entries:
        selector = entry.selector
        if selector.target is TargetKind.NODE:
            keys = select_nodes(selector, zones)
        else:
            keys = select_edges(selector, edge_list, zones)
        if not keys:
            empty.append(selector.to_dict())
        kind_updates = updates[selector.target]
        for key in keys:
            kind_updates[key] = {**kind_updates.get(key, {}), **entry.values}
    return Resolution({k: v for k, v in updates.items() if v}, tuple(empty))


def annotation_batches(
    definition: OverlayDefinition,
    updates: Updates,
    stored: Mapping[TargetKind, Mapping[str, Mapping[str, Any]]],
    *,
    replace: bool = False,
) -> dict[TargetKind, dict[str, Record]]:
    """The full, normalised record of every updated target, or ``AnnotationError``.

    Both kinds are checked before either is returned, so nothing is stored if any is bad.
    """
    out: dict[TargetKind, dict[str, Record]] = {}
    problems: list[str] = []
    for kind, records in updates.items():
        current = stored.get(kind, {})
        merged = {
            key: merge(None if replace else current.get(key), values)
            for key, values in records.items()
        }
        try:
            out[kind] = check_batch(definition, kind, merged)
        except AnnotationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise AnnotationError(problems)
    return out
