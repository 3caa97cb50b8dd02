"""Bearer-token checks for the worker's web server.

Mutating routes (overlays) always need the token and check it themselves. Read routes are open
by default, as a dashboard on a trusted network expects; ``MEESEEKS_API_PROTECT_READS`` puts
them behind the same token with one aiohttp middleware, so no route can forget it. ``/metrics``
stays open for Prometheus, and the page's static files carry no data.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from config.errors import SettingsError
from config.settings import Settings

logger = logging.getLogger(__name__)

OPEN_PREFIXES = ("/metrics", "/ui")
"""Paths that never need the token: the Prometheus scrape and the page's static files."""
READ_METHODS = frozenset({"GET", "HEAD"})
"""Methods the read guard covers (CORS preflights carry no credentials and stay open)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def bearer_refusal(header: str | None, token: str) -> str | None:
    """Why a request with this Authorization header is refused, or None when it may pass."""
    if not token:
        return "this worker has no MEESEEKS_API_TOKEN, so it cannot check one"
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return "this route needs the header Authorization: Bearer <token>"
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return "the bearer token is not this worker's MEESEEKS_API_TOKEN"
    return None


def needs_read_token(method: str, path: str) -> bool:
    """True for the reads the middleware guards; mutations are the views' own business."""
    if method.upper() not in READ_METHODS:
        return False
    for prefix in OPEN_PREFIXES:
        base = prefix.rstrip("/")
        if path == base or path.startswith(base + "/"):
            return False
    return True


def read_token_middleware(token: str) -> Middleware:
    """An aiohttp middleware answering 401 to a read without the right bearer token."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if needs_read_token(request.method, request.path):
            reason = bearer_refusal(request.headers.get("Authorization"), token)
            if reason is not None:
                logger.info("refused %s %s: %s", request.method, request.path, reason)
                body = json.dumps({"status": 401, "error": reason})
                return web.Response(
                    status=401,
                    text=body,
                    content_type="application/json",
                    headers={"WWW-Authenticate": 'Bearer realm="meeseeks"'},
                )
        return await handler(request)

    return check


def web_application_options(settings: Settings) -> dict[str, object]:
    """Options for the worker's aiohttp application: the read guard when it is turned on."""
    if not settings.api_protect_reads:
        return {}
    if not settings.api_token.get_secret_value():
        raise SettingsError(
            "MEESEEKS_API_PROTECT_READS=true needs MEESEEKS_API_TOKEN: set a token, or turn "
            "the read guard off"
        )
    return {"middlewares": [read_token_middleware(settings.api_token.get_secret_value())]}
