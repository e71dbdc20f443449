"""``shipyard server``: the tracking server."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import click

from shipyard import __version__
from shipyard.domain.errors import ShipyardError
from shipyard.server.settings import SETTINGS, ServerSettings, default_data_dir
from shipyard.store.migrate import SchemaMismatch

_DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 5000,
    "workers": 1,
    "max_body_bytes": ServerSettings.__dataclass_fields__["max_body_bytes"].default,
    "log_level": "info",
}
_TYPES: dict[str, Any] = {
    "port": click.IntRange(0, 65535),
    "workers": click.IntRange(1, 64),
    "max_body_bytes": click.IntRange(1024),
    "data_dir": click.Path(file_okay=False, path_type=Path),
    "log_level": click.Choice(["debug", "info", "warning", "error"]),
}


def _options(command: Any) -> Any:
    for setting in reversed(SETTINGS):
        if setting.name == "upgrade_db":
            option = click.option(
                setting.flag,
                is_flag=True,
                envvar=setting.envvars,
                show_envvar=True,
                help=setting.help,
            )
        elif setting.name == "serve_artifacts":
            option = click.option(
                setting.flag,
                default=True,
                envvar=setting.envvars,
                show_envvar=True,
                help=setting.help,
            )
        else:
            option = click.option(
                setting.flag,
                setting.name,
                type=_TYPES.get(setting.name, str),
                default=_DEFAULTS.get(setting.name),
                envvar=setting.envvars,
                show_envvar=True,
                show_default=setting.name in _DEFAULTS,
                help=setting.help,
            )
        command = option(command)
    return command


def settings_from_options(options: dict[str, Any]) -> ServerSettings:
    """ServerSettings from the command line: the embedded default fills what is not given."""
    embedded = ServerSettings.embedded(options.get("data_dir") or default_data_dir())
    artifacts = options.get("artifacts_destination") or embedded.artifacts_destination
    if not artifacts.startswith("s3://"):
        artifacts = str(Path(artifacts.removeprefix("file://")).expanduser().resolve())
    return ServerSettings(
        backend_store_uri=options.get("backend_store_uri") or embedded.backend_store_uri,
        artifacts_destination=artifacts,
        serve_artifacts=options["serve_artifacts"],
        s3_endpoint_url=options.get("s3_endpoint_url") or None,
        host=options["host"],
        port=options["port"],
        workers=options["workers"],
        upgrade_db=options["upgrade_db"],
        max_body_bytes=options["max_body_bytes"],
        root_path=options.get("root_path") or "",
        log_level=options["log_level"],
        data_dir=embedded.data_dir,
    )


SERVER_MODULES = ("fastapi", "uvicorn", "jinja2", "pydantic")


def require_server_install() -> None:
    """Stop with what to run when the server's dependencies (the ``server`` extra) are missing."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise click.ClickException(
            f"The server needs {', '.join(missing)}, which `pip install shipyard` leaves out "
            "(it installs the client). Install the server with: pip install 'shipyard[server]'"
        )


@click.command()
@_options
def server(**options: Any) -> None:
    """Run the tracking server (MLflow's REST protocol) on this machine.

    With no options it uses the embedded default: a SQLite database and an artifact folder in
    ~/.shipyard (or $SHIPYARD_HOME), created on first start.
    """
    require_server_install()
    from shipyard.server.runner import bind, prepare, serve

    settings = settings_from_options(options)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        sock = bind(settings)
    except OSError as exc:
        raise click.ClickException(
            f"Cannot listen on {settings.host}:{settings.port}: {exc.strerror}. "
            "Pick another --port, or stop whatever is using it."
        ) from exc
    try:
        prepare(settings)
    except (SchemaMismatch, ShipyardError) as exc:
        sock.close()
        raise click.ClickException(str(exc)) from exc
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    click.echo(f"Shipyard {__version__} tracking server")
    click.echo(f"  database:  {_redact(settings.backend_store_uri)}")
    mode = "proxied" if settings.serve_artifacts else "clients write directly"
    click.echo(f"  artifacts: {settings.artifacts_destination} ({mode})")
    click.echo(f"  serving:   http://{host}:{port}  (set MLFLOW_TRACKING_URI to this)")
    serve(settings, sock)


def _redact(uri: str) -> str:
    """A database URI with any password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:
        return uri
