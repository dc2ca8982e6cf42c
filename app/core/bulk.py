"""Bulk inserts for the few places that write tens of thousands of rows in one transaction
(spreadsheet imports and their audit rows).

SQLAlchemy's ``execute(insert(table), rows)`` builds every row's parameters in Python through
the compiled statement (about 10 µs a row). Here the column list is fixed once, the columns'
own bind processors (booleans and date-times on SQLite, ...) are applied only where a column
has one, values that are the same for every row (``fixed``) are processed once, and the rows
go to the database as they are: ``COPY ... FROM STDIN`` on PostgreSQL (one stream instead of a
round of Bind/Execute per row), the driver's ``executemany`` elsewhere. It writes exactly what
the ORM would, in the session's transaction; reach and audit are the caller's business (the
flush-time hooks do not see these rows).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import ARRAY, ColumnElement, String, Table, any_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
    *,
    columns: Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
    return_ids: bool = False,
) -> list[int] | None:
    """INSERT ``rows`` into ``table``: dicts with the same keys, or tuples in the order of
    ``columns``; ``fixed`` holds the values every row shares (a timestamp, a status).

    With ``return_ids``, the new rows' ``id`` values in the order of ``rows``, without reading
    them back: on PostgreSQL they are drawn from the column's sequence in one query and
    written with the rows; on SQLite the rows take ``max(id) + 1`` one after the other under
    the transaction's write lock, so they are the ``len(rows)`` numbers up to
    ``last_insert_rowid()`` (checked by counting them)."""
    if not rows:
        return [] if return_ids else None
    if columns is None:
        dicts = cast("Sequence[Mapping[str, Any]]", rows)  # without columns, rows are dicts
        columns = list(dicts[0])
        rows = [tuple(row[key] for key in columns) for row in dicts]
    connection = session.connection()
    dialect = connection.dialect
    fixed = dict(fixed or {})
    ids: list[int] | None = None
    if return_ids and dialect.name == "postgresql":
        ids = list(
            connection.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence(%(table)s, 'id')) "
                "FROM generate_series(1, %(n)s)",
                {"table": table.name, "n": len(rows)},
            ).scalars()
        )
        rows = [(identifier, *row) for identifier, row in zip(ids, rows, strict=True)]
        columns = ["id", *columns]
    elif return_ids and dialect.name != "sqlite":
        raise NotImplementedError(f"insert_rows(return_ids=True) on {dialect.name}")
    names = [*columns, *fixed]

    def processor(key: str) -> Any:
        return table.c[key].type.dialect_impl(dialect).bind_processor(dialect)

    tail = tuple(
        (process(value) if (process := processor(key)) else value) for key, value in fixed.items()
    )
    processors = [(i, p) for i, key in enumerate(columns) if (p := processor(key))]
    if processors:
        processed = []
        for row in rows:
            row = list(row)
            for index, process in processors:
                row[index] = process(row[index])
            processed.append(tuple(row))
        rows = processed
    parameters = [(*row, *tail) for row in rows] if tail else rows
    quote = dialect.identifier_preparer.quote
    column_list = ", ".join(quote(name) for name in names)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        raw = connection.connection.driver_connection
        statement = f"COPY {target} ({column_list}) FROM STDIN"
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                for row in parameters:
                    copy.write_row(row)
        except dialect.loaded_dbapi.IntegrityError as error:  # as SQLAlchemy raises it elsewhere
            raise IntegrityError(statement, None, error) from error
        return ids
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    # Table and column names come from the model (quoted), the values are parameters.
    placeholders = ", ".join(marker for _ in names)
    statement = f"INSERT INTO {target} ({column_list}) VALUES ({placeholders})"  # noqa: S608
    connection.exec_driver_sql(statement, parameters)
    if not return_ids:
        return None
    last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    first = last - len(rows) + 1
    inserted = connection.exec_driver_sql(
        f"SELECT count(*) FROM {target} WHERE id BETWEEN ? AND ?",  # noqa: S608 - as above
        (first, last),
    ).scalar_one()
    if inserted != len(rows):  # not one run of new ids (a table past the largest rowid)
        raise RuntimeError(f"the new rows of {table.name} did not take consecutive ids")
    return list(range(first, last + 1))


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (values)`` for a batch of thousands of values, with ONE parameter instead of
    one per value (SQLAlchemy expands and renders 2,000 placeholders per statement, and the
    driver prepares the long text afresh every time): ``column = ANY(:array)`` on PostgreSQL,
    ``column IN (SELECT value FROM json_each(:json))`` on SQLite (values: text or numbers)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    if dialect == "sqlite":
        listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String))
        return column.in_(select(listed.table_valued("value").c.value))
    return column.in_(list(values))


@contextmanager
def rare_collections() -> Iterator[None]:
    """For work that allocates millions of short-lived objects (an import's cells, rows and
    records), none of them in reference cycles: with the default thresholds the cyclic garbage
    collector walks the young objects every 700 allocations and the whole heap again and again
    (about 1 s of a 10 s, 100,000-row import, measured). Collections are made rare, not
    stopped; refcounting still frees everything at once, and the thresholds come back after."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
