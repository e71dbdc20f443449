"""Keyset paging: ordered searches that page without OFFSET.

A search orders its rows by a list of ``SortKey``s that ends with a unique column, so the order
is total. A page token carries the sort values of the last row returned; the next page asks for
rows strictly after them. Each page costs the same however deep into the results it is, and
rows written between two pages cannot shift or repeat the ones already seen.

Sort keys may be missing for some rows (a run without that metric) or NaN. Such rows sort
after every real value, NaN before missing, in both directions: each key is a pair
``(rank, value)`` where rank 0 means "has a value", 1 "NaN" and 2 "missing", and the value only
counts between rows of rank 0.

Tokens are opaque to clients (URL-safe base64 of JSON) and carry a fingerprint of the query
they belong to, so a token replayed against another query is refused instead of silently
returning the wrong rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    and_,
    false,
    literal,
    or_,
    tuple_,
)

from shipyard.domain.errors import InvalidParameter

RANK_VALUE = 0
RANK_NAN = 1
RANK_MISSING = 2


@dataclass(frozen=True, slots=True)
class SortKey:
    """One ORDER BY term. ``rank`` is None for columns that always have a value."""

    value: ColumnElement[Any]
    ascending: bool
    rank: ColumnElement[int] | None = None

    def order_by(self) -> list[ColumnElement[Any]]:
        """The ORDER BY terms: rank first (missing last in both directions), then the value."""
        value = self.value.asc() if self.ascending else self.value.desc()
        return [value] if self.rank is None else [self.rank.asc(), value]

    def columns(self) -> list[ColumnElement[Any]]:
        """What a page query must select so the last row's position can be put in a token."""
        return [self.value] if self.rank is None else [self.rank, self.value]

    def _bound(self, value: Any) -> ColumnElement[Any]:
        # A typed literal: SQLAlchemy refuses ``column > False`` with a bare Python bool.
        return literal(value, type_=self.value.type)

    def _beyond(self, value: Any) -> ColumnElement[bool]:
        bound = self._bound(value)
        return self.value > bound if self.ascending else self.value < bound

    def after(self, position: Sequence[Any]) -> ColumnElement[bool]:
        """Rows that sort strictly after ``position`` on this key alone."""
        if self.rank is None:
            return self._beyond(position[0])
        rank, value = position
        if rank == RANK_VALUE:
            return or_(self.rank > RANK_VALUE, and_(self.rank == RANK_VALUE, self._beyond(value)))
        return self.rank > literal(rank)

    def same(self, position: Sequence[Any]) -> ColumnElement[bool]:
        """Rows that tie with ``position`` on this key."""
        if self.rank is None:
            return self.value == self._bound(position[0])
        rank, value = position
        if rank == RANK_VALUE:
            return and_(self.rank == RANK_VALUE, self.value == self._bound(value))
        return self.rank == literal(rank)

    def position_of(self, row: Sequence[Any]) -> list[Any]:
        """This key's part of a row's position, from the columns ``columns()`` selected."""
        if self.rank is None:
            return [row[0]]
        rank, value = row
        return [rank, value if rank == RANK_VALUE else None]

    def check(self, part: Any) -> None:
        """Refuse a token position whose shape or types do not fit this key."""
        if not isinstance(part, list) or len(part) != self.width:
            raise InvalidParameter("Invalid page token: its position is malformed.")
        if self.rank is not None:
            rank, value = part
            if rank not in (RANK_VALUE, RANK_NAN, RANK_MISSING) or isinstance(rank, bool):
                raise InvalidParameter("Invalid page token: its position is malformed.")
            if rank != RANK_VALUE:
                return
        else:
            value = part[0]
        expected = _python_type(self.value)
        if expected is int and isinstance(value, int) and not isinstance(value, bool):
            lowest, highest = _int_range(self.value)
            if not lowest <= value <= highest:
                raise InvalidParameter("Invalid page token: its position is malformed.")
        if expected is bool:
            ok = isinstance(value, bool)
        elif expected is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, expected) and not isinstance(value, bool)
        if not ok:
            raise InvalidParameter("Invalid page token: its position is malformed.")

    @property
    def width(self) -> int:
        """How many selected columns this key uses."""
        return 1 if self.rank is None else 2


def _int_range(column: ColumnElement[Any]) -> tuple[int, int]:
    if isinstance(column.type, BigInteger):
        return -(2**63), 2**63 - 1
    return -(2**31), 2**31 - 1


def _python_type(column: ColumnElement[Any]) -> type:
    try:
        python_type: type = column.type.python_type
    except NotImplementedError:
        return object
    return python_type


def order_by(keys: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    """ORDER BY terms for all keys."""
    return [term for key in keys for term in key.order_by()]


def sort_columns(keys: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    """The columns a page query selects after its own, in order, to position its last row."""
    columns: list[ColumnElement[Any]] = []
    for index, key in enumerate(keys):
        for part, column in enumerate(key.columns()):
            columns.append(column.label(f"_sort_{index}_{part}"))
    return columns


def after_position(
    keys: Sequence[SortKey], position: Sequence[Sequence[Any]]
) -> ColumnElement[bool]:
    """Rows strictly after ``position`` in the lexicographic order of ``keys``."""
    if len(position) != len(keys):
        raise InvalidParameter("Invalid page token: it does not belong to this search.")
    for key, part in zip(keys, position, strict=True):
        key.check(part)
    if all(key.rank is None for key in keys) and len({key.ascending for key in keys}) == 1:
        # One direction, no missing values: a row-value comparison, which both engines answer
        # with a single index range scan (the OR-of-ANDs form below makes SQLite rescan).
        columns = tuple_(*(key.value for key in keys))
        bound = tuple_(*(key._bound(part[0]) for key, part in zip(keys, position, strict=True)))
        return columns > bound if keys[0].ascending else columns < bound
    alternatives = []
    ties: list[ColumnElement[bool]] = []
    for key, part in zip(keys, position, strict=True):
        alternatives.append(and_(*ties, key.after(part)))
        ties.append(key.same(part))
    return or_(*alternatives) if alternatives else false()


def position_of(keys: Sequence[SortKey], row: Sequence[Any]) -> list[list[Any]]:
    """A row's position, read from the trailing sort columns of a page query's row."""
    total = sum(key.width for key in keys)
    values = list(row[len(row) - total :])
    position = []
    for key in keys:
        position.append(key.position_of(values[: key.width]))
        values = values[key.width :]
    return position


def fetch_page(
    conn: Connection,
    stmt: Select[Any],
    keys: Sequence[SortKey],
    *,
    limit: int,
    query: str,
    page_token: str | None,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` (which selects ``sort_columns(keys)`` last) after ``page_token``:
    the rows, and the token of the next page (None on the last)."""
    if page_token:
        stmt = stmt.where(after_position(keys, decode_token(page_token, query)))
    rows = list(conn.execute(stmt.order_by(*order_by(keys)).limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_token(position_of(keys, rows[-1]), query)


def fingerprint(*parts: Any) -> str:
    """A short digest of what defines a query, to tie its tokens to it."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def encode_token(position: Sequence[Sequence[Any]], query: str) -> str:
    """An opaque page token for the rows after ``position``."""
    payload = json.dumps({"q": query, "p": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(token: str, query: str) -> list[list[Any]]:
    """The position a token carries; refuse tokens that are malformed or from another query."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position = payload["p"]
        owner = payload["q"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise InvalidParameter(
            "Invalid page token: pass the next_page_token of the previous page unchanged."
        ) from exc
    if owner != query:
        raise InvalidParameter(
            "Invalid page token: it belongs to a different search (the experiments, filter "
            "or order_by changed). Start again without a page token."
        )
    if not isinstance(position, list) or not all(isinstance(part, list) for part in position):
        raise InvalidParameter("Invalid page token: its position is malformed.")
    return position
