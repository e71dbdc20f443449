"""``RegistryStore``: the model registry of one tracking server, behind plain method calls.

It shares the tracking store's database (one transaction per call, writes through the same
writer). Where a version's files are (``storage_location``) is decided by the caller, which
checks that a source lies in the server's own artifact store before registering it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from shipyard.domain.entities import Page
from shipyard.domain.registry import (
    AliasChange,
    ApprovalStatus,
    ModelVersion,
    RegisteredModel,
    Stage,
    check_alias,
    check_model_name,
    check_version,
)
from shipyard.store import model_versions, registry
from shipyard.store.engine import Database


class RegistryStore:
    """Registered models, versions, aliases and approvals."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- registered models ------------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        *,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        user_id: str | None = None,
    ) -> RegisteredModel:
        """Create a registered model."""
        check_model_name(name)
        return self.db.write(
            lambda c: registry.create_registered_model(
                c, name, tags=tags or {}, description=description, user_id=user_id
            )
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """A registered model with tags, aliases and latest versions."""
        check_model_name(name)
        return self.db.read(lambda c: registry.get_registered_model(c, name))

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Replace the description."""
        check_model_name(name)
        return self.db.write(lambda c: registry.update_registered_model(c, name, description))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model."""
        check_model_name(name)
        check_model_name(new_name, "new_name")
        return self.db.write(lambda c: registry.rename_registered_model(c, name, new_name))

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model and all its versions."""
        check_model_name(name)
        self.db.write(lambda c: registry.delete_registered_model(c, name))

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set a tag on a registered model."""
        check_model_name(name)
        self.db.write(lambda c: registry.set_registered_model_tag(c, name, key, value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model."""
        check_model_name(name)
        self.db.write(lambda c: registry.delete_registered_model_tag(c, name, key))

    def search_registered_models(
        self,
        *,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        """A page of registered models."""
        return self.db.read(
            lambda c: registry.search_registered_models(
                c,
                filter_string=filter_string,
                max_results=max_results,
                order_by=order_by,
                page_token=page_token,
            )
        )

    def get_latest_versions(self, name: str, stages: Sequence[str] = ()) -> list[ModelVersion]:
        """The newest version per stage (per requested stage)."""
        check_model_name(name)
        parsed = [Stage.parse(stage) for stage in stages]
        return self.db.read(lambda c: model_versions.latest_versions(c, name, parsed))

    # -- versions ---------------------------------------------------------------------------

    def create_model_version(
        self,
        *,
        name: str,
        source: str,
        storage_location: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
        user_id: str | None = None,
    ) -> ModelVersion:
        """Register a version whose files are at ``storage_location``."""
        check_model_name(name)
        return self.db.write(
            lambda c: model_versions.create_model_version(
                c,
                name=name,
                source=source,
                storage_location=storage_location,
                run_id=run_id,
                tags=tags or {},
                run_link=run_link,
                description=description,
                model_id=model_id,
                user_id=user_id,
            )
        )

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """One version."""
        check_model_name(name)
        number = check_version(version)
        return self.db.read(lambda c: model_versions.get_model_version(c, name, number))

    def update_model_version(
        self, name: str, version: str | int, description: str | None
    ) -> ModelVersion:
        """Replace a version's description."""
        check_model_name(name)
        number = check_version(version)
        return self.db.write(
            lambda c: model_versions.update_model_version(c, name, number, description)
        )

    def transition_stage(
        self, name: str, version: str | int, stage: str, archive_existing: bool = False
    ) -> ModelVersion:
        """Move a version to a stage."""
        check_model_name(name)
        number = check_version(version)
        parsed = Stage.parse(stage)
        return self.db.write(
            lambda c: model_versions.transition_stage(c, name, number, parsed, archive_existing)
        )

    def set_approval(
        self,
        name: str,
        version: str | int,
        status: str,
        *,
        comment: str | None = None,
        user: str | None = None,
    ) -> ModelVersion:
        """Approve or reject a version (or put it back to pending)."""
        check_model_name(name)
        number = check_version(version)
        parsed = ApprovalStatus.parse(status)
        return self.db.write(
            lambda c: model_versions.set_approval(c, name, number, parsed, comment, user)
        )

    def delete_model_version(self, name: str, version: str | int, user: str | None = None) -> None:
        """Delete a version (its aliases go with it)."""
        check_model_name(name)
        number = check_version(version)
        self.db.write(lambda c: model_versions.delete_model_version(c, name, number, user))

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        """Set a tag on a version."""
        check_model_name(name)
        number = check_version(version)
        self.db.write(lambda c: model_versions.set_version_tag(c, name, number, key, value))

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        """Remove a tag from a version."""
        check_model_name(name)
        number = check_version(version)
        self.db.write(lambda c: model_versions.delete_version_tag(c, name, number, key))

    def search_model_versions(
        self,
        *,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        """A page of model versions."""
        return self.db.read(
            lambda c: model_versions.search_model_versions(
                c,
                filter_string=filter_string,
                max_results=max_results,
                order_by=order_by,
                page_token=page_token,
            )
        )

    # -- aliases ----------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: str | int, user: str | None = None) -> None:
        """Point an alias at a version."""
        check_model_name(name)
        check_alias(alias, for_setting=True)
        number = check_version(version)
        self.db.write(lambda c: registry.set_alias(c, name, alias, number, user))

    def delete_alias(self, name: str, alias: str, user: str | None = None) -> None:
        """Remove an alias."""
        check_model_name(name)
        self.db.write(lambda c: registry.delete_alias(c, name, alias, user))

    def get_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at (``latest``: the newest version)."""
        check_model_name(name)

        def read(conn: Connection) -> ModelVersion:
            number = registry.resolve_alias(conn, name, alias)
            return model_versions.get_model_version(conn, name, number)

        return self.db.read(read)

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasChange]:
        """Every move of the model's aliases, oldest first."""
        check_model_name(name)
        return self.db.read(lambda c: registry.alias_history_of(c, name, alias))
