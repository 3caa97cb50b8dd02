"""``meeseeks overlay register|list|show|delete|annotate|annotations|query``.

Works on the graph store directly (``MEESEEKS_STORE_URL`` or ``--store``), so overlays can be
registered and annotations applied from CI with the files kept in version control; the
workers' HTTP API (/overlays/) offers the same over the network.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from config.settings import Settings, with_overrides
from models.overlay_errors import AnnotationError, OverlayError
from models.overlay_fields import FieldSpec, FieldType, format_duration
from models.overlay_file import AnnotationEntry, parse_document
from models.overlay_schema import OverlayDefinition, TargetKind
from models.overlay_selector import Selector, parse_selector_text

if TYPE_CHECKING:
    from sinks.overlay_service import OverlayService

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "overlay",
        help="register overlays, annotate nodes and edges, query by annotation",
        description=(
            "Overlays are named, versioned schemas of annotations on the service graph "
            "(config/overlays/bcp.yaml, data-dr.yaml). Works on the store MEESEEKS_STORE_URL."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    reg = _action(actions, "register", "register an overlay or its next version from a file")
    reg.add_argument("file", type=Path, metavar="FILE", help="YAML or JSON definition")
    reg.add_argument("--strict", action="store_true", help="refuse if annotations misfit")
    _action(actions, "list", "registered overlays and their latest versions")
    show = _action(actions, "show", "an overlay's definition and how much is annotated")
    show.add_argument("name", metavar="OVERLAY")
    show.add_argument("--version", type=int, help="an older version")
    delete = _action(actions, "delete", "delete an overlay, every version and annotation")
    delete.add_argument("name", metavar="OVERLAY")
    ann = _action(actions, "annotate", "set annotations from a file, or on selected targets")
    ann.add_argument("name", metavar="OVERLAY")
    ann.add_argument("--file", type=Path, help="YAML/JSON (models/overlay_file.py) or .csv")
    ann.add_argument("--node", action="append", default=[], help="a node name (repeatable)")
    ann.add_argument("--edge", action="append", default=[], help="client|server|port")
    ann.add_argument("--nodes-where", help="node selector, e.g. zone=a,kind=service")
    ann.add_argument("--edges-where", help="edge selector, e.g. client=web,cross_zone=1")
    ann.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    ann.add_argument("--clear", action="append", default=[], metavar="FIELD")
    ann.add_argument("--replace", action="store_true", help="replace instead of merging")
    listing = _action(actions, "annotations", "the annotations of an overlay")
    listing.add_argument("name", metavar="OVERLAY")
    listing.add_argument("--edges", action="store_true", help="edge annotations")
    query = _action(actions, "query", "nodes or edges by annotation, with the topology")
    query.add_argument("name", metavar="OVERLAY")
    query.add_argument("--edges", action="store_true", help="ask about edges, not nodes")
    query.add_argument("--where", action="append", default=[], help="e.g. criticality=P0")
    query.add_argument("--filter", help="graph filter, e.g. zone=a or cross_zone=1")
    query.add_argument("--hops", type=int, default=0, help="grow matched nodes (0 to 10)")
    query.add_argument("--via", action="append", default=[], help="edges to grow along")
    query.add_argument("--direction", choices=["down", "up", "both"], default="down")
    query.add_argument("--limit", type=int, help="most rows (default 1000)")
    parser.set_defaults(func=run)


def _action(actions: SubParsers, name: str, summary: str) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=summary, description=summary)
    parser.add_argument("--store", help="store URL (default MEESEEKS_STORE_URL)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace, settings: Settings) -> int:
    from sinks.overlay_service import OverlayService
    from sinks.store_url import open_store, store_url_of

    settings = with_overrides(settings, store_url=args.store)
    with open_store(store_url_of(settings), settings) as store:
        service = OverlayService(store)
        answer = _answer(args, service)
        if args.json:
            print(json.dumps(answer, indent=2, sort_keys=True))
        elif args.action == "query":
            print(format_query(answer, service.definition(args.name, answer["version"])))
        else:
            _print(args.action, answer)
    return 1 if answer.get("misfits") else 0


def _answer(args: argparse.Namespace, service: OverlayService) -> dict[str, Any]:
    name: str = getattr(args, "name", "")
    answers: dict[str, Callable[[], dict[str, Any]]] = {
        "register": lambda: service.register(_load(args.file), strict=args.strict),
        "list": lambda: {"overlays": service.list_overlays()},
        "show": lambda: service.show(name, args.version),
        "delete": lambda: {"overlay": name, "deleted": service.delete(name)},
        "annotations": lambda: _annotations(service, name, args.edges),
        "query": lambda: service.query(name, _query(args)),
        "annotate": lambda: _annotate(args, service),
    }
    return answers[args.action]()


def _annotations(service: OverlayService, name: str, edges: bool) -> dict[str, Any]:
    kind = TargetKind.EDGE if edges else TargetKind.NODE
    rows = service.annotations(name, kind)
    return {"overlay": name, "target": kind.value, "annotations": rows}


def _annotate(args: argparse.Namespace, service: OverlayService) -> dict[str, Any]:
    if args.file is not None:
        if args.file.suffix.lower() == ".csv":
            return service.annotate_csv(args.name, _read(args.file), replace=args.replace)
        document = parse_document(_load(args.file))
        return service.annotate_document(document, args.name, replace=args.replace)
    entries = _entries(args, service.definition(args.name))
    return service.annotate(args.name, entries, replace=args.replace)


def _query(args: argparse.Namespace) -> dict[str, Any]:
    query: dict[str, Any] = {
        "target": "edge" if args.edges else "node",
        "where": args.where,
        "direction": args.direction,
    }
    if args.filter:
        query["filters"] = args.filter
    if args.hops:
        query["hops"] = args.hops
    if args.via:
        query["via"] = args.via
    if args.limit is not None:
        query["limit"] = args.limit
    return query


def _entries(args: argparse.Namespace, definition: OverlayDefinition) -> list[AnnotationEntry]:
    """``--node/--edge/--nodes-where/--edges-where`` with ``--set/--clear`` as entries."""
    selectors: list[Selector] = []
    for kind, keys, where in (
        (TargetKind.NODE, args.node, args.nodes_where),
        (TargetKind.EDGE, args.edge, args.edges_where),
    ):
        if keys:
            selectors.append(Selector(kind, keys=tuple(keys)))
        if where:
            selectors.append(parse_selector_text(kind, where))
    if not selectors or not (args.set or args.clear):
        raise OverlayError(
            "say what to annotate (--file, or --node/--edge/--nodes-where/--edges-where) "
            "and what to set (--set FIELD=VALUE, --clear FIELD)"
        )
    entries = []
    for selector in selectors:
        fields = definition.fields(selector.target)
        values: dict[str, Any] = dict.fromkeys(args.clear)
        problems = []
        for item in args.set:
            field, sep, text = item.partition("=")
            spec = fields.get(field.strip())
            if not sep or spec is None:
                problems.append(
                    f"--set {item!r}: expected FIELD=VALUE with a {selector.target.value} "
                    f"field of {definition.label()} ({', '.join(fields) or 'none'})"
                )
                continue
            try:
                values[spec.name] = spec.from_text(text)
            except ValueError as exc:
                problems.append(f"--set {item!r}: field {spec.name!r} {exc}")
        if problems:
            raise AnnotationError(problems)
        entries.append(AnnotationEntry(selector, values))
    return entries


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(_read(path))
    except yaml.YAMLError as exc:
        raise OverlayError(f"{path} is not YAML or JSON: {exc}") from exc


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OverlayError(f"cannot read {path}: {exc}") from exc


def _print(action: str, answer: dict[str, Any]) -> None:
    if action == "register":
        state = "registered" if answer["registered"] else "already registered, unchanged"
        print(f"overlay {answer['name']} v{answer['version']}: {state}")
        for problem in answer["misfits"]:
            print(f"  no longer fits: {problem}", file=sys.stderr)
        return
    if action == "annotate":
        print(format_annotated(answer))
        return
    print(yaml.safe_dump(answer, sort_keys=False, allow_unicode=True).rstrip())


def format_annotated(answer: dict[str, Any]) -> str:
    """What an annotate request stored, and what of it the graph has not seen (yet)."""
    counts = [f"{answer[k + 's']} {k}s" for k in ("node", "edge") if k + "s" in answer]
    lines = [f"overlay {answer['overlay']} v{answer['version']}: annotated {' and '.join(counts)}"]
    for kind in ("node", "edge"):
        absent = answer.get(f"{kind}s_not_in_graph")
        if absent and absent["count"]:
            shown = ", ".join(absent["keys"][:10]) + (" ..." if absent["count"] > 10 else "")
            lines.append(f"  not in the graph (yet): {absent['count']} {kind}s: {shown}")
    for selector in answer["empty_selectors"]:
        where = ",".join(f"{k}={v}" for k, v in selector.items() if k != "target")
        lines.append(f"  matched no {selector['target']}s: {where}")
    return "\n".join(lines)


def format_query(answer: dict[str, Any], definition: OverlayDefinition) -> str:
    """A query answer as lines of text: matched targets, then what their growth reached."""
    lines = [f"overlay {answer['overlay']} v{answer['version']}: {answer['target']} query"]
    if answer["target"] == "edge":
        for row in answer["matched"]:
            zones = f"{row['client_zone'] or '?'} -> {row['server_zone'] or '?'}"
            seen = "" if row["observed"] else "  (not observed)"
            fields = _fields(row, definition.edges)
            lines.append(f"  {row['key']:<50} {zones:<10} {fields}{seen}")
    else:
        lines.append(f"matched ({len(answer['matched'])}):")
        lines.extend(_node_line(row, definition) for row in answer["matched"])
        if "reached" in answer:
            lines.append(f"reached ({len(answer['reached'])}), by distance:")
            lines.extend(_node_line(row, definition, row["distance"]) for row in answer["reached"])
    if answer.get("truncated"):
        lines.append("(truncated: raise --limit)")
    return "\n".join(lines)


def _node_line(
    row: dict[str, Any], definition: OverlayDefinition, distance: int | None = None
) -> str:
    hop = f"{distance:>2} " if distance is not None else "   "
    seen = "" if row["in_graph"] else "  (not observed)"
    fields = _fields(row, definition.nodes)
    return f"  {hop}{row['name']:<36} zone {row['zone'] or '?':<4} {fields}{seen}"


def _fields(row: dict[str, Any], specs: Mapping[str, FieldSpec]) -> str:
    """``field=value`` pairs as people write them (durations as 1h30m, lists with ;)."""
    return " ".join(
        f"{field}={_shown(specs.get(field), value)}" for field, value in row["annotations"].items()
    )


def _shown(spec: FieldSpec | None, value: Any) -> str:
    if isinstance(value, list):
        return ";".join(map(str, value))
    if spec is not None and spec.type is FieldType.DURATION:
        return format_duration(value)
    return str(value)
