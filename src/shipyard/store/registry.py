"""Registered models, their tags and aliases (with the alias history); each given a connection.

Versions live in ``model_versions.py``; both share the row-to-entity assembly here, which reads
a page's tags, aliases and latest versions in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from shipyard.domain import search, validation
from shipyard.domain.clock import now_ms
from shipyard.domain.entities import Page
from shipyard.domain.errors import AlreadyExists, NotFound
from shipyard.domain.registry import (
    LATEST_ALIAS,
    MAX_DESCRIPTION_LENGTH,
    MAX_REGISTRY_TAG_VALUE_LENGTH,
    REGISTERED_MODELS_PAGE,
    AliasChange,
    AliasNotFound,
    ApprovalStatus,
    ModelVersion,
    RegisteredModel,
    Stage,
    VersionStatus,
    check_alias,
    check_model_name,
)
from shipyard.store import paging
from shipyard.store.dialect import AnyRow, chunks, upsert
from shipyard.store.registry_search import (
    compile_registered_model_filter,
    registered_model_sort_keys,
)
from shipyard.store.schema import (
    alias_history,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)

VERSION_COLUMNS = (
    model_versions.c.id,
    registered_models.c.name,
    model_versions.c.version,
    model_versions.c.creation_timestamp,
    model_versions.c.last_updated_timestamp,
    model_versions.c.user_id,
    model_versions.c.stage,
    model_versions.c.status,
    model_versions.c.status_message,
    model_versions.c.description,
    model_versions.c.source,
    model_versions.c.storage_location,
    model_versions.c.run_id,
    model_versions.c.run_link,
    model_versions.c.model_id,
    model_versions.c.approval_status,
    model_versions.c.approval_comment,
    model_versions.c.approval_updated_by,
    model_versions.c.approval_updated_timestamp,
)

_MODEL_COLUMNS = (
    registered_models.c.id,
    registered_models.c.name,
    registered_models.c.description,
    registered_models.c.user_id,
    registered_models.c.creation_timestamp,
    registered_models.c.last_updated_timestamp,
)


def check_tag(key: str, value: str) -> None:
    """A registry tag: MLflow's key rules, values up to 100,000 characters."""
    validation.check_key(key)
    validation.check_length(value, MAX_REGISTRY_TAG_VALUE_LENGTH, "value")


def check_description(description: str | None) -> None:
    """Descriptions are free text up to 100,000 characters."""
    if description:
        validation.check_length(description, MAX_DESCRIPTION_LENGTH, "description")


def model_id_of(conn: Connection, name: str) -> int:
    """The row id of the registered model called ``name``; ``NotFound`` if there is none."""
    found = conn.execute(
        select(registered_models.c.id).where(registered_models.c.name == name)
    ).scalar()
    if found is None:
        raise NotFound(f"Registered Model with name={name} not found")
    return int(found)


def touch_model(conn: Connection, model: int, now: int | None = None) -> None:
    """Record that a registered model changed."""
    conn.execute(
        update(registered_models)
        .where(registered_models.c.id == model)
        .values(last_updated_timestamp=now or now_ms())
    )


# -- assembling entities -----------------------------------------------------------------------


def versions_from_rows(conn: Connection, rows: Sequence[AnyRow]) -> list[ModelVersion]:
    """ModelVersions for rows of ``VERSION_COLUMNS``, with their tags and aliases."""
    ids = [row.id for row in rows]
    tags: dict[int, dict[str, str]] = defaultdict(dict)
    aliases: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(ids):
        for version_id, key, value in conn.execute(
            select(
                model_version_tags.c.version, model_version_tags.c.key, model_version_tags.c.value
            )
            .where(model_version_tags.c.version.in_(chunk))
            .order_by(model_version_tags.c.key)
        ):
            tags[version_id][key] = value
        for version_id, alias in conn.execute(
            select(registered_model_aliases.c.version, registered_model_aliases.c.alias)
            .where(registered_model_aliases.c.version.in_(chunk))
            .order_by(registered_model_aliases.c.alias)
        ):
            aliases[version_id].append(alias)
    return [
        ModelVersion(
            name=row.name,
            version=row.version,
            creation_timestamp=row.creation_timestamp,
            last_updated_timestamp=row.last_updated_timestamp,
            source=row.source,
            storage_location=row.storage_location,
            stage=Stage(row.stage),
            status=VersionStatus(row.status),
            user_id=row.user_id,
            description=row.description,
            run_id=row.run_id,
            run_link=row.run_link,
            model_id=row.model_id,
            status_message=row.status_message,
            approval_status=ApprovalStatus(row.approval_status),
            approval_comment=row.approval_comment,
            approval_updated_by=row.approval_updated_by,
            approval_updated_timestamp=row.approval_updated_timestamp,
            tags=tags.get(row.id, {}),
            aliases=aliases.get(row.id, []),
        )
        for row in rows
    ]


def _latest_per_stage(conn: Connection, model_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    """The newest version in each stage of each model, in one query per chunk."""
    result: dict[int, list[AnyRow]] = defaultdict(list)
    for chunk in chunks(model_ids):
        newest = (
            select(
                model_versions.c.model,
                model_versions.c.stage,
                func.max(model_versions.c.version).label("version"),
            )
            .where(model_versions.c.model.in_(chunk))
            .group_by(model_versions.c.model, model_versions.c.stage)
            .subquery()
        )
        rows = conn.execute(
            select(*VERSION_COLUMNS, model_versions.c.model)
            .join(registered_models, registered_models.c.id == model_versions.c.model)
            .join(
                newest,
                (newest.c.model == model_versions.c.model)
                & (newest.c.version == model_versions.c.version),
            )
            .order_by(model_versions.c.version)
        ).all()
        for row in rows:
            result[row.model].append(row)
    return result


def models_from_rows(conn: Connection, rows: Sequence[AnyRow]) -> list[RegisteredModel]:
    """RegisteredModels for rows of the model columns: tags, aliases, latest versions."""
    ids = [row.id for row in rows]
    tags: dict[int, dict[str, str]] = defaultdict(dict)
    aliases: dict[int, dict[str, int]] = defaultdict(dict)
    for chunk in chunks(ids):
        for model, key, value in conn.execute(
            select(
                registered_model_tags.c.model,
                registered_model_tags.c.key,
                registered_model_tags.c.value,
            )
            .where(registered_model_tags.c.model.in_(chunk))
            .order_by(registered_model_tags.c.key)
        ):
            tags[model][key] = value
        for model, alias, version in conn.execute(
            select(
                registered_model_aliases.c.model,
                registered_model_aliases.c.alias,
                model_versions.c.version,
            )
            .join(model_versions, model_versions.c.id == registered_model_aliases.c.version)
            .where(registered_model_aliases.c.model.in_(chunk))
            .order_by(registered_model_aliases.c.alias)
        ):
            aliases[model][alias] = version
    latest_rows = _latest_per_stage(conn, ids)
    all_latest = [row for model_rows in latest_rows.values() for row in model_rows]
    latest_versions = versions_from_rows(conn, all_latest)
    by_model: dict[int, list[ModelVersion]] = defaultdict(list)
    for row, version in zip(all_latest, latest_versions, strict=True):
        by_model[row.model].append(version)
    return [
        RegisteredModel(
            name=row.name,
            creation_timestamp=row.creation_timestamp,
            last_updated_timestamp=row.last_updated_timestamp,
            description=row.description,
            user_id=row.user_id,
            tags=tags.get(row.id, {}),
            aliases=aliases.get(row.id, {}),
            latest_versions=by_model.get(row.id, []),
        )
        for row in rows
    ]


# -- registered models -------------------------------------------------------------------------


def create_registered_model(
    conn: Connection,
    name: str,
    *,
    tags: Mapping[str, str],
    description: str | None,
    user_id: str | None,
) -> RegisteredModel:
    """Create a registered model; names are unique."""
    check_model_name(name)
    check_description(description)
    for key, value in tags.items():
        check_tag(key, value)
    now = now_ms()
    try:
        with conn.begin_nested():
            model = conn.execute(
                registered_models.insert()
                .values(
                    name=name,
                    description=description or None,
                    user_id=user_id,
                    creation_timestamp=now,
                    last_updated_timestamp=now,
                    last_version=0,
                )
                .returning(registered_models.c.id)
            ).scalar_one()
    except IntegrityError as exc:
        raise AlreadyExists(f"Registered Model (name={name}) already exists.") from exc
    if tags:
        conn.execute(
            registered_model_tags.insert(),
            [{"model": model, "key": k, "value": v} for k, v in tags.items()],
        )
    return get_registered_model(conn, name)


def get_registered_model(conn: Connection, name: str) -> RegisteredModel:
    """A registered model with its tags, aliases and latest version per stage."""
    row = conn.execute(select(*_MODEL_COLUMNS).where(registered_models.c.name == name)).first()
    if row is None:
        raise NotFound(f"Registered Model with name={name} not found")
    return models_from_rows(conn, [row])[0]


def update_registered_model(
    conn: Connection, name: str, description: str | None
) -> RegisteredModel:
    """Replace a registered model's description."""
    check_description(description)
    model = model_id_of(conn, name)
    conn.execute(
        update(registered_models)
        .where(registered_models.c.id == model)
        .values(description=description or None, last_updated_timestamp=now_ms())
    )
    return get_registered_model(conn, name)


def rename_registered_model(conn: Connection, name: str, new_name: str) -> RegisteredModel:
    """Give a registered model (and so all its versions) a new, unused name."""
    check_model_name(new_name, "new_name")
    model = model_id_of(conn, name)
    if new_name != name:
        try:
            with conn.begin_nested():
                conn.execute(
                    update(registered_models)
                    .where(registered_models.c.id == model)
                    .values(name=new_name, last_updated_timestamp=now_ms())
                )
        except IntegrityError as exc:
            raise AlreadyExists(f"Registered Model (name={new_name}) already exists.") from exc
    return get_registered_model(conn, new_name)


def delete_registered_model(conn: Connection, name: str) -> None:
    """Delete a registered model with its versions, tags, aliases and alias history."""
    model = model_id_of(conn, name)
    conn.execute(delete(registered_models).where(registered_models.c.id == model))


def set_registered_model_tag(conn: Connection, name: str, key: str, value: str) -> None:
    """Set (or overwrite) a tag on a registered model."""
    check_tag(key, value)
    model = model_id_of(conn, name)
    upsert(
        conn,
        registered_model_tags,
        [{"model": model, "key": key, "value": value}],
        keys=["model", "key"],
        update=["value"],
    )
    touch_model(conn, model)


def delete_registered_model_tag(conn: Connection, name: str, key: str) -> None:
    """Remove a tag from a registered model; ``NotFound`` when it is not set."""
    model = model_id_of(conn, name)
    removed = conn.execute(
        delete(registered_model_tags).where(
            registered_model_tags.c.model == model, registered_model_tags.c.key == key
        )
    ).rowcount
    if not removed:
        raise NotFound(f"No tag with key {key!r} on registered model {name!r}")
    touch_model(conn, model)


def search_registered_models(
    conn: Connection,
    *,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
) -> Page[RegisteredModel]:
    """A page of registered models matching a filter."""
    limit = validation.check_page_size(max_results, REGISTERED_MODELS_PAGE, "max_results")
    condition = compile_registered_model_filter(
        search.parse_filter(filter_string, search.REGISTERED_MODELS)
    )
    keys = registered_model_sort_keys(search.parse_order_by(order_by, search.REGISTERED_MODELS))
    query_id = paging.fingerprint("registered-models", filter_string or "", list(order_by or []))
    stmt = select(*_MODEL_COLUMNS, *paging.sort_columns(keys))
    if condition is not None:
        stmt = stmt.where(condition)
    rows, token = paging.fetch_page(
        conn, stmt, keys, limit=limit, query=query_id, page_token=page_token
    )
    return Page(models_from_rows(conn, rows), token)


# -- aliases -----------------------------------------------------------------------------------


def _record_alias_change(
    conn: Connection,
    model: int,
    alias: str,
    from_version: int | None,
    to_version: int | None,
    user: str | None,
) -> None:
    conn.execute(
        alias_history.insert().values(
            model=model,
            alias=alias,
            from_version=from_version,
            to_version=to_version,
            changed_by=user,
            timestamp=now_ms(),
        )
    )


def _alias_version(conn: Connection, model: int, alias: str) -> int | None:
    found = conn.execute(
        select(model_versions.c.version)
        .join(registered_model_aliases, registered_model_aliases.c.version == model_versions.c.id)
        .where(registered_model_aliases.c.model == model, registered_model_aliases.c.alias == alias)
    ).scalar()
    return None if found is None else int(found)


def version_row_id(conn: Connection, model: int, name: str, version: int) -> int:
    """The row id of a version; ``NotFound`` when the model has no such version."""
    found = conn.execute(
        select(model_versions.c.id).where(
            model_versions.c.model == model, model_versions.c.version == version
        )
    ).scalar()
    if found is None:
        raise NotFound(f"Model Version (name={name}, version={version}) not found")
    return int(found)


def set_alias(conn: Connection, name: str, alias: str, version: int, user: str | None) -> None:
    """Point an alias at a version (moving it if it pointed elsewhere); record the move."""
    check_alias(alias, for_setting=True)
    model = model_id_of(conn, name)
    target = version_row_id(conn, model, name, version)
    previous = _alias_version(conn, model, alias)
    if previous == version:
        return
    upsert(
        conn,
        registered_model_aliases,
        [{"model": model, "alias": alias, "version": target}],
        keys=["model", "alias"],
        update=["version"],
    )
    _record_alias_change(conn, model, alias, previous, version, user)
    touch_model(conn, model)


def delete_alias(conn: Connection, name: str, alias: str, user: str | None) -> None:
    """Remove an alias (a no-op if it is not set, as in MLflow); record the removal."""
    check_alias(alias)
    model = model_id_of(conn, name)
    previous = _alias_version(conn, model, alias)
    if previous is None:
        return
    conn.execute(
        delete(registered_model_aliases).where(
            registered_model_aliases.c.model == model, registered_model_aliases.c.alias == alias
        )
    )
    _record_alias_change(conn, model, alias, previous, None, user)
    touch_model(conn, model)


def drop_aliases_of_version(
    conn: Connection, model: int, version_row: int, version: int, user: str | None
) -> None:
    """Remove every alias pointing at a version about to be deleted, recording each."""
    gone = conn.execute(
        select(registered_model_aliases.c.alias).where(
            registered_model_aliases.c.version == version_row
        )
    ).scalars()
    for alias in list(gone):
        _record_alias_change(conn, model, alias, version, None, user)
    conn.execute(
        delete(registered_model_aliases).where(registered_model_aliases.c.version == version_row)
    )


def resolve_alias(conn: Connection, name: str, alias: str) -> int:
    """The version number an alias names (``latest``: the highest version)."""
    check_alias(alias)
    model = model_id_of(conn, name)
    if alias.lower() == LATEST_ALIAS:
        newest = conn.execute(
            select(func.max(model_versions.c.version)).where(model_versions.c.model == model)
        ).scalar()
        if newest is None:
            raise NotFound(f"Registered model {name!r} has no versions yet.")
        return int(newest)
    version = _alias_version(conn, model, alias)
    if version is None:
        raise AliasNotFound(f"Registered model alias {alias} not found on {name!r}.")
    return version


def alias_history_of(conn: Connection, name: str, alias: str | None = None) -> list[AliasChange]:
    """Every move of the model's aliases (or of one alias), oldest first."""
    model = model_id_of(conn, name)
    stmt = select(alias_history).where(alias_history.c.model == model)
    if alias is not None:
        stmt = stmt.where(alias_history.c.alias == check_alias(alias))
    rows = conn.execute(stmt.order_by(alias_history.c.timestamp, alias_history.c.id)).all()
    return [
        AliasChange(
            name=name,
            alias=row.alias,
            from_version=row.from_version,
            to_version=row.to_version,
            changed_by=row.changed_by,
            timestamp=row.timestamp,
        )
        for row in rows
    ]
