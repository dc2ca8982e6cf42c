"""The database session class of the whole application.

A write that loses an optimistic-locking race fails inside SQLAlchemy's flush with
``StaleDataError`` (the row's ``version`` no longer matches). Every flush goes through
:meth:`ZwSession.flush` (commit and autoflush included), so that error becomes the one domain
error of a stale edit, :class:`~app.core.errors.StaleRecord` (409 「该记录在您打开后已被他人修改」),
wherever the write came from: a form, an API, a service or a background job.
"""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.session import Session
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import StaleRecord


class ZwSession(Session):
    def flush(self, objects: Any = None) -> None:
        try:
            super().flush(objects)
        except StaleDataError:
            raise StaleRecord() from None
