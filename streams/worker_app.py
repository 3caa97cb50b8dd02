"""The module-level app that Faust's own CLI imports: ``faust -A streams.worker_app worker``.

Settings are read here, once, when Faust imports this module to start a worker; library code
never imports it.
"""

from __future__ import annotations

from config.settings import load_settings
from streams.app import create_app

app = create_app(load_settings())

if __name__ == "__main__":
    app.main()
