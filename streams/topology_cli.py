"""``meeseeks topology show|neighbours|clusters|anomalies|unattributed|edge``: ask a worker.

A thin client of the worker's /topology/ API: any worker answers whole-graph questions, and the
edge detail is routed by the worker to the owner of the edge's server.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType

from config.settings import Settings
from models.errors import MeeseeksError
from streams import topology_render

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""Largest answer read from a worker (a graph of ~100k edges)."""


class TopologyClientError(MeeseeksError):
    """The worker could not be reached or refused the query."""


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "topology",
        help="query the live service graph from a running worker",
        description="Ask a stream worker's HTTP API about the service graph it has built.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = _action(actions, "show", "nodes and edges, optionally filtered")
    show.add_argument("--service", help="only this node and the edges touching it")
    show.add_argument("--zone", help="only nodes in this zone and the edges touching them")
    show.add_argument("--kind", choices=["service", "cluster", "unattributed"])
    show.add_argument("--status", choices=["active", "stale"], help="only edges with it")
    show.add_argument("--clustered", action="store_true", help="edges to members -> cluster")
    near = _action(actions, "neighbours", "what a node depends on, or what depends on it")
    near.add_argument("node", metavar="NODE", help="service, cluster or unattributed node")
    near.add_argument("--direction", choices=["down", "up", "both"], default="down")
    near.add_argument("--hops", type=int, default=1, help="how far to go, 1 to 10 (default 1)")
    near.add_argument("--clustered", action="store_true", help="edges to members -> cluster")
    _action(actions, "clusters", "recognised data-store clusters")
    anomalies = _action(actions, "anomalies", "anomalies raised now")
    anomalies.add_argument("--kind", help="only this kind, e.g. failing_edge")
    _action(actions, "unattributed", "addresses the inventory does not know, busiest first")
    edge = _action(actions, "edge", "one edge's detail and window history", limit=False)
    edge.add_argument("client", metavar="CLIENT")
    edge.add_argument("server", metavar="SERVER")
    edge.add_argument("port", metavar="PORT", type=int)
    parser.set_defaults(func=run)


def _action(
    actions: SubParsers, name: str, summary: str, *, limit: bool = True
) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=summary, description=summary)
    parser.add_argument("--url", help="worker base URL (default http://WEB_HOST:WEB_PORT)")
    parser.add_argument("--json", action="store_true", help="print the JSON answer")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    if limit:
        parser.add_argument("--limit", type=int, help="most rows to return (default 1000)")
    return parser


def request_for(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The API path and query parameters of a parsed command."""
    quote = _segment
    if args.action == "show":
        query = {"service": args.service, "zone": args.zone, "kind": args.kind}
        query |= {"status": args.status, "clustered": int(args.clustered) or None}
        return "/topology/", query
    if args.action == "neighbours":
        query = {"direction": args.direction, "hops": args.hops}
        return f"/topology/neighbours/{quote(args.node)}/", query | {
            "clustered": int(args.clustered) or None
        }
    if args.action == "anomalies":
        return "/topology/anomalies/", {"kind": args.kind}
    if args.action == "edge":
        path = f"/topology/edges/{quote(args.server)}/{quote(args.client)}/{args.port}/"
        return path, {}
    return f"/topology/{args.action}/", {}


def _segment(name: str) -> str:
    return urllib.parse.quote(name, safe="")


RENDERERS: Mapping[str, Callable[[Mapping[str, Any]], RenderableType]] = {
    "show": topology_render.topology_view,
    "neighbours": topology_render.neighbours_view,
    "clusters": topology_render.clusters_view,
    "anomalies": topology_render.anomalies_view,
    "unattributed": topology_render.unattributed_view,
    "edge": topology_render.edge_view,
}


def run(args: argparse.Namespace, settings: Settings) -> int:
    base = (args.url or f"http://{settings.web_host}:{settings.web_port}").rstrip("/")
    path, query = request_for(args)
    if getattr(args, "limit", None) is not None:
        query["limit"] = args.limit
    body = fetch(base, path, query, args.timeout)
    if args.json:
        print(json.dumps(body, indent=2, sort_keys=True))
        return 0
    console = Console()
    console.print(RENDERERS[args.action](body))
    feed = body.get("feed")
    if isinstance(feed, dict) and not feed.get("ready"):
        console.print("[yellow]the worker is still reading the graph topics: partial answer")
    return 0


def fetch(base: str, path: str, query: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """GET a worker's JSON answer; TopologyClientError with the worker's reason on failure."""
    params = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
    url = f"{base}{path}" + (f"?{params}" if params else "")
    if not url.startswith(("http://", "https://")):
        raise TopologyClientError(f"--url {base!r} must start with http:// or https://")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - checked
            data = response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        raise TopologyClientError(f"{_reason(exc)} (HTTP {exc.code} from {base})") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise TopologyClientError(
            f"no worker at {base} ({getattr(exc, 'reason', exc)}): start one with `make run` "
            "or `meeseeks worker`, or pass --url"
        ) from exc
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise TopologyClientError(f"{base} answered {path} with something other than JSON") from exc
    if not isinstance(body, dict):
        raise TopologyClientError(f"{base} answered {path} with JSON that is not an object")
    return body


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read(64 * 1024))
    except (ValueError, OSError):
        return f"the worker refused the query: {error.reason}"
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return f"the worker refused the query: {error.reason}"
