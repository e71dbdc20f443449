"""Model versions: create, read, update, stage, approve, delete, search; given a connection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, delete, select, update

from shipyard.domain import search, validation
from shipyard.domain.clock import now_ms
from shipyard.domain.entities import Page
from shipyard.domain.errors import InvalidParameter, NotFound
from shipyard.domain.registry import (
    ACTIVE_STAGES,
    MAX_SOURCE_LENGTH,
    MODEL_VERSIONS_PAGE,
    ApprovalStatus,
    ModelVersion,
    Stage,
    VersionStatus,
    check_model_name,
)
from shipyard.store import paging
from shipyard.store.dialect import upsert
from shipyard.store.registry import (
    VERSION_COLUMNS,
    check_description,
    check_tag,
    drop_aliases_of_version,
    model_id_of,
    touch_model,
    version_row_id,
    versions_from_rows,
)
from shipyard.store.registry_search import compile_model_version_filter, model_version_sort_keys
from shipyard.store.schema import model_version_tags, model_versions, registered_models


def get_model_version(conn: Connection, name: str, version: int) -> ModelVersion:
    """One version of a registered model; ``NotFound`` if either does not exist."""
    model = model_id_of(conn, name)
    row = conn.execute(
        select(*VERSION_COLUMNS)
        .join(registered_models, registered_models.c.id == model_versions.c.model)
        .where(model_versions.c.model == model, model_versions.c.version == version)
    ).first()
    if row is None:
        raise NotFound(f"Model Version (name={name}, version={version}) not found")
    return versions_from_rows(conn, [row])[0]


def create_model_version(
    conn: Connection,
    *,
    name: str,
    source: str,
    storage_location: str,
    run_id: str | None,
    tags: Mapping[str, str],
    run_link: str | None,
    description: str | None,
    model_id: str | None,
    user_id: str | None,
) -> ModelVersion:
    """Register a new version (numbered one past the highest ever used); READY at once."""
    check_model_name(name)
    validation.check_length(source, MAX_SOURCE_LENGTH, "source")
    check_description(description)
    for key, value in tags.items():
        check_tag(key, value)
    model = model_id_of(conn, name)
    now = now_ms()
    version = conn.execute(
        update(registered_models)
        .where(registered_models.c.id == model)
        .values(last_version=registered_models.c.last_version + 1, last_updated_timestamp=now)
        .returning(registered_models.c.last_version)
    ).scalar_one()
    row_id = conn.execute(
        model_versions.insert()
        .values(
            model=model,
            version=version,
            creation_timestamp=now,
            last_updated_timestamp=now,
            user_id=user_id,
            stage=Stage.NONE,
            status=VersionStatus.READY,
            description=description or None,
            source=source,
            storage_location=storage_location,
            run_id=run_id or None,
            run_link=run_link or None,
            model_id=model_id or None,
            approval_status=ApprovalStatus.PENDING,
        )
        .returning(model_versions.c.id)
    ).scalar_one()
    if tags:
        conn.execute(
            model_version_tags.insert(),
            [{"version": row_id, "key": k, "value": v} for k, v in tags.items()],
        )
    return get_model_version(conn, name, int(version))


def _change(conn: Connection, name: str, version: int, **values: object) -> ModelVersion:
    model = model_id_of(conn, name)
    row = version_row_id(conn, model, name, version)
    now = now_ms()
    conn.execute(
        update(model_versions)
        .where(model_versions.c.id == row)
        .values(last_updated_timestamp=now, **values)
    )
    touch_model(conn, model, now)
    return get_model_version(conn, name, version)


def update_model_version(
    conn: Connection, name: str, version: int, description: str | None
) -> ModelVersion:
    """Replace a version's description."""
    check_description(description)
    return _change(conn, name, version, description=description or None)


def transition_stage(
    conn: Connection, name: str, version: int, stage: Stage, archive_existing: bool
) -> ModelVersion:
    """Move a version to a stage, optionally archiving the others in that stage."""
    if archive_existing and stage not in ACTIVE_STAGES:
        raise InvalidParameter(
            f"archive_existing_versions only applies to the Staging and Production stages, "
            f"not {stage.value}."
        )
    model = model_id_of(conn, name)
    version_row_id(conn, model, name, version)
    if archive_existing:
        conn.execute(
            update(model_versions)
            .where(
                model_versions.c.model == model,
                model_versions.c.version != version,
                model_versions.c.stage == stage,
            )
            .values(stage=Stage.ARCHIVED, last_updated_timestamp=now_ms())
        )
    return _change(conn, name, version, stage=stage)


def set_approval(
    conn: Connection,
    name: str,
    version: int,
    status: ApprovalStatus,
    comment: str | None,
    user: str | None,
) -> ModelVersion:
    """Record an approval decision on a version (who, when, why)."""
    check_description(comment)
    return _change(
        conn,
        name,
        version,
        approval_status=status,
        approval_comment=comment or None,
        approval_updated_by=user,
        approval_updated_timestamp=now_ms(),
    )


def delete_model_version(conn: Connection, name: str, version: int, user: str | None) -> None:
    """Delete a version and the aliases on it; its number is never given out again."""
    model = model_id_of(conn, name)
    row = version_row_id(conn, model, name, version)
    drop_aliases_of_version(conn, model, row, version, user)
    conn.execute(delete(model_versions).where(model_versions.c.id == row))
    touch_model(conn, model)


def set_version_tag(conn: Connection, name: str, version: int, key: str, value: str) -> None:
    """Set (or overwrite) a tag on a version."""
    check_tag(key, value)
    model = model_id_of(conn, name)
    row = version_row_id(conn, model, name, version)
    upsert(
        conn,
        model_version_tags,
        [{"version": row, "key": key, "value": value}],
        keys=["version", "key"],
        update=["value"],
    )


def delete_version_tag(conn: Connection, name: str, version: int, key: str) -> None:
    """Remove a tag from a version; ``NotFound`` when it is not set."""
    model = model_id_of(conn, name)
    row = version_row_id(conn, model, name, version)
    removed = conn.execute(
        delete(model_version_tags).where(
            model_version_tags.c.version == row, model_version_tags.c.key == key
        )
    ).rowcount
    if not removed:
        raise NotFound(f"No tag with key {key!r} on version {version} of {name!r}")


def latest_versions(conn: Connection, name: str, stages: Sequence[Stage]) -> list[ModelVersion]:
    """The newest version in each of ``stages`` (every stage when empty)."""
    model = model_id_of(conn, name)
    wanted = list(stages) or list(Stage)
    rows = []
    for stage in wanted:
        row = conn.execute(
            select(*VERSION_COLUMNS)
            .join(registered_models, registered_models.c.id == model_versions.c.model)
            .where(model_versions.c.model == model, model_versions.c.stage == stage)
            .order_by(model_versions.c.version.desc())
            .limit(1)
        ).first()
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda row: row.version)
    return versions_from_rows(conn, rows)


def search_model_versions(
    conn: Connection,
    *,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
) -> Page[ModelVersion]:
    """A page of versions (of any model) matching a filter."""
    limit = validation.check_page_size(max_results, MODEL_VERSIONS_PAGE, "max_results")
    condition = compile_model_version_filter(
        search.parse_filter(filter_string, search.MODEL_VERSIONS)
    )
    keys = model_version_sort_keys(search.parse_order_by(order_by, search.MODEL_VERSIONS))
    query_id = paging.fingerprint("model-versions", filter_string or "", list(order_by or []))
    stmt = select(*VERSION_COLUMNS, *paging.sort_columns(keys)).join(
        registered_models, registered_models.c.id == model_versions.c.model
    )
    if condition is not None:
        stmt = stmt.where(condition)
    rows, token = paging.fetch_page(
        conn, stmt, keys, limit=limit, query=query_id, page_token=page_token
    )
    return Page(versions_from_rows(conn, rows), token)
