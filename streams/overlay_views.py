"""The overlay API on the worker's web server: JSON over HTTP, mutations behind a bearer token.

::

    GET    /overlays/                              registered overlays
    POST   /overlays/[?strict=1]                   register a definition (or its next version)
    GET    /overlays/{name}/[?version=N]           a definition and how much is annotated
    DELETE /overlays/{name}/                       the overlay, every version and annotation
    POST   /overlays/{name}/annotations/[?replace=1]   annotate (body: an annotation document)
    GET    /overlays/{name}/annotations/{node|edge}/[?keys=a,b]
    DELETE /overlays/{name}/annotations/{node|edge}/   body {"keys": [...]}
    POST   /overlays/{name}/query/                 body: a query (models/overlay_query.py)
    GET    /overlays/{name}/query/?where=criticality%3DP0&hops=2&via=dependency%3Dessential

Mutations need ``Authorization: Bearer <MEESEEKS_API_TOKEN>``: none or a wrong one gets 401.
A body that is not JSON, or breaks the overlay's schema, gets 400 with the reasons; an unknown
overlay 404; a version conflict 409; a body over the web server's 1 MiB limit 413; a store that
cannot be reached 503. The store is opened at the first request, so a worker starts even
while the store is away.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import faust
from aiohttp import web
from faust.web import Request, Response, View

from config.settings import Settings
from models.errors import MeeseeksError
from models.overlay_errors import AnnotationError, OverlayError, OverlayNotFoundError
from models.overlay_file import parse_document
from models.overlay_schema import TargetKind
from models.query_input import BadQueryError, check_flag
from sinks.errors import (
    AnnotationConflictError,
    OverlayConflictError,
    StoreInputError,
    UnknownOverlayError,
)
from sinks.overlay_service import OverlayService
from sinks.store import GraphStore

logger = logging.getLogger(__name__)


class ServiceHolder:
    """Opens the store at first use (in a worker thread) and keeps it for the worker's life."""

    def __init__(self, settings: Settings, store: GraphStore | None = None) -> None:
        self.settings = settings
        self._service = OverlayService(store) if store is not None else None
        self._lock = threading.Lock()

    def get(self) -> OverlayService:
        with self._lock:
            if self._service is None:
                from sinks.store_url import open_store, store_url_of

                url = store_url_of(self.settings)
                self._service = OverlayService(open_store(url, self.settings))
                logger.info("overlay API uses the store %s", url)
            return self._service


class _RefusedError(Exception):
    """A request refused before it reaches the service: its status and reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


Call = Callable[[OverlayService, Any], Any]
"""What a request asks of the service, given the JSON body (None for requests without)."""


def register_overlay_views(
    app: faust.App, settings: Settings, store: GraphStore | None = None
) -> ServiceHolder:
    """Add the /overlays/ views to ``app`` (``store``: a store to use instead of opening one)."""
    holder = ServiceHolder(settings, store)
    token = settings.api_token.get_secret_value()

    class OverlayView(View):
        async def answer(
            self, request: Request, call: Call, *, mutates: bool = False, body: bool = False
        ) -> Response:
            """Run ``call`` off the event loop; every failure becomes a JSON answer."""
            try:
                if mutates:
                    _authorise(request, token)
                data = await _json_body(request) if body else None
                result = await asyncio.to_thread(lambda: call(holder.get(), data))
            except Exception as exc:
                status, extra = _status_of(exc)
                if status >= 500:
                    logger.warning("overlay request failed: %s", exc)
                return self.json({"error": str(exc), "status": status, **extra}, status=status)
            return self.json(result)

        def refuse(self, message: str) -> Response:
            return self.json({"error": message, "status": 405}, status=405)

    class Overlays(OverlayView):
        async def get(self, request: Request, **_: Any) -> Response:
            return await self.answer(request, lambda s, _: {"overlays": s.list_overlays()})

        async def post(self, request: Request, **_: Any) -> Response:
            def register(service: OverlayService, body: Any) -> Any:
                return service.register(body, strict=_flag(request, "strict"))

            return await self.answer(request, register, mutates=True, body=True)

    class Overlay(OverlayView):
        async def get(self, request: Request, name: str = "", **_: Any) -> Response:
            return await self.answer(request, lambda s, _: s.show(name, _version(request)))

        async def delete(self, request: Request, name: str = "", **_: Any) -> Response:
            def delete(service: OverlayService, _: Any) -> Any:
                return {"overlay": name, "deleted": service.delete(name)}

            return await self.answer(request, delete, mutates=True)

    class Annotate(OverlayView):
        async def get(self, request: Request, **_: Any) -> Response:
            return self.refuse("GET /overlays/NAME/annotations/node/ or .../edge/")

        async def post(self, request: Request, name: str = "", **_: Any) -> Response:
            def annotate(service: OverlayService, body: Any) -> Any:
                replace = _flag(request, "replace")
                return service.annotate_document(parse_document(body), name, replace=replace)

            return await self.answer(request, annotate, mutates=True, body=True)

    class AnnotationsOf(OverlayView):
        async def get(self, request: Request, name: str = "", kind: str = "", **_: Any) -> Response:
            def annotations(service: OverlayService, _: Any) -> Any:
                keys = request.query.get("keys")
                wanted = keys.split(",") if keys else None
                return {"annotations": service.annotations(name, _kind(kind), wanted)}

            return await self.answer(request, annotations)

        async def delete(
            self, request: Request, name: str = "", kind: str = "", **_: Any
        ) -> Response:
            def remove(service: OverlayService, body: Any) -> Any:
                return {"removed": service.remove(name, _kind(kind), _keys(body))}

            return await self.answer(request, remove, mutates=True, body=True)

    class Query(OverlayView):
        async def get(self, request: Request, name: str = "", **_: Any) -> Response:
            return await self.answer(request, lambda s, _: s.query(name, _params(request)))

        async def post(self, request: Request, name: str = "", **_: Any) -> Response:
            return await self.answer(request, lambda s, body: s.query(name, body), body=True)

    routes: dict[str, type[View]] = {
        "/overlays/": Overlays,
        "/overlays/{name}/": Overlay,
        "/overlays/{name}/annotations/": Annotate,
        "/overlays/{name}/annotations/{kind}/": AnnotationsOf,
        "/overlays/{name}/query/": Query,
    }
    for path, view in routes.items():
        name = "meeseeks" + path.replace("/", ".").replace("{", "").replace("}", "").rstrip(".")
        app.page(path, name=name)(view)
        noslash = type(f"{view.__name__}NoSlash", (view,), {})
        app.page(path.rstrip("/"), name=f"{name}.noslash")(noslash)
    return holder


def _authorise(request: Request, token: str) -> None:
    if not token:
        raise _RefusedError(
            401, "changes are turned off on this worker: set MEESEEKS_API_TOKEN to allow them"
        )
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise _RefusedError(401, "this change needs the header Authorization: Bearer <token>")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise _RefusedError(401, "the bearer token is not this worker's MEESEEKS_API_TOKEN")


async def _json_body(request: Request) -> Any:
    try:
        data = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:  # the web server's limit, 1 MiB by default
        raise _RefusedError(
            413,
            f"the body is larger than this worker accepts ({exc.text}); send the annotations "
            "in several requests, or apply the file with `meeseeks overlay annotate --file`",
        ) from exc
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _RefusedError(400, f"the body is not JSON: {exc}") from exc


_STATUSES: tuple[tuple[type[Exception] | tuple[type[Exception], ...], int], ...] = (
    ((OverlayNotFoundError, UnknownOverlayError), 404),
    ((OverlayConflictError, AnnotationConflictError), 409),
    ((OverlayError, StoreInputError, BadQueryError), 400),
    (MeeseeksError, 503),  # the store is unreachable or failing: retry later
)


def _status_of(exc: Exception) -> tuple[int, dict[str, Any]]:
    """The HTTP status of a failure, and what the answer adds (an annotation's problems)."""
    if isinstance(exc, _RefusedError):
        return exc.status, {}
    if isinstance(exc, AnnotationError):
        return 400, {"problems": list(exc.problems)}
    for kinds, status in _STATUSES:
        if isinstance(exc, kinds):
            return status, {}
    return 500, {}


def _flag(request: Request, name: str) -> bool:
    try:
        return check_flag(name, request.query.get(name))
    except BadQueryError as exc:
        raise _RefusedError(400, str(exc)) from exc


def _version(request: Request) -> int | None:
    text = request.query.get("version")
    if text is None:
        return None
    if not text.isdigit() or len(text) > 9:
        raise _RefusedError(400, f"version must be a whole number, not {text[:20]!r}")
    return int(text)


def _kind(text: str) -> TargetKind:
    try:
        return TargetKind(text)
    except ValueError as exc:
        raise OverlayError(f"annotations are of node or edge, not {text[:20]!r}") from exc


def _keys(body: Any) -> list[str]:
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise OverlayError('the body must be {"keys": [KEY, ...]}')
    return keys


def _params(request: Request) -> dict[str, Any]:
    """A query from URL parameters: where and via repeat; the rest as in the JSON form."""
    params = request.query
    getall = getattr(params, "getall", None)
    query: dict[str, Any] = {}
    for name in ("where", "via"):
        values = getall(name, []) if getall is not None else [params.get(name)]
        if any(values):
            query[name] = [value for value in values if value]
    for name in ("target", "direction", "limit", "hops", "filters"):
        if params.get(name):
            query[name] = params[name]
    return query
