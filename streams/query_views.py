"""The worker's query API: JSON views of the graph view, and one edge from the edge table.

Whole-graph questions are answered by whichever worker is asked, from its ``GraphView``. The
detail of one edge lives in the edge table, on the worker that owns the edge's server; that
view is routed there by the server name. Every parameter is checked before anything else
happens: a malformed request gets a 400 with a JSON message, an unknown name a 404, and a
request that cannot reach the owner a 503 that says to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
import faust
from faust.web import Request, Response, View

from models.edge_detail import edge_detail
from models.edge_state import EdgeState
from models.errors import EdgeRecordError, MeeseeksError
from models.query_input import BadQueryError, NotFoundError, check_flag, check_name, check_port
from models.topology import EdgeKey
from streams.graph_feed import GraphFeed
from streams.owner_routing import OwnerRouter, OwnerUnknownError

if TYPE_CHECKING:
    from streams.topology import Topology

logger = logging.getLogger(__name__)

Answer = Callable[[Mapping[str, str], Mapping[str, str]], dict[str, Any]]
"""Query parameters and path parameters to the body of the answer."""


def register_queries(
    app: faust.App,
    topology: Topology,
    feed: GraphFeed | None = None,
    router: OwnerRouter | None = None,
) -> GraphFeed:
    """Add the /topology/ views to ``app``; without ``feed``, start one as an app task.

    ``router`` finds the worker that owns a server's edges (tests pass their own).
    """
    if feed is None:
        feed = GraphFeed(topology.settings)
        app.task(feed.follow)
    view = feed.view
    pages: dict[str, Answer] = {
        "/topology/": lambda q, _: view.topology(
            q.get("service"),
            q.get("zone"),
            q.get("kind"),
            q.get("status"),
            clustered=check_flag("clustered", q.get("clustered")),
            limit=q.get("limit"),
        ),
        "/topology/neighbours/{node}/": lambda q, m: view.neighbours(
            m["node"],
            q.get("direction", "down"),
            q.get("hops", "1"),
            clustered=check_flag("clustered", q.get("clustered")),
            limit=q.get("limit"),
        ),
        "/topology/clusters/": lambda q, _: view.clusters(q.get("limit")),
        "/topology/anomalies/": lambda q, _: view.anomalies(q.get("kind"), q.get("limit")),
        "/topology/unattributed/": lambda q, _: view.unattributed(q.get("limit")),
    }
    for path, answer in pages.items():
        _add_page(app, feed, path, answer)
    _add_edge_detail(app, topology, feed, router)
    return feed


def respond(web: View, feed: GraphFeed, answer: Callable[[], dict[str, Any]]) -> Response:
    """The JSON response for ``answer``: 400 for bad parameters, 404 for unknown names."""
    try:
        body = answer()
    except BadQueryError as exc:
        return web.json({"error": str(exc), "status": 400}, status=400)
    except NotFoundError as exc:
        return web.json({"error": str(exc), "status": 404}, status=404)
    except MeeseeksError as exc:
        logger.warning("query failed: %s", exc)
        return web.json({"error": str(exc), "status": 500}, status=500)
    return web.json({**body, "feed": feed.status()})


def _add_page(app: faust.App, feed: GraphFeed, path: str, answer: Answer) -> None:
    async def page(web: View, request: Request, **match: str) -> Response:
        return respond(web, feed, lambda: answer(request.query, match))

    name = "meeseeks" + path.replace("/", ".").replace("{", "").replace("}", "").rstrip(".")
    page.__name__ = page.__qualname__ = name.replace(".", "_")
    app.page(path, name=name)(page)
    app.page(path.rstrip("/"), name=f"{name}.noslash")(page)


def _add_edge_detail(
    app: faust.App, topology: Topology, feed: GraphFeed, router: OwnerRouter | None
) -> None:
    """``/topology/edges/{server}/{client}/{port}/``, answered by the server's owner."""
    params = topology.edge_stage.params
    owners = router or OwnerRouter(
        app, topology.deltas.get_topic_name(), topology.settings.topic_partitions
    )

    def detail(server: str, client: str, port: str) -> dict[str, Any]:
        key = EdgeKey(check_name("client", client), check_name("server", server), check_port(port))
        value = topology.edge_table.get(key.encode())
        if value is None:
            raise NotFoundError(
                f"no edge from {key.client!r} to {key.server!r} on port {key.port}; "
                "list edges with /topology/?service=NAME"
            )
        if not (isinstance(value, dict) and isinstance(value.get("s"), dict)):
            raise EdgeRecordError(f"the table holds no edge state under {key.encode()!r:.300}")
        body = edge_detail(EdgeState.from_dict(value["s"]), params)
        return {**body, "answered_by": str(app.conf.canonical_url)}

    class EdgeDetail(View):
        async def get(
            self, request: Request, server: str, client: str, port: str, **_: Any
        ) -> Response:
            try:
                check_name("server", server)
                check_name("client", client)
                check_port(port)
                owner = owners.owner_of(server)
            except BadQueryError as exc:
                return self.json({"error": str(exc), "status": 400}, status=400)
            except OwnerUnknownError as exc:
                return self.json({"error": str(exc), "status": 503}, status=503)
            if owners.answers_here(request, owner):
                return respond(self, feed, lambda: detail(server, client, port))
            try:
                return await owners.forward(self, request, owner)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                reason = f"the worker at {owner} that owns {server!r} did not answer ({exc!r:.120})"
                return self.json({"error": f"{reason}; retry", "status": 503}, status=503)

    path = "/topology/edges/{server}/{client}/{port}/"
    app.page(path, name="meeseeks.topology.edges")(EdgeDetail)
    noslash = type("EdgeDetailNoSlash", (EdgeDetail,), {})
    app.page(path.rstrip("/"), name="meeseeks.topology.edges.noslash")(noslash)
