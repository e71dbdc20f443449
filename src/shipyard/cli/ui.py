"""``shipyard ui``: the web UI on the embedded store, opened in the browser."""

from __future__ import annotations

import logging
import threading
import time
import webbrowser
from pathlib import Path

import click
import httpx

from shipyard import __version__
from shipyard.cli.server import require_server_install
from shipyard.domain.errors import ShipyardError
from shipyard.server.settings import ServerSettings, default_data_dir

HOST = "127.0.0.1"
HEALTH_TIMEOUT_S = 60.0


def _announce_when_healthy(url: str, open_browser: bool) -> None:
    """Wait until the server answers /health, then print its address and open the browser."""
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            healthy = httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            healthy = False
        if healthy:
            click.echo(f"  serving:   {url}  (Ctrl-C to stop)")
            if open_browser and not webbrowser.open(url):
                click.echo(f"No browser could be opened: visit {url} yourself.", err=True)
            return
        time.sleep(0.1)
    click.echo(
        f"The UI did not answer at {url}/health within {HEALTH_TIMEOUT_S:.0f}s; "
        "run `shipyard server --log-level debug` to see why.",
        err=True,
    )


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--no-browser", is_flag=True, help="Print the address; open no browser.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the embedded store (default: $SHIPYARD_HOME or ~/.shipyard, the one "
    "`shipyard server` and the client use when given nothing else).",
)
def ui(port: int, no_browser: bool, data_dir: Path | None) -> None:
    """Open the web UI on the embedded store in the browser (Ctrl-C stops it).

    It serves the store on this machine only (127.0.0.1). To share it, run `shipyard server`
    with --host instead.
    """
    require_server_install()
    from shipyard.server.runner import bind, prepare, serve
    from shipyard.store.migrate import SchemaMismatch

    settings = ServerSettings.embedded(
        data_dir or default_data_dir(), host=HOST, port=port, log_level="warning"
    )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        sock = bind(settings)
    except OSError as exc:
        raise click.ClickException(
            f"Cannot listen on {HOST}:{port}: {exc.strerror}. Pick another --port (0 for any "
            "free one), or stop whatever is using it."
        ) from exc
    try:
        prepare(settings)
    except (SchemaMismatch, ShipyardError) as exc:
        sock.close()
        raise click.ClickException(" ".join(str(exc).split())) from exc
    url = f"http://{HOST}:{sock.getsockname()[1]}"
    click.echo(f"Shipyard {__version__} UI on the store in {settings.data_dir}")
    announcer = threading.Thread(
        target=_announce_when_healthy, args=(url, not no_browser), daemon=True
    )
    announcer.start()
    serve(settings, sock)
    click.echo("Stopped.")
