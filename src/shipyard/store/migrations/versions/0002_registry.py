"""The model registry: registered models, versions, tags, aliases, alias history, approval.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model"],
        ["registered_models.id"],
        name=f"fk_{table}_model_registered_models",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registered_models"),
        sa.UniqueConstraint("name", name="uq_registered_models_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("model", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        _model_fk("registered_model_tags"),
        sa.PrimaryKeyConstraint("model", "key", name="pk_registered_model_tags"),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("model", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text, nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("storage_location", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(256), nullable=True),
        sa.Column("run_link", sa.Text, nullable=True),
        sa.Column("model_id", sa.String(64), nullable=True),
        sa.Column("approval_status", sa.String(32), nullable=False),
        sa.Column("approval_comment", sa.Text, nullable=True),
        sa.Column("approval_updated_by", sa.String(256), nullable=True),
        sa.Column("approval_updated_timestamp", sa.BigInteger, nullable=True),
        _model_fk("model_versions"),
        sa.PrimaryKeyConstraint("id", name="pk_model_versions"),
        sa.UniqueConstraint("model", "version", name="uq_model_versions_model_version"),
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["version"],
            ["model_versions.id"],
            name="fk_model_version_tags_version_model_versions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version", "key", name="pk_model_version_tags"),
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("model", sa.Integer, nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _model_fk("registered_model_aliases"),
        sa.ForeignKeyConstraint(
            ["version"],
            ["model_versions.id"],
            name="fk_registered_model_aliases_version_model_versions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model", "alias", name="pk_registered_model_aliases"),
    )
    op.create_table(
        "alias_history",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("model", sa.Integer, nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("from_version", sa.Integer, nullable=True),
        sa.Column("to_version", sa.Integer, nullable=True),
        sa.Column("changed_by", sa.String(256), nullable=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        _model_fk("alias_history"),
        sa.PrimaryKeyConstraint("id", name="pk_alias_history"),
    )
    op.create_index(
        "ix_alias_history_model_alias_timestamp", "alias_history", ["model", "alias", "timestamp"]
    )


def downgrade() -> None:
    for table in (
        "alias_history",
        "registered_model_aliases",
        "model_version_tags",
        "model_versions",
        "registered_model_tags",
        "registered_models",
    ):
        op.drop_table(table)
