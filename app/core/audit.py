"""The append-only, hash-chained audit log (DOMAIN.md §10).

One SQLAlchemy session hook records every create, update and delete of every mapped model, with
the acting user, IP and the changed values before → after. Explicit events (login, failed login,
state transitions, exports, imports) go through :func:`record`. Each row stores the hash of the
previous row; :func:`verify_chain` (``flask audit-verify``) recomputes the chain and reports the
first row that does not match. The application never updates or deletes audit rows: the flush
hook refuses it, and on PostgreSQL a trigger refuses it in the database as well.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from app.core.actor import current_actor
from app.core.bulk import insert_rows
from app.core.models import AuditLog, utcnow

GENESIS = "0" * 64
REDACTED = "***"
# Columns whose values never enter the log, and bookkeeping columns whose change alone is noise.
SECRET_COLUMNS = frozenset({"password", "password_hash", "otp_secret"})
NOISE_COLUMNS = frozenset(
    {"last_login", "login_count", "fail_login_count", "changed_on", "changed_by_fk", "version"}
)
# Advisory-lock key that serialises appends on PostgreSQL so the chain never forks.
_PG_LOCK_KEY = 7_244_021


class AuditAction(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    TRANSITION = "transition"
    EXPORT = "export"
    IMPORT = "import"
    SECURITY = "security"


class AuditTampering(Exception):
    """Raised when the application itself tries to change or delete an audit row."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def dumps(values: dict[str, Any] | None) -> str | None:
    """The audit log's JSON of a before/after dict."""
    if values is None:
        return None
    return json.dumps(
        {k: _jsonable(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True
    )


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The chain hash of one row: SHA-256 over the previous hash and the row's content."""
    payload = json.dumps(
        [
            prev_hash,
            row["occurred_at"].isoformat(timespec="microseconds"),
            row["actor_id"],
            row["actor_name"],
            row["ip"],
            row["action"],
            row["object_type"],
            row["object_id"],
            row["summary"],
            row["before"],
            row["after"],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class _Entry:
    action: str
    object_type: str
    object_id: str
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def serialized(self) -> tuple[str, str, str, str, str | None, str | None]:
        return (
            self.action,
            self.object_type,
            self.object_id,
            self.summary,
            dumps(self.before),
            dumps(self.after),
        )


# The columns _append writes per row; occurred_at and the actor are the same for a whole call.
_ROW_COLUMNS = (
    "action",
    "object_type",
    "object_id",
    "summary",
    "before",
    "after",
    "prev_hash",
    "hash",
)
json_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses


def _chain(prev: str, shared: dict[str, Any], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each row (object id as text, summary cut to the column) with its prev_hash and hash
    appended. The payload is built as the same bytes :func:`row_hash` hashes (a test compares
    the two), without encoding the fields every row of one call shares again for each row."""
    middle = json.dumps(
        [
            shared["occurred_at"].isoformat(timespec="microseconds"),
            shared["actor_id"],
            shared["actor_name"],
            shared["ip"],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )[1:-1]
    sha256, text_of = hashlib.sha256, json_string
    chained = []
    for action, object_type, object_id, summary, before, after in rows:
        object_id, summary = str(object_id), summary[:256]
        payload = "[{},{},{},{},{},{},{},{}]".format(
            text_of(prev),
            middle,
            text_of(action),
            text_of(object_type),
            text_of(object_id),
            text_of(summary),
            "null" if before is None else text_of(before),
            "null" if after is None else text_of(after),
        )
        digest = sha256(payload.encode("utf-8")).hexdigest()
        chained.append((action, object_type, object_id, summary, before, after, prev, digest))
        prev = digest
    return chained


def _append(session: Session, entries: Iterable[_Entry]) -> None:
    append_serialized(session, [entry.serialized() for entry in entries])


def append_serialized(
    session: Session, rows: list[tuple[str, str, str, str, str | None, str | None]]
) -> None:
    """Append events given as (action, object_type, object_id, summary, before JSON, after
    JSON), in order, to the chain; one moment and one actor for all of them. The JSON must be
    what :func:`dumps` makes of the values (bulk writers may build it faster themselves)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    prev = (
        connection.execute(
            select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)
        ).scalar_one_or_none()
        or GENESIS
    )
    actor = current_actor()
    shared = {
        "occurred_at": utcnow(),  # one moment for the events of one call (one transaction step)
        "actor_id": actor.user_id,
        "actor_name": actor.username,
        "ip": actor.ip or "",
    }
    insert_rows(
        session, AuditLog.__table__, _chain(prev, shared, rows), columns=_ROW_COLUMNS, fixed=shared
    )


def record(
    session: Session,
    action: AuditAction | str,
    *,
    object_type: str = "",
    object_id: Any = "",
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append an explicit event (login, transition, export, ...) in the session's transaction."""
    _append(
        session,
        [
            _Entry(
                action=AuditAction(action).value if isinstance(action, str) else action.value,
                object_type=object_type,
                object_id=str(object_id),
                summary=summary,
                before=before,
                after=after,
            )
        ],
    )


def record_many(session: Session, events: Iterable[dict[str, Any]]) -> None:
    """Append many events in one go (bulk writes that bypass the ORM flush, e.g. imports).

    Each event has the keyword arguments of :func:`record` plus ``action``.
    """
    actions = {action.value for action in AuditAction}
    _append(
        session,
        (
            _Entry(
                action=event["action"]
                if event["action"] in actions
                else AuditAction(event["action"]).value,
                object_type=event.get("object_type", ""),
                object_id=str(event.get("object_id", "")),
                summary=event.get("summary", ""),
                before=event.get("before"),
                after=event.get("after"),
            )
            for event in events
        ),
    )


def _column_values(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    values = {}
    for attr in mapper.column_attrs:
        key = attr.key
        values[key] = REDACTED if key in SECRET_COLUMNS else getattr(obj, key, None)
    return values


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes() or attr.key in NOISE_COLUMNS:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        secret = attr.key in SECRET_COLUMNS
        before[attr.key] = REDACTED if secret else old
        after[attr.key] = REDACTED if secret else new
    # Many-to-many changes (a user's roles, a role's permissions) matter for 等保 too.
    for rel in state.mapper.relationships:
        if not rel.uselist or rel.viewonly:
            continue
        history = state.attrs[rel.key].history
        if history.added or history.deleted:
            current = list(state.attrs[rel.key].value or [])
            previous = [o for o in current if o not in history.added] + list(history.deleted)
            before[rel.key] = sorted(repr(o) for o in previous)
            after[rel.key] = sorted(repr(o) for o in current)
    return before, after


def _identity(obj: Any) -> str:
    # In after_flush the identity key is not assigned yet, but the primary key values are.
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join("" if value is None else str(value) for value in values)


def _audited(obj: Any) -> bool:
    return not isinstance(obj, AuditLog) and not getattr(type(obj), "__audit_exclude__", False)


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    from app.core.reach import check_writes

    for obj in session.dirty | session.deleted:
        if isinstance(obj, AuditLog):
            raise AuditTampering("audit rows are append-only")
    check_writes(session)
    # Remember updates and deletes now: after the flush their history is gone.
    pending = session.info.setdefault("zwfw_audit_pending", [])
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj):
            before, after = _changes(obj)
            if after:
                pending.append(
                    _Entry("update", type(obj).__name__, _identity(obj), repr(obj), before, after)
                )
    for obj in session.deleted:
        if _audited(obj):
            pending.append(
                _Entry(
                    "delete",
                    type(obj).__name__,
                    _identity(obj),
                    repr(obj),
                    _column_values(obj),
                    None,
                )
            )
    session.info["zwfw_audit_new"] = [o for o in session.new if _audited(o)]


def _after_flush(session: Session, flush_context: Any) -> None:
    entries = session.info.pop("zwfw_audit_pending", [])
    for obj in session.info.pop("zwfw_audit_new", []):
        entries.append(
            _Entry(
                "create", type(obj).__name__, _identity(obj), repr(obj), None, _column_values(obj)
            )
        )
    _append(session, entries)


def _after_rollback(session: Session) -> None:
    session.info.pop("zwfw_audit_pending", None)
    session.info.pop("zwfw_audit_new", None)


def install_session_hooks() -> None:
    """Attach the audit (and reach write check) hooks to every ORM session, once."""
    if event.contains(Session, "before_flush", _before_flush):
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_soft_rollback", lambda s, t: _after_rollback(s))


@dataclass
class ChainReport:
    checked: int
    first_bad_id: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Recompute every row's hash in id order; report the first row that does not match.

    Rows older than the retention period may have been dropped by the retention job, so the
    chain starts from whatever ``prev_hash`` the oldest remaining row carries.
    """
    checked = 0
    prev: str | None = None
    last_id = 0
    table = AuditLog.__table__
    while True:
        rows = (
            session.execute(
                select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            return ChainReport(checked, None)
        for row in rows:
            if prev is not None and row["prev_hash"] != prev:
                return ChainReport(checked, row["id"], "prev_hash does not match the previous row")
            if row_hash(row["prev_hash"], row) != row["hash"]:
                return ChainReport(checked, row["id"], "content does not match its hash")
            prev = row["hash"]
            checked += 1
            last_id = row["id"]
