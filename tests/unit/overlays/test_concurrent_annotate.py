"""Two writers annotating the same target at once: neither update is lost."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from models.overlay_file import AnnotationEntry
from models.overlay_schema import TargetKind
from models.overlay_selector import Selector
from sinks.errors import AnnotationConflictError
from sinks.overlay_service import SWAP_ATTEMPTS, OverlayService
from sinks.sqlite_store import SqliteGraphStore

FIELDS = [f"f{i}" for i in range(6)]
DEFINITION = {
    "name": "tags",
    "version": 1,
    "nodes": {name: {"type": "string"} for name in FIELDS},
    "edges": {},
}


def entry(field: str, value: str, key: str = "api") -> AnnotationEntry:
    return AnnotationEntry(Selector(TargetKind.NODE, (key,)), {field: value})


class InterleavingStore(SqliteGraphStore):
    """Lets another writer in between the service's read and its write, ``times`` times."""

    def __init__(self, path: Path, other: OverlayService, times: int) -> None:
        super().__init__(path)
        self.other, self.times, self.reads = other, times, 0

    def annotations(
        self, overlay: str, target_kind: TargetKind | str, keys: Iterable[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        found = super().annotations(overlay, target_kind, keys)
        self.reads += 1
        if self.reads <= self.times:
            self.other.annotate("tags", [entry("f5", f"other-{self.reads}")])
        return found


def test_a_write_between_read_and_write_is_kept_and_the_request_retried(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite"
    with SqliteGraphStore(path) as plain:
        other = OverlayService(plain)
        other.register(DEFINITION)
        with InterleavingStore(path, other, times=2) as racing:
            answer = OverlayService(racing).annotate("tags", [entry("f0", "mine")])
            assert answer["nodes"] == 1
            assert racing.reads == 3  # two reads spoilt by the other writer, one that held
            assert plain.annotations("tags", "node") == {"api": {"f0": "mine", "f5": "other-2"}}


def test_a_writer_that_keeps_losing_gets_a_conflict_and_wrote_nothing(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite"
    with SqliteGraphStore(path) as plain:
        other = OverlayService(plain)
        other.register(DEFINITION)
        with (
            InterleavingStore(path, other, times=SWAP_ATTEMPTS) as racing,
            pytest.raises(AnnotationConflictError, match="read them again and retry"),
        ):
            OverlayService(racing).annotate("tags", [entry("f0", "mine")])
        stored = plain.annotations("tags", "node")
        assert stored == {"api": {"f5": f"other-{SWAP_ATTEMPTS}"}}


def test_threads_on_separate_connections_lose_no_field(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite"
    with SqliteGraphStore(path) as setup:
        OverlayService(setup).register(DEFINITION)
    errors: list[BaseException] = []
    start = threading.Barrier(len(FIELDS))

    def writer(field: str) -> None:
        try:
            with SqliteGraphStore(path) as store:
                service = OverlayService(store)
                start.wait()
                for round_ in range(20):
                    service.annotate("tags", [entry(field, f"{field}-{round_}")])
        except BaseException as exc:  # reported below, with the thread's field
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(field,)) for field in FIELDS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with SqliteGraphStore(path) as check:
        assert check.annotations("tags", "node") == {
            "api": {field: f"{field}-19" for field in FIELDS}
        }
