"""Where a new model version's files are: its source, checked and made concrete.

A model version's ``source`` must lie inside the artifact store this server manages; MLflow
accepted any URI there, and its download routes then served whatever it named (local files via
``file://``, paths with ``..``, other hosts: CVE-2023-1177, CVE-2023-2356, CVE-2024-1558). The
forms accepted, each resolved to a concrete storage location under the server's root:

- ``runs:/<run id>/<path>``: that path of the run's artifacts;
- ``models:/m-<id>``: a logged model (MLflow 3's ``log_model`` registers these);
- ``models:/<name>/<version>``: where another registered version's files are;
- ``mlflow-artifacts:/<path>`` (with or without a host): the proxied store;
- the store's own URI (``file:///...``, ``s3://...``) followed by a path, when clients write to
  the store directly.

Everything else (plain paths, ``file://`` elsewhere, ``http(s)://``, other buckets) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from shipyard.artifacts.paths import join, safe_relative_path
from shipyard.artifacts.uris import PROXY_ROOT, managed_path
from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.domain.registry import check_model_name, check_version
from shipyard.domain.validation import check_model_id, check_run_id
from shipyard.store.model_registry import RegistryStore
from shipyard.store.tracking import TrackingStore


@dataclass(frozen=True, slots=True)
class ResolvedSource:
    """A checked source: where its files are, and the run and logged model it came from."""

    storage_location: str
    run_id: str | None = None
    model_id: str | None = None


class SourceResolver:
    """Checks model version sources against one server's stores."""

    def __init__(
        self,
        tracking: TrackingStore,
        registry: RegistryStore,
        store_uri: str,
        proxied: bool,
    ) -> None:
        self.tracking = tracking
        self.registry = registry
        self.store_uri = store_uri.rstrip("/")
        self.proxied = proxied

    def _refuse(self, source: str, why: str) -> InvalidParameter:
        return InvalidParameter(
            f"Invalid model version source {source!r}: {why}. A source must lie in this "
            "server's artifact store: runs:/<run id>/<path>, models:/<model id>, "
            "models:/<name>/<version>, or mlflow-artifacts:/<path>."
        )

    def location(self, path: str) -> str:
        """The URI clients use for a path under the store root."""
        if self.proxied:
            return f"{PROXY_ROOT}/{path}" if path else PROXY_ROOT
        return f"{self.store_uri}/{path}" if path else self.store_uri

    def _managed(self, uri: str, source: str) -> str:
        path = managed_path(uri, self.store_uri)
        if path is None:
            raise self._refuse(source, "it is outside the artifact store")
        if not path:
            raise self._refuse(source, "it names the whole artifact store")
        return path

    def resolve(self, source: str, model_id: str | None = None) -> ResolvedSource:
        """Check a source and find where its files are."""
        if not source:
            raise InvalidParameter("Missing value for required parameter 'source'.")
        if any(ord(char) < 32 for char in source):
            raise self._refuse(source, "control characters")
        decoded = unquote(source)
        for char, what in (("#", "fragments"), (";", "parameters"), ("?", "query strings")):
            if char in source or char in decoded:
                raise self._refuse(source, f"URI {what} ('{char}') are not accepted")
        parsed = urlparse(source)
        scheme = parsed.scheme.lower()
        if scheme == "runs":
            return self._from_run(source, parsed.netloc, parsed.path)
        if scheme == "models":
            return self._from_models(source, parsed.netloc, parsed.path)
        if model_id and not scheme:
            raise self._refuse(source, "a plain path is not a source")
        if source.startswith(PROXY_ROOT + "//"):
            raise self._refuse(source, "a host names another server; give the path alone")
        if source.startswith(PROXY_ROOT) or scheme in ("file", "s3"):
            path = self._managed(source, source)
            return ResolvedSource(self.location(path), model_id=model_id)
        raise self._refuse(source, f"the scheme {scheme or '(none)'!r} is not accepted")

    def _from_run(self, source: str, netloc: str, path: str) -> ResolvedSource:
        # runs:/<run id>/<path>, or runs://<run id>/<path> where the id lands in netloc
        if netloc:
            head, rest = netloc, path.lstrip("/")
        else:
            head, _, rest = path.lstrip("/").partition("/")
        run_id = check_run_id(head, "source")
        inside = safe_relative_path(unquote(rest))
        run = self.tracking.get_run(run_id)
        root = self._managed(run.info.artifact_uri, source)
        return ResolvedSource(self.location(join(root, inside)), run_id=run_id)

    def _from_models(self, source: str, netloc: str, path: str) -> ResolvedSource:
        reference = (netloc + path if netloc else path).strip("/")
        if reference.startswith("m-") and "/" not in reference:
            model_id = check_model_id(reference, "source")
            model = self.tracking.get_logged_model(model_id)
            root = self._managed(model.artifact_uri, source)
            return ResolvedSource(self.location(root), model.source_run_id, model_id)
        name, _, version = reference.partition("/")
        if not version or "/" in version:
            raise self._refuse(source, "use models:/<name>/<version> or models:/<model id>")
        check_model_name(unquote(name))
        number = check_version(version, "source")
        try:
            existing = self.registry.get_model_version(unquote(name), number)
        except NotFound as exc:
            raise self._refuse(source, f"model {name!r} has no version {number}") from exc
        root = self._managed(existing.storage_location, source)
        return ResolvedSource(self.location(root), existing.run_id, existing.model_id)
