"""The tracking schema: experiments, runs, params, metrics, tags, datasets, logged models.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Double = sa.Float(precision=53)


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
        sa.Column("deleted_time", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("experiment_id", name="pk_experiments"),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_experiment_tags_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("artifact_uri", sa.Text, nullable=False),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("deleted_time", sa.BigInteger, nullable=True),
        sa.Column("deleted_with_experiment", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_runs_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("run_id", name="uq_runs_run_id"),
    )
    op.create_index(
        "ix_runs_experiment_id_lifecycle_stage_start_time",
        "runs",
        ["experiment_id", "lifecycle_stage", "start_time"],
    )
    for table, value_type in (("params", sa.Text), ("run_tags", sa.Text)):
        op.create_table(
            table,
            sa.Column("run", sa.Integer, nullable=False),
            sa.Column("key", sa.String(250), nullable=False),
            sa.Column("value", value_type, nullable=False),
            sa.ForeignKeyConstraint(
                ["run"], ["runs.id"], name=f"fk_{table}_run_runs", ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("run", "key", name=f"pk_{table}"),
        )
    op.create_table(
        "metrics",
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", Double, nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], name="fk_metrics_run_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "run", "key", "timestamp", "step", "value", "is_nan", name="pk_metrics"
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "latest_metrics",
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", Double, nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], name="fk_latest_metrics_run_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run", "key", name="pk_latest_metrics"),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("digest", sa.String(36), nullable=False),
        sa.Column("source_type", sa.String(36), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("schema", sa.Text, nullable=True),
        sa.Column("profile", sa.Text, nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_datasets_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_datasets"),
        sa.UniqueConstraint(
            "experiment_id", "name", "digest", name="uq_datasets_experiment_id_name_digest"
        ),
    )
    op.create_table(
        "run_inputs",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("dataset", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], name="fk_run_inputs_run_runs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["dataset"], ["datasets.id"], name="fk_run_inputs_dataset_datasets", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_run_inputs"),
        sa.UniqueConstraint("run", "dataset", name="uq_run_inputs_run_dataset"),
    )
    op.create_index("ix_run_inputs_dataset", "run_inputs", ["dataset"])
    op.create_table(
        "run_input_tags",
        sa.Column("input", sa.Integer, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["input"],
            ["run_inputs.id"],
            name="fk_run_input_tags_input_run_inputs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("input", "key", name="pk_run_input_tags"),
    )
    op.create_table(
        "run_model_inputs",
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], name="fk_run_model_inputs_run_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run", "model_id", name="pk_run_model_inputs"),
    )
    op.create_table(
        "run_model_outputs",
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], name="fk_run_model_outputs_run_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run", "model_id", "step", name="pk_run_model_outputs"),
    )
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_uri", sa.Text, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text, nullable=True),
        sa.Column("model_type", sa.String(500), nullable=True),
        sa.Column("source_run_id", sa.String(256), nullable=True),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_logged_models_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name="pk_logged_models"),
    )
    op.create_index(
        "ix_logged_models_listing",
        "logged_models",
        ["experiment_id", "lifecycle_stage", "creation_timestamp"],
    )
    op.create_index("ix_logged_models_source_run_id", "logged_models", ["source_run_id"])
    for table in ("logged_model_params", "logged_model_tags"):
        op.create_table(
            table,
            sa.Column("model_id", sa.String(64), nullable=False),
            sa.Column("key", sa.String(250), nullable=False),
            sa.Column("value", sa.Text, nullable=False),
            sa.ForeignKeyConstraint(
                ["model_id"],
                ["logged_models.model_id"],
                name=f"fk_{table}_model_id_logged_models",
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("model_id", "key", name=f"pk_{table}"),
        )
    op.create_table(
        "logged_model_metrics",
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", Double, nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("dataset_name", sa.String(500), nullable=False),
        sa.Column("dataset_digest", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["logged_models.model_id"],
            name="fk_logged_model_metrics_model_id_logged_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "model_id",
            "key",
            "step",
            "timestamp",
            "value",
            "is_nan",
            "run_id",
            "dataset_name",
            "dataset_digest",
            name="pk_logged_model_metrics",
        ),
    )


def downgrade() -> None:
    for table in (
        "logged_model_metrics",
        "logged_model_tags",
        "logged_model_params",
        "logged_models",
        "run_model_outputs",
        "run_model_inputs",
        "run_input_tags",
        "run_inputs",
        "datasets",
        "latest_metrics",
        "metrics",
        "run_tags",
        "params",
        "runs",
        "experiment_tags",
        "experiments",
    ):
        op.drop_table(table)
