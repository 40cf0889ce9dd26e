"""Tables as JSON: one document per table, written row by row (never a whole table in memory), and read back with
each value converted to its column's type. No Flask: callers pass a Connection and the metadata."""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Column, Connection, Enum, MetaData, Table, TypeDecorator, select

BATCH = 1000  # rows fetched (and inserted) at a time

# Columns that hold secrets: left out of exports (a backup keeps them, or a restored site could not sign anyone in).
SECRET_COLUMNS: dict[str, set[str]] = {
    "user": {"password_hash"},
    "api_token": {"token_hash"},
    "user_session": {"key_hash"},
    "webhook_endpoint": {"secret", "url"},  # receiver URLs often carry a token (Slack-style paths, ?token=)
    "source_file": {"details"},  # a recording still downloading keeps its download token and URL there
}
# Tables of personal data an export leaves out unless asked (`flask export --with-voice-profiles`): how people sound.
PERSONAL_TABLES = frozenset({"voice_profile", "call_voice"})
_SECRET_WORDS = ("password", "secret", "token_hash", "api_key")


def secret_columns(table: Table) -> list[str]:
    """The columns of `table` an export leaves out: the known ones, and any whose name says it holds a secret."""
    known = SECRET_COLUMNS.get(table.name, set())
    return [c.name for c in table.columns if c.name in known or any(w in c.name.lower() for w in _SECRET_WORDS)]


def encode(value: Any) -> Any:
    """A JSON-ready form of a column value: ISO dates and times, enum values, Decimal as text, bytes as base64."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def decode(column: Column, value: Any) -> Any:
    """The column value of a JSON value written by `encode`."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, TypeDecorator):  # e.g. UTCDateTime: convert as its underlying type does
        kind = kind.impl_instance
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return kind.enum_class(value)
    try:
        python_type = kind.python_type
    except NotImplementedError:
        return value
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is time:
        return time.fromisoformat(value)
    if python_type is Decimal:
        return Decimal(value)
    if python_type is bytes:
        return base64.b64decode(value)
    return value


def _ordered(table: Table):
    query = select(table)
    keys = list(table.primary_key.columns)
    return query.order_by(*keys) if keys else query


def iter_rows(conn: Connection, table: Table, leave_out: list[str] = ()) -> Iterator[dict[str, Any]]:  # type: ignore[assignment]
    """Every row of `table` as a dict of JSON-ready values, in primary-key order, fetched in batches."""
    names = [c.name for c in table.columns if c.name not in leave_out]
    result = conn.execution_options(yield_per=BATCH).execute(_ordered(table))
    for row in result.mappings():
        yield {name: encode(row[name]) for name in names}


def write_table(conn: Connection, table: Table, out: IO[bytes], redact: bool) -> int:
    """Write {"table", "columns", "left_out", "rows": [...]} for `table` to `out`, one row per line; return the
    number of rows."""
    leave_out = secret_columns(table) if redact else []
    columns = [c.name for c in table.columns if c.name not in leave_out]
    head = {"table": table.name, "columns": columns, "left_out": leave_out}
    out.write(json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "rows": [\n')
    count = 0
    for row in iter_rows(conn, table, leave_out):
        out.write((b",\n" if count else b"") + json.dumps(row, ensure_ascii=False).encode())
        count += 1
    out.write(b"\n]}\n")
    return count


def count_rows(conn: Connection, table: Table) -> int:
    from sqlalchemy import func

    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def decode_rows(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows read from a table document, with values of their column types (unknown columns dropped)."""
    columns = {c.name: c for c in table.columns}
    return [{name: decode(columns[name], value) for name, value in row.items() if name in columns} for row in rows]


def insert_rows(conn: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    """Insert rows (dicts of column values) in batches; return how many."""
    batch: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def reset_sequences(conn: Connection, metadata: MetaData) -> None:
    """On PostgreSQL, move each integer id sequence past the restored ids (other engines need nothing)."""
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not keys[0].autoincrement or keys[0].type.python_type is not int:
            continue
        column = keys[0].name
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608  (names from metadata)
                          f'COALESCE((SELECT MAX("{column}") FROM "{table.name}"), 1), '
                          f'(SELECT MAX("{column}") FROM "{table.name}") IS NOT NULL)'),
                     {"table": f'"{table.name}"', "column": column})
