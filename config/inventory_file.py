"""Read an inventory file (YAML or CSV, by extension) into inventory records.

The formats are described, with examples, in docs/inventory.md; config/inventory.example.yaml
and config/inventory.example.csv hold the same small inventory in both.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from config.inventory_rows import VIP_FIELDS, SourceRow, records_from_rows
from models.errors import InventoryError
from models.inventory_record import InventoryRecord

logger = logging.getLogger(__name__)

YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)
CSV_COLUMNS = ("kind", *VIP_FIELDS)
YAML_SECTIONS = ("owners", "vips")


def load_inventory_file(path: Path) -> list[InventoryRecord]:
    """Every record the file declares, ordered by key; InventoryError names what to fix."""
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES + CSV_SUFFIXES:
        raise InventoryError(
            f"{path}: unknown inventory format {suffix or '(no extension)'!r}; "
            "name the file *.yaml, *.yml or *.csv (see docs/inventory.md)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{path}: cannot read the inventory file ({exc})") from exc
    rows = _yaml_rows(path, text) if suffix in YAML_SUFFIXES else _csv_rows(path, text)
    records = records_from_rows(rows)
    logger.info("read %d inventory entries from %s", len(records), path)
    return records


class _Located(dict[str, Any]):
    """A YAML mapping that remembers the line it starts on."""

    line = 0


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that records mapping lines and refuses a key given twice in one mapping."""


def _construct_located(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Located:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise InventoryError(f"line {key_node.start_mark.line + 1}: {key!r} is given twice")
        seen.add(key)
    constructed = loader.construct_mapping(node, deep=True)
    mapping = _Located({str(key): value for key, value in constructed.items()})
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_located)


def _yaml_rows(path: Path, text: str) -> Iterator[SourceRow]:
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except InventoryError as exc:
        raise InventoryError(f"{path} {exc}") from exc
    except yaml.YAMLError as exc:
        raise InventoryError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise InventoryError(
            f"{path}: expected a mapping with the lists {' and '.join(YAML_SECTIONS)}"
        )
    unknown = sorted(str(key) for key in set(document) - set(YAML_SECTIONS))
    if unknown:
        raise InventoryError(
            f"{path}: unknown section {', '.join(unknown)}; allowed: {', '.join(YAML_SECTIONS)}"
        )
    for section in YAML_SECTIONS:
        items = document.get(section) or []
        if not isinstance(items, list):
            raise InventoryError(f"{path}, section {section}: expected a list of mappings")
        for item in items:
            if not isinstance(item, _Located):
                raise InventoryError(
                    f"{path}, section {section}: expected a mapping per entry, got {item!r}"
                )
            fields = {str(k): v for k, v in item.items() if v is not None}
            yield SourceRow(f"{path} line {item.line}", section == "vips", fields)


def _csv_rows(path: Path, text: str) -> Iterator[SourceRow]:
    header: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path} line {number}"
        cells = [cell.strip() for cell in next(csv.reader([line]))]
        if header is None:
            header = _check_header(where, cells)
            continue
        if len(cells) != len(header):
            raise InventoryError(
                f"{where}: {len(cells)} cells but the header has {len(header)} columns"
            )
        fields: dict[str, object] = {
            column: cell for column, cell in zip(header, cells, strict=True) if cell
        }
        kind = str(fields.pop("kind", "owner"))
        if kind not in ("owner", "vip"):
            raise InventoryError(f"{where}, field kind: {kind!r} is neither owner nor vip")
        yield SourceRow(where, kind == "vip", fields)
    if header is None:
        raise InventoryError(
            f"{path}: empty; the first line must be a header such as {','.join(CSV_COLUMNS)}"
        )


def _check_header(where: str, cells: list[str]) -> list[str]:
    unknown = [cell for cell in cells if cell not in CSV_COLUMNS]
    if unknown:
        raise InventoryError(
            f"{where}: unknown column {', '.join(map(repr, unknown))} in the header; "
            f"allowed: {','.join(CSV_COLUMNS)}"
        )
    repeated = sorted({cell for cell in cells if cells.count(cell) > 1})
    if repeated:
        raise InventoryError(f"{where}: column {', '.join(repeated)} appears twice in the header")
    missing = [column for column in ("address", "service") if column not in cells]
    if missing:
        raise InventoryError(f"{where}: the header lacks the column {', '.join(missing)}")
    return cells
