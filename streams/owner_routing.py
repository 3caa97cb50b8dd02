"""Send a request about a server node to the worker that holds that server's edges.

The edge stage keeps every edge of a server on delta-topic partition ``partition_of(server)``
(the edge table's changelog partition is the delta partition it was written from), so the owner
is whichever worker the group assigned that partition to. The lookup uses the same function
as the attribution stage and the group's published assignment, not Faust's key routers: the
table router would hash the JSON-serialized key (``"api"`` with its quotes), and the topic
router needs producer metadata for the delta topic, which a worker that never sent a delta
lacks. A forwarded request is marked, and a marked request is answered where it lands, so
two workers that briefly disagree about the assignment cannot bounce it between them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import aiohttp
import faust
from faust.web import Request, Response, View
from yarl import URL

from streams.partitioning import partition_of

logger = logging.getLogger(__name__)

ROUTED_HEADER = "X-Meeseeks-Routed"
"""Set on a forwarded request: the receiver answers it itself."""
FORWARD_TIMEOUT_SECONDS = 10.0


class OwnerUnknownError(Exception):
    """No worker owns the partition right now (the group is rebalancing or still starting)."""


class OwnerRouter:
    """Finds the owner of a server's edges and forwards requests to it."""

    def __init__(self, app: faust.App, topic: str, partitions: int) -> None:
        self.app = app
        self.topic = topic
        self.partitions = partitions

    def owner_of(self, server: str) -> URL:
        """The web URL of the worker assigned the server's partition."""
        partition = partition_of(server, self.partitions)
        hosts: Mapping[str, Mapping[str, list[int]]] = self.app.router.external_topics_metadata()
        for url, topics in hosts.items():
            if partition in topics.get(self.topic, ()):
                return URL(url)
        raise OwnerUnknownError(
            f"no worker owns partition {partition} of {self.topic} yet "
            "(the workers are starting or rebalancing); retry in a few seconds"
        )

    def answers_here(self, request: Request, owner: URL) -> bool:
        """True for a request this worker must answer: it owns the server, or it was sent here."""
        if request.headers.get(ROUTED_HEADER):
            return True
        return _ident(owner) == _ident(self.app.conf.canonical_url)

    async def forward(self, web: View, request: Request, owner: URL) -> Response:
        """The owner's answer to the same request, status and body unchanged."""
        target = request.url.with_host(owner.host or "").with_port(owner.port)
        timeout = aiohttp.ClientTimeout(total=FORWARD_TIMEOUT_SECONDS)
        logger.debug("forwarding %s to %s", request.url.path, owner)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(target, headers=_forwarded_headers(request)) as response,
        ):
            return web.text(
                await response.text(),
                content_type=response.content_type,
                status=response.status,
            )


def _forwarded_headers(request: Request) -> dict[str, str]:
    """The routing mark, and the caller's credentials when the owner guards its reads too."""
    headers = {ROUTED_HEADER: "1"}
    authorization = request.headers.get("Authorization")
    if authorization:
        headers["Authorization"] = authorization
    return headers


def _ident(url: URL) -> tuple[str, int]:
    return (url.host or "", url.port or 80)
