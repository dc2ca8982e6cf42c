"""Bulk inserts for the few places that write tens of thousands of rows in one transaction
(spreadsheet imports and their audit rows).

SQLAlchemy's ``execute(insert(table), rows)`` builds every row's parameters in Python through
the compiled statement (about 10 µs a row); here the INSERT is compiled once, the columns'
own bind processors (booleans and date-times on SQLite, ...) are applied to the values that
need them, and the rows go to the driver's ``executemany`` as they are. It writes exactly what
the ORM would, in the session's transaction; reach and audit are the caller's business (the
flush-time hooks do not see these rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` with one executemany."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    processors = [
        (key, processor)
        for key in keys
        if (processor := table.c[key].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    if processors:
        processed = []
        for row in rows:
            row = dict(row)
            for key, processor in processors:
                row[key] = processor(row[key])
            processed.append(row)
        rows = processed
    if compiled.positional:
        order = compiled.positiontup
        parameters: Sequence[Any] = [tuple(row[key] for key in order) for row in rows]
    else:
        parameters = rows
    connection.exec_driver_sql(str(compiled), parameters)  # type: ignore[arg-type]
