"""The web UI: server-rendered page shells and small ES modules that call the JSON API.

Every page is an HTML shell (``templates/``) plus one script (``static/js/<page>.js``) that
fetches what it shows from the same JSON endpoints any client uses (MLflow's ``/ajax-api`` and
Shipyard's ``/api/2.0/shipyard``): the UI has no private way into the store. Assets are served
from this package (Plotly from the ``plotly`` wheel); a page makes no request to another host.
"""

from __future__ import annotations

from fastapi import FastAPI

from shipyard.server.ui import assets, pages


def install_ui(app: FastAPI) -> None:
    """Serve the UI's pages and static files."""
    app.include_router(assets.router)
    app.include_router(pages.router)
