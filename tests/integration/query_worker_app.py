"""The stream worker with the query views registered, as ``register_topology`` will do it.

Until ``streams.topology.register_topology`` calls ``register_queries`` itself, the query API
tests run this module instead of ``streams.worker_app``; afterwards it is the same worker.
"""

from __future__ import annotations

from config.settings import load_settings
from streams.app import create_app
from streams.query_views import register_queries
from streams.topology import register_topology

settings = load_settings()
app = create_app(settings, topology=False)
topology = register_topology(app, settings)
if "/topology/" not in app.web.views:  # not yet registered by register_topology itself
    register_queries(app, topology)

if __name__ == "__main__":
    app.main()
