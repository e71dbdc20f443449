"""The tracking schema, as SQLAlchemy Core tables.

One schema for SQLite and PostgreSQL. The migrations in ``store/migrations`` create exactly
these tables; ``tests/store/test_migrations.py`` checks that the two never drift apart.

Runs have an integer surrogate key (``runs.id``) that every per-run table references: it keeps
the metric table and its indexes narrow (a 32-character run id repeated on every point would
double their size). The public run id lives in ``runs.run_id``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A double precision float on both engines (SQLAlchemy's Float maps to REAL on SQLite, which is
# already 64-bit, and to DOUBLE PRECISION on PostgreSQL with this precision).
Double = Float(precision=53)

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(500), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(16), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    Column("deleted_time", BigInteger, nullable=True),
    UniqueConstraint("name"),
    # never reuse the id of a purged experiment: old links and artifact folders name it
    sqlite_autoincrement=True,
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("experiment_id", "key"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(256), nullable=False),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(500), nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("artifact_uri", Text, nullable=False),
    Column("lifecycle_stage", String(16), nullable=False),
    Column("deleted_time", BigInteger, nullable=True),
    # set when the run was soft-deleted by deleting its experiment: restoring the experiment
    # restores exactly these runs
    Column("deleted_with_experiment", Boolean, nullable=False),
    UniqueConstraint("run_id"),
    # the default run listing: one experiment, live runs, newest first
    Index(None, "experiment_id", "lifecycle_stage", "start_time"),
)

params = Table(
    "params",
    metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("run", "key"),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("run", "key"),
)

# Every point of every metric. The primary key makes an exact repeat of a point (same run, key,
# step, timestamp and value) a no-op, so a client that retries a batch never duplicates it.
# NaN is stored as value 0 with is_nan set: SQLite turns NaN into NULL.
metrics = Table(
    "metrics",
    metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    PrimaryKeyConstraint("run", "key", "timestamp", "step", "value", "is_nan"),
    sqlite_with_rowid=False,
)

# The newest point of each metric of each run, kept on write: what run listings, search filters
# and order_by read. "Newest" is the greatest (step, timestamp, value).
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    PrimaryKeyConstraint("run", "key"),
    Index(None, "key", "value"),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(500), nullable=False),
    Column("digest", String(36), nullable=False),
    Column("source_type", String(36), nullable=False),
    Column("source", Text, nullable=False),
    Column("schema", Text, nullable=True),
    Column("profile", Text, nullable=True),
    UniqueConstraint("experiment_id", "name", "digest"),
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("dataset", Integer, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    UniqueConstraint("run", "dataset"),
    Index(None, "dataset"),
)

run_input_tags = Table(
    "run_input_tags",
    metadata,
    Column("input", Integer, ForeignKey("run_inputs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("value", String(500), nullable=False),
    PrimaryKeyConstraint("input", "key"),
)

run_model_inputs = Table(
    "run_model_inputs",
    metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("model_id", String(64), nullable=False),
    PrimaryKeyConstraint("run", "model_id"),
)

run_model_outputs = Table(
    "run_model_outputs",
    metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("model_id", String(64), nullable=False),
    Column("step", BigInteger, nullable=False),
    PrimaryKeyConstraint("run", "model_id", "step"),
)

logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(64), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(500), nullable=False),
    Column("artifact_uri", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("model_type", String(500), nullable=True),
    Column("source_run_id", String(256), nullable=True),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("lifecycle_stage", String(16), nullable=False),
    Index("ix_logged_models_listing", "experiment_id", "lifecycle_stage", "creation_timestamp"),
    Index(None, "source_run_id"),
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("model_id", "key"),
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("model_id", "key"),
)

# Metrics logged against a logged model (log-metric with a model_id). Empty strings, not NULLs,
# stand for "no run" and "no dataset" so that they can be part of the primary key.
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(250), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("run_id", String(256), nullable=False),
    Column("dataset_name", String(500), nullable=False),
    Column("dataset_digest", String(36), nullable=False),
    PrimaryKeyConstraint(
        "model_id",
        "key",
        "step",
        "timestamp",
        "value",
        "is_nan",
        "run_id",
        "dataset_name",
        "dataset_digest",
    ),
)

# -- model registry ----------------------------------------------------------------------------
# Registered models have an integer surrogate key, so renaming one touches one row; versions,
# tags and aliases reference it. ``last_version`` only grows: version numbers are never reused,
# even after the newest version is deleted.

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("description", Text, nullable=True),
    Column("user_id", String(256), nullable=True),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("last_version", Integer, nullable=False),
    UniqueConstraint("name"),
    sqlite_autoincrement=True,
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "model", Integer, ForeignKey("registered_models.id", ondelete="CASCADE"), nullable=False
    ),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("model", "key"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "model", Integer, ForeignKey("registered_models.id", ondelete="CASCADE"), nullable=False
    ),
    Column("version", Integer, nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("user_id", String(256), nullable=True),
    Column("stage", String(20), nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("description", Text, nullable=True),
    Column("source", Text, nullable=False),
    Column("storage_location", Text, nullable=False),
    Column("run_id", String(256), nullable=True),
    Column("run_link", Text, nullable=True),
    Column("model_id", String(64), nullable=True),
    Column("approval_status", String(32), nullable=False),
    Column("approval_comment", Text, nullable=True),
    Column("approval_updated_by", String(256), nullable=True),
    Column("approval_updated_timestamp", BigInteger, nullable=True),
    UniqueConstraint("model", "version"),
    Index(None, "run_id"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("version", Integer, ForeignKey("model_versions.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("version", "key"),
)

registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column(
        "model", Integer, ForeignKey("registered_models.id", ondelete="CASCADE"), nullable=False
    ),
    Column("alias", String(255), nullable=False),
    Column("version", Integer, ForeignKey("model_versions.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("model", "alias"),
)

# Every move of an alias, kept after the alias itself is gone.
alias_history = Table(
    "alias_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "model", Integer, ForeignKey("registered_models.id", ondelete="CASCADE"), nullable=False
    ),
    Column("alias", String(255), nullable=False),
    Column("from_version", Integer, nullable=True),
    Column("to_version", Integer, nullable=True),
    Column("changed_by", String(256), nullable=True),
    Column("timestamp", BigInteger, nullable=False),
    Index(None, "model", "alias", "timestamp"),
)
