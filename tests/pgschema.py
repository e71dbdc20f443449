"""PostgreSQL schemas of their own, next to the session's, for tests that need a whole database.

The session schema (``postgres_schema_uri`` in ``conftest.py``) is where PostgreSQL's presence
is checked; a test or module that must not share tables with it gets a new schema from here,
dropped with everything in it afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


def admin_uri(schema_uri: str) -> str:
    """A schema URI without its ``search_path`` option: the database itself."""
    return schema_uri.split("?", 1)[0]


@contextmanager
def new_schema(session_uri: str, prefix: str) -> Iterator[str]:
    """An empty schema named ``<prefix>_<random>``; yields a URI that selects it."""
    base = admin_uri(session_uri)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield f"{base}?options=-csearch_path%3D{schema}"
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
