"""The overlay API over a graph store: register, list, show, delete, annotate, query.

The CLI and the HTTP views both call this; the rules live in models/overlay_*.py and the
store only keeps what they accepted. Methods are synchronous, like the store (the HTTP views
run them in a thread).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from models.overlay_annotate import Updates, annotation_batches, resolve
from models.overlay_errors import OverlayDefinitionError, OverlayNotFoundError, describe_problems
from models.overlay_file import AnnotationDocument, AnnotationEntry, parse_csv
from models.overlay_query import GraphRows, parse_query, run_query
from models.overlay_schema import (
    OverlayDefinition,
    Record,
    TargetKind,
    check_successor,
    misfits,
    parse_definition,
)
from models.topology import EdgeKey
from sinks.errors import AnnotationConflictError
from sinks.store import GraphStore

logger = logging.getLogger(__name__)

SWAP_ATTEMPTS = 10
"""Reads and writes of one annotation request when other writers keep changing its targets."""
MAX_LISTED_KEYS = 50
"""Keys named in an answer (targets not in the graph yet); the rest are counted."""


class OverlayService:
    """Overlays and annotations kept in ``store``, checked by their schemas."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    # -- definitions -------------------------------------------------------------------------
    def register(self, data: Any, *, strict: bool = False) -> dict[str, Any]:
        """Register a definition (a new overlay or its next version).

        Stored annotations are checked against the new version; those that no longer fit are
        listed in ``misfits`` (and with ``strict`` the version is refused because of them).
        """
        definition = parse_definition(data)
        current = self._current(definition.name)
        if not check_successor(current, definition):
            return {**self._summary(definition), "registered": False, "misfits": []}
        problems: list[str] = []
        if current is not None:
            for kind in TargetKind:
                stored = self.store.annotations(definition.name, kind)
                problems.extend(misfits(definition, kind, stored))
        if problems and strict:
            raise OverlayDefinitionError(
                describe_problems(
                    f"{definition.label()} not registered: stored annotations would not fit",
                    problems,
                )
            )
        self.store.put_overlay(definition.name, definition.version, definition.to_dict())
        logger.info("registered %s (%d misfits)", definition.label(), len(problems))
        return {**self._summary(definition), "registered": True, "misfits": problems}

    def list_overlays(self) -> list[dict[str, Any]]:
        out = []
        for item in self.store.overlays():
            definition = self.definition(item.name, item.version)
            out.append(self._summary(definition))
        return out

    def show(self, name: str, version: int | None = None) -> dict[str, Any]:
        definition = self.definition(name, version)
        counts = {f"{kind.value}s": len(self.store.annotations(name, kind)) for kind in TargetKind}
        return {**definition.to_dict(), "annotated": counts}

    def delete(self, name: str) -> bool:
        return self.store.delete_overlay(name)

    def definition(self, name: str, version: int | None = None) -> OverlayDefinition:
        """The registered definition, or ``OverlayNotFoundError`` saying what exists."""
        data = self.store.overlay(name, version)
        if data is None:
            known = ", ".join(item.name for item in self.store.overlays()) or "none"
            which = f"overlay {name!r}" + (f" v{version}" if version is not None else "")
            raise OverlayNotFoundError(
                f"{which} is not registered (registered: {known}); "
                "register it with `meeseeks overlay register FILE`"
            )
        return parse_definition(data)

    # -- annotations -------------------------------------------------------------------------
    def annotate(
        self, name: str, entries: Sequence[AnnotationEntry], *, replace: bool = False
    ) -> dict[str, Any]:
        """Apply ``entries`` whole, or raise ``AnnotationError`` and store nothing."""
        definition = self.definition(name)
        needs_graph = any(entry.selector.filters is not None for entry in entries)
        zones, edges = self._graph() if needs_graph else ({}, [])
        resolution = resolve(entries, zones, edges)
        batches = self._swap(name, definition, resolution.updates, replace)
        answer: dict[str, Any] = {"overlay": name, "version": definition.version}
        for kind, records in batches.items():
            answer[f"{kind.value}s"] = len(records)
            answer[f"{kind.value}s_not_in_graph"] = self._absent(kind, records)
        answer["empty_selectors"] = list(resolution.empty_selectors)
        return answer

    def _swap(
        self,
        name: str,
        definition: OverlayDefinition,
        updates: Updates,
        replace: bool,
    ) -> dict[TargetKind, dict[str, Record]]:
        """Read, merge, check and write, again from the read when another writer got between."""
        for attempt in range(1, SWAP_ATTEMPTS + 1):
            stored = {
                kind: self.store.annotations(name, kind, list(records))
                for kind, records in updates.items()
            }
            batches = annotation_batches(definition, updates, stored, replace=replace)
            expected = {
                kind: {key: stored[kind].get(key) for key in records}
                for kind, records in batches.items()
            }
            new = {
                kind: {key: record or None for key, record in records.items()}
                for kind, records in batches.items()
            }
            try:
                self.store.swap_annotations(name, expected, new)
            except AnnotationConflictError as exc:
                if attempt == SWAP_ATTEMPTS:
                    raise
                logger.info("annotating %s: %s (attempt %d)", name, exc, attempt)
                continue
            return batches
        raise AssertionError("unreachable: the last attempt returns or raises")

    def annotate_document(
        self, document: AnnotationDocument, name: str | None = None, *, replace: bool = False
    ) -> dict[str, Any]:
        """Apply a parsed annotation file; ``name`` must agree with the file's overlay."""
        overlay = name or document.overlay
        if overlay is None:
            raise OverlayNotFoundError("the annotations name no overlay; say which one")
        if document.overlay is not None and document.overlay != overlay:
            raise OverlayDefinitionError(
                f"the annotations are for overlay {document.overlay!r}, not {overlay!r}"
            )
        return self.annotate(overlay, document.entries, replace=replace)

    def annotate_csv(self, name: str, text: str, *, replace: bool = False) -> dict[str, Any]:
        return self.annotate(name, parse_csv(text, self.definition(name)).entries, replace=replace)

    def annotations(
        self, name: str, kind: TargetKind, keys: Iterable[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        self.definition(name)
        return self.store.annotations(name, kind, keys)

    def remove(self, name: str, kind: TargetKind, keys: Iterable[str]) -> int:
        self.definition(name)
        return self.store.remove_annotations(name, kind, keys)

    # -- queries -----------------------------------------------------------------------------
    def query(self, name: str, data: Any) -> dict[str, Any]:
        """Annotations combined with the topology (models/overlay_query.py describes the form)."""
        definition = self.definition(name)
        query = parse_query(definition, data)
        zones, edges = self._graph()
        rows = GraphRows(
            zones,
            edges,
            self.store.annotations(name, TargetKind.NODE),
            self.store.annotations(name, TargetKind.EDGE),
        )
        return {"overlay": name, "version": definition.version, **run_query(query, rows)}

    # -- helpers -----------------------------------------------------------------------------
    def _current(self, name: str) -> OverlayDefinition | None:
        data = self.store.overlay(name)
        return None if data is None else parse_definition(data)

    def _graph(self) -> tuple[dict[str, str | None], list[EdgeKey]]:
        zones = {row["name"]: row.get("zone") for row in self.store.nodes()}
        edges = [EdgeKey(row["client"], row["server"], row["port"]) for row in self.store.edges()]
        return zones, edges

    def _absent(self, kind: TargetKind, records: Mapping[str, Any]) -> dict[str, Any]:
        """The annotated targets the graph has not seen yet (a count and the first keys)."""
        keys = list(records)
        if kind is TargetKind.NODE:
            present = {row["name"] for row in self.store.nodes(names=keys)}
        else:
            present = {row["key"] for row in self.store.edges(keys=keys)}
        absent = sorted(set(keys) - present)
        return {"count": len(absent), "keys": absent[:MAX_LISTED_KEYS]}

    @staticmethod
    def _summary(definition: OverlayDefinition) -> dict[str, Any]:
        return {
            "name": definition.name,
            "version": definition.version,
            "description": definition.description,
        }
