"""The live topology page at ``/ui/``: the static files of ``web/`` and its graph library.

The page is a static single-page app that reads the JSON query API of the same worker, so the
worker only hands out files: the page itself, its modules from ``web/src/`` and Cytoscape.js
with its fCoSE layout from ``web/node_modules`` (installed by ``make install``; nothing is
fetched at run time). A request names a file by a plain name checked against a pattern, never
a path, so nothing outside those folders can be read. A missing library gets a 503 that says
how to install it."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import faust
from faust.web import Request, Response, View

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
"""The front end's folder in the source tree."""
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]*\.(js|css)$")
"""Files of ``web/src/`` the page may ask for: flat, lower-case names."""
LIBRARIES = {
    "cytoscape.esm.min.mjs": Path("node_modules/cytoscape/dist/cytoscape.esm.min.mjs"),
    "layout-base.js": Path("node_modules/layout-base/layout-base.js"),
    "cose-base.js": Path("node_modules/cose-base/cose-base.js"),
    "cytoscape-fcose.js": Path("node_modules/cytoscape-fcose/cytoscape-fcose.js"),
}
"""Library files the page imports, by the name it asks for, under ``web/``."""
CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
}
INSTALL_HINT = "run `make install` (npm ci --prefix web) on the worker's host"


def page_file(name: str, web_dir: Path = WEB_DIR) -> Path | None:
    """The file behind ``/ui/NAME`` (the empty name is the page), or None if none may be."""
    if name in ("", "index.html"):
        return web_dir / "index.html"
    library = LIBRARIES.get(name)
    if library is not None:
        return web_dir / library
    if SOURCE_NAME.match(name):
        return web_dir / "src" / name
    return None


def register_page(app: faust.App, web_dir: Path = WEB_DIR) -> None:
    """Add ``/ui/`` (the page) and ``/ui/{name}`` (its files) to ``app``."""

    class PageFile(View):
        async def get(self, request: Request, name: str = "", **_: str) -> Response:
            path = page_file(name, web_dir)
            if path is None:
                return self.text(f"no page file named {name!r}\n", status=404)
            try:
                body = await asyncio.to_thread(path.read_bytes)
            except FileNotFoundError:
                if name in LIBRARIES:
                    logger.warning("the topology page's library %s is missing", path)
                    message = f"{path} is missing: {INSTALL_HINT}\n"
                    return self.text(message, status=503)
                return self.text(f"no page file named {name!r}\n", status=404)
            except OSError as exc:
                logger.warning("cannot read %s: %s", path, exc)
                return self.text(f"cannot read {name!r}: {exc.strerror}\n", status=500)
            content_type = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
            # Always revalidated: a page left open picks up a new front end on reload.
            headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
            return self.bytes(body, content_type=content_type, headers=headers)

    class PageWithoutSlash(View):
        async def get(self, request: Request, **_: str) -> Response:
            # The page's modules are relative to /ui/: send the browser there.
            return self.text("see /ui/\n", status=308, headers={"Location": "/ui/"})

    app.page("/ui/", name="meeseeks.ui")(PageFile)
    app.page("/ui", name="meeseeks.ui.noslash")(PageWithoutSlash)
    app.page("/ui/{name}", name="meeseeks.ui.file")(type("PageFileByName", (PageFile,), {}))
