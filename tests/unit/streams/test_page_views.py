"""Which files the worker hands out for the topology page: a fixed set, never a request's path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streams.page_views import LIBRARIES, WEB_DIR, page_file


def test_the_page_its_modules_and_its_libraries() -> None:
    web = Path("/srv/web")
    assert page_file("", web) == web / "index.html"
    assert page_file("index.html", web) == web / "index.html"
    assert page_file("app.js", web) == web / "src" / "app.js"
    assert page_file("style.css", web) == web / "src" / "style.css"
    assert page_file("cytoscape.esm.min.mjs", web) == (
        web / "node_modules" / "cytoscape" / "dist" / "cytoscape.esm.min.mjs"
    )


@pytest.mark.parametrize(
    "name",
    ["../pyproject.toml", "..", "src/app.js", "App.js", "app.py", ".env", "package.json", "a b.js"],
)
def test_anything_else_is_refused(name: str) -> None:
    assert page_file(name, Path("/srv/web")) is None


def test_every_file_the_page_loads_is_served() -> None:
    """Scripts and styles of index.html and the modules' imports, all under names served."""
    index = (WEB_DIR / "index.html").read_text()
    loaded = re.findall(r'(?:src|href)="([\w.-]+\.(?:js|css))"', index)
    for module in (WEB_DIR / "src").glob("*.js"):
        loaded += re.findall(r"from '\./([\w.-]+)'", module.read_text())
    assert {"app.js", "style.css", "graph_model.js", "cytoscape.esm.min.mjs"} <= set(loaded)
    for name in loaded:
        found = page_file(name)
        assert found is not None, name
        if name not in LIBRARIES:  # the libraries come from make web-deps, not from git
            assert found.is_file(), found
