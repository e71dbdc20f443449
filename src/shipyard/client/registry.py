"""The model registry of a tracking server, over HTTP: models, versions, aliases, approval."""

from __future__ import annotations

from typing import Any

from shipyard.client.http import TrackingHTTP

SHIPYARD_API = "/api/2.0/shipyard"


class RegistryClient:
    """Registry calls on one tracking server; results are the server's JSON objects."""

    def __init__(self, http: TrackingHTTP) -> None:
        self.http = http

    def search_models(self, filter_string: str | None = None) -> list[dict[str, Any]]:
        """Every registered model matching a filter (all pages)."""
        models: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query: dict[str, Any] = {"max_results": 1000}
            if filter_string:
                query["filter"] = filter_string
            if token:
                query["page_token"] = token
            page = self.http.call("GET", "/registered-models/search", params=query)
            models += page.get("registered_models", [])
            token = page.get("next_page_token")
            if not token:
                return models

    def get_model(self, name: str) -> dict[str, Any]:
        """One registered model."""
        found: dict[str, Any] = self.http.call(
            "GET", "/registered-models/get", params={"name": name}
        )["registered_model"]
        return found

    def versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of a model, newest first; ``NotFound`` for an unknown model."""
        self.get_model(name)
        quoted = name.replace("'", "\\'")
        versions: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query: dict[str, Any] = {
                "filter": f"name = '{quoted}'",
                "max_results": 10000,
                "order_by": ["version_number DESC"],
            }
            if token:
                query["page_token"] = token
            page = self.http.call("GET", "/model-versions/search", params=query)
            versions += page.get("model_versions", [])
            token = page.get("next_page_token")
            if not token:
                return versions

    def resolve(self, reference: str) -> dict[str, Any]:
        """A version from ``name/3``, ``name@alias`` or ``name`` (its newest version)."""
        if "@" in reference:
            name, alias = reference.split("@", 1)
            found: dict[str, Any] = self.http.call(
                "GET", "/registered-models/alias", params={"name": name, "alias": alias}
            )["model_version"]
            return found
        name, _, version = reference.partition("/")
        if not version:
            return self.resolve(f"{name}@latest")
        found = self.http.call(
            "GET", "/model-versions/get", params={"name": name, "version": version}
        )["model_version"]
        return found

    def download_uri(self, name: str, version: str) -> str:
        """Where a version's files are."""
        uri: str = self.http.call(
            "GET", "/model-versions/get-download-uri", params={"name": name, "version": version}
        )["artifact_uri"]
        return uri

    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point an alias at a version."""
        self.http.call(
            "POST",
            "/registered-models/alias",
            json={"name": name, "alias": alias, "version": version},
        )

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove an alias."""
        self.http.call("DELETE", "/registered-models/alias", json={"name": name, "alias": alias})

    def alias_history(self, name: str, alias: str | None = None) -> list[dict[str, Any]]:
        """Every move of a model's aliases, oldest first."""
        query = {"name": name, **({"alias": alias} if alias else {})}
        response = self.http.request(
            "GET", f"{SHIPYARD_API}/registered-models/alias-history", params=query
        )
        changes: list[dict[str, Any]] = response.json()["changes"]
        return changes

    def approval(self, name: str, version: str) -> dict[str, Any]:
        """A version's approval status."""
        response = self.http.request(
            "GET",
            f"{SHIPYARD_API}/model-versions/approval",
            params={"name": name, "version": version},
        )
        found: dict[str, Any] = response.json()["approval"]
        return found

    def set_approval(
        self, name: str, version: str, status: str, comment: str | None = None
    ) -> dict[str, Any]:
        """Approve, reject, or reset a version to pending."""
        response = self.http.request(
            "POST",
            f"{SHIPYARD_API}/model-versions/approval",
            json={"name": name, "version": version, "status": status, "comment": comment},
        )
        found: dict[str, Any] = response.json()["approval"]
        return found
