"""Server settings: one declarative table that the CLI, the docs and the tests all read.

Each ``Setting`` names a field of ``ServerSettings``, its command-line flag, the environment
variable that can supply it, and its help text. ``shipyard server`` builds its options from this
table; ``docs/configuration.md`` must describe every entry (a test checks).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_data_dir() -> Path:
    """Where the embedded default keeps its database and artifacts: ``$SHIPYARD_HOME`` or
    ``~/.shipyard``."""
    home = os.environ.get("SHIPYARD_HOME")
    return Path(home).expanduser() if home else Path.home() / ".shipyard"


@dataclass(frozen=True, slots=True)
class Setting:
    """One configurable value of the server."""

    name: str
    flag: str
    envvar: str | tuple[str, ...]
    help: str

    @property
    def envvars(self) -> tuple[str, ...]:
        """Every environment variable that can supply this setting, first match wins."""
        return (self.envvar,) if isinstance(self.envvar, str) else self.envvar


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "--host", "SHIPYARD_HOST", "Interface to listen on."),
    Setting("port", "--port", "SHIPYARD_PORT", "TCP port to listen on."),
    Setting(
        "data_dir",
        "--data-dir",
        "SHIPYARD_HOME",
        "Folder of the embedded default: holds shipyard.db and artifacts/ unless the two "
        "options below say otherwise. Created on first start.",
    ),
    Setting(
        "backend_store_uri",
        "--backend-store-uri",
        "SHIPYARD_BACKEND_STORE_URI",
        "Tracking database: sqlite:///path/to/file.db or postgresql://user@host:5432/db "
        "(add ?options=-csearch_path%3D<schema> for a schema of its own).",
    ),
    Setting(
        "artifacts_destination",
        "--artifacts-destination",
        "SHIPYARD_ARTIFACTS_DESTINATION",
        "Where artifacts are stored: a local folder or s3://bucket/prefix.",
    ),
    Setting(
        "serve_artifacts",
        "--serve-artifacts/--no-serve-artifacts",
        "SHIPYARD_SERVE_ARTIFACTS",
        "Proxy artifact uploads and downloads through the server (mlflow-artifacts:/ URIs). "
        "With --no-serve-artifacts, clients get the store's own URIs and write there directly.",
    ),
    Setting(
        "s3_endpoint_url",
        "--s3-endpoint-url",
        ("SHIPYARD_S3_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL"),
        "Endpoint of an S3-compatible store (MinIO, Ceph, ...); AWS S3 when not set.",
    ),
    Setting(
        "workers",
        "--workers",
        "SHIPYARD_WORKERS",
        "Server processes. One is plenty on SQLite; use more on PostgreSQL.",
    ),
    Setting(
        "upgrade_db",
        "--upgrade-db",
        "SHIPYARD_UPGRADE_DB",
        "Upgrade an older database schema at start-up instead of refusing to start.",
    ),
    Setting(
        "max_body_bytes",
        "--max-body-bytes",
        "SHIPYARD_MAX_BODY_BYTES",
        "Largest JSON request body accepted, in bytes (log-batch is held to MLflow's 1 MB).",
    ),
    Setting(
        "root_path",
        "--root-path",
        "SHIPYARD_ROOT_PATH",
        "Path prefix when served behind a reverse proxy under a sub-path, e.g. /shipyard.",
    ),
    Setting("log_level", "--log-level", "SHIPYARD_LOG_LEVEL", "debug, info, warning or error."),
)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Everything the app factory needs; built by the CLI or by tests."""

    backend_store_uri: str
    artifacts_destination: str
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 1
    serve_artifacts: bool = True
    s3_endpoint_url: str | None = None
    upgrade_db: bool = False
    max_body_bytes: int = 16 * 1024 * 1024
    root_path: str = ""
    log_level: str = "info"
    data_dir: Path = field(default_factory=default_data_dir)

    @classmethod
    def embedded(cls, data_dir: Path | None = None, **overrides: object) -> ServerSettings:
        """The embedded default: SQLite and an artifact folder in one data directory."""
        folder = (data_dir or default_data_dir()).expanduser().resolve()
        return cls(
            backend_store_uri=f"sqlite:///{folder / 'shipyard.db'}",
            artifacts_destination=str(folder / "artifacts"),
            data_dir=folder,
            **overrides,  # type: ignore[arg-type]
        )

    def artifact_root_uri(self, store_uri: str) -> str:
        """The root every experiment's artifact location starts with.

        ``mlflow-artifacts:`` when the server proxies artifacts, else the store's own URI.
        """
        return "mlflow-artifacts:" if self.serve_artifacts else store_uri
