"""The append-only, keyed hash chain of the audit log (DOMAIN.md §10).

One SQLAlchemy session hook records every create, update and delete of every mapped model, with
the acting user, IP and the changed values before → after. Explicit events (login, failed login,
state transitions, exports, imports) go through :func:`record`. Each row stores the hash of the
previous row and its own hash: an HMAC-SHA256 over the previous hash and its content, keyed by
``AUDIT_HMAC_KEY`` (held outside the database, so someone who can write the table cannot
recompute the chain after an edit). Rows written before migration 0009 carry ``key_version`` 0
and were chained with plain SHA-256; they are checked with that rule, and only up to the last
unkeyed row recorded by the first checkpoint.

Checkpoints (:func:`write_checkpoint`, ``flask audit-checkpoint``, daily, and after retention)
anchor the newest and the oldest row outside the table: one HMAC-signed JSON line each in an
append-only file under ``REPORTS_DIR/audit-checkpoints/`` and in the application log.
:func:`verify_chain` (``flask audit-verify``) recomputes every row and compares both ends with
the checkpoints: a rewritten row, a cut at the newest end (tail) or at the oldest end (head)
beyond what retention dropped, and an altered checkpoint are reported. The application never
updates or deletes audit rows: the flush hook refuses it, and a database trigger refuses it too.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import fcntl
import functools
import hashlib
import hmac
import json
import logging
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.core.actor import Actor, session_actor
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
# audit_log.key_version: how a row's hash is computed.
UNKEYED = 0  # SHA-256 over the previous hash and the content (rows written before migration 0009)
KEYED = 1  # HMAC-SHA256 of the same bytes, keyed by AUDIT_HMAC_KEY
CHECKPOINT_FORMAT = 1
log = logging.getLogger("zwfw.audit")
log.setLevel(logging.INFO)  # checkpoints are logged at INFO wherever the deployment sends logs


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


def key_problem(key: str | None, secret_key: str | None = None) -> str | None:
    """Why ``key`` is not fit to key the audit chain in production, or None."""
    from config import DEFAULT_AUDIT_HMAC_KEY

    if not key or key == DEFAULT_AUDIT_HMAC_KEY:
        return "AUDIT_HMAC_KEY is not set (the development key is used)"
    if key == secret_key:
        return "AUDIT_HMAC_KEY must not be the SECRET_KEY"
    # A rough estimate of its entropy: length x log2(distinct characters); 32 random bytes as
    # hex (`python -c "import secrets; print(secrets.token_hex(32))"`) give 256 bits.
    if len(key) < 32 or len(key) * math.log2(len(set(key))) < 128:
        return "AUDIT_HMAC_KEY must be a random value of at least 32 characters (128 bits)"
    return None


@functools.lru_cache(maxsize=4)
def _derived_keys(key: str) -> tuple[bytes, bytes]:
    """The row key and the checkpoint key, derived from AUDIT_HMAC_KEY (one key per use)."""
    master = key.encode("utf-8")
    return (
        hmac.digest(master, b"zwfw audit row v1", "sha256"),
        hmac.digest(master, b"zwfw audit checkpoint v1", "sha256"),
    )


def _row_key() -> bytes:
    return _derived_keys(current_app.config["AUDIT_HMAC_KEY"])[0]


def _checkpoint_key() -> bytes:
    return _derived_keys(current_app.config["AUDIT_HMAC_KEY"])[1]


def row_hash(
    prev_hash: str, row: Mapping[Any, Any], key_version: int = KEYED, key: bytes | None = None
) -> str:
    """The chain hash of one row over the previous hash and the row's content: HMAC-SHA256
    with the audit key (``KEYED``, every new row), or plain SHA-256 (``UNKEYED``, rows written
    before the chain was keyed)."""
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
    ).encode("utf-8")
    if key_version == UNKEYED:
        return hashlib.sha256(payload).hexdigest()
    if key_version != KEYED:
        raise ValueError(f"unknown audit key version {key_version!r}")
    return hmac.digest(key or _row_key(), payload, "sha256").hex()


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
    the two), without encoding the fields every row of one call shares again for each row; the
    hash is the keyed one (HMAC-SHA256)."""
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
    # A keyed HMAC state copied per row: half the cost of hmac.digest's one-shot, which sets the
    # key up again for every row.
    keyed, text_of = hmac.new(_row_key(), digestmod="sha256"), json_string
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
        state = keyed.copy()
        state.update(payload.encode("utf-8"))
        mac = state.hexdigest()
        chained.append((action, object_type, object_id, summary, before, after, prev, mac))
        prev = mac
    return chained


def _append(session: Session, entries: Iterable[_Entry]) -> None:
    append_serialized(session, [entry.serialized() for entry in entries])


def append_serialized(
    session: Session, rows: list[tuple[str, str, str, str, str | None, str | None]]
) -> None:
    """:func:`append_many` as the session's actor."""
    append_many(session, session_actor(session), rows)


def append_many(
    session: Session,
    actor: Actor,
    rows: Sequence[tuple[str, str, str, str, str | None, str | None]],
) -> None:
    """Append events given as (action, object_type, object_id, summary, before JSON, after
    JSON), in order, to the chain, with the keyed hashes the ORM-hook path computes (one moment
    and ``actor`` for all of them): the one fast append, for bulk writers. The JSON is what
    :func:`dumps` makes of the values — :func:`dumps_varying` builds it fast for many records
    that differ in one value."""
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
    shared = {
        "occurred_at": utcnow(),  # one moment for the events of one call (one transaction step)
        "actor_id": actor.user_id,
        "actor_name": actor.username,
        "ip": actor.ip or "",
    }
    insert_rows(
        session,
        AuditLog.__table__,
        _chain(prev, shared, list(rows)),
        columns=_ROW_COLUMNS,
        fixed={**shared, "key_version": KEYED},
    )


def dumps_varying(values: dict[str, Any], key: str, each: Iterable[str]) -> Iterator[str]:
    """What :func:`dumps` makes of ``values`` with ``values[key]`` set to each text of ``each``
    in turn, the rest encoded once (a bulk import's one audit row per created record)."""
    marker = "\0"
    head, tail = dumps({**values, key: marker}).split(json_string(marker))  # type: ignore[union-attr]
    for text_value in each:
        yield head + json_string(text_value) + tail


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


# Checkpoints: the newest and the oldest row, anchored outside the table ---------------------


def checkpoint_path() -> Path:
    """This database's checkpoint archive, one JSON line per checkpoint, appended to only:
    ``REPORTS_DIR/audit-checkpoints/<driver>-<name>-<fingerprint>.jsonl`` (``AUDIT_CHECKPOINT_DIR``
    names another folder, e.g. a write-once mount). The file is named after the database (its
    driver and name, not its host or password), so the development, test and benchmark
    databases sharing one reports folder never read each other's checkpoints."""
    config = current_app.config
    folder = config.get("AUDIT_CHECKPOINT_DIR") or os.path.join(
        config["REPORTS_DIR"], "audit-checkpoints"
    )
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    backend, database = url.get_backend_name(), url.database or ""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(database).stem)[:40]
    fingerprint = hashlib.sha256(f"{backend}:{database}".encode()).hexdigest()[:10]
    return Path(folder) / f"{backend}-{stem or 'memory'}-{fingerprint}.jsonl"


def _checkpoint_mac(record: dict[str, Any]) -> str:
    body = json.dumps(
        {k: v for k, v in record.items() if k != "mac"},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.digest(_checkpoint_key(), body.encode("utf-8"), "sha256").hex()


@dataclass
class Checkpoint:
    line: int
    record: dict[str, Any]
    problem: str = ""  # why it is not trusted; "" when its HMAC matches

    @property
    def valid(self) -> bool:
        return not self.problem

    def describe(self) -> str:
        return f"the checkpoint of {self.record.get('written_at', '?')} (line {self.line})"


def read_checkpoints(path: Path | None = None) -> list[Checkpoint]:
    """Every line of the archive, in order, each with its HMAC checked."""
    path = path or checkpoint_path()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    checkpoints = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            checkpoints.append(Checkpoint(number, {}, "not a checkpoint (no JSON object)"))
            continue
        mac = record.get("mac")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, _checkpoint_mac(record)):
            problem = "its HMAC does not match (altered, or not written with this audit key)"
            checkpoints.append(Checkpoint(number, record, problem))
        else:
            checkpoints.append(Checkpoint(number, record))
    return checkpoints


def _table_state(session: Session, previous: dict[str, Any] | None) -> dict[str, Any]:
    """Count, oldest and newest row of the table, read in one statement (one snapshot)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # no append between this and the commit
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    rows, oldest_id, newest_id, oldest_hash, newest_hash = connection.execute(
        text(
            "SELECT count(*), min(id), max(id), "
            "(SELECT hash FROM audit_log WHERE id = (SELECT min(id) FROM audit_log)), "
            "(SELECT hash FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)) "
            "FROM audit_log"
        )
    ).one()
    if previous is not None and isinstance(previous.get("legacy_until"), int):
        legacy_until = previous["legacy_until"]  # the switch happened once, before it
    else:  # the first checkpoint records where the unkeyed rows (before migration 0009) end
        legacy_until = connection.execute(
            text("SELECT coalesce(max(id), 0) FROM audit_log WHERE key_version = :v"),
            {"v": UNKEYED},
        ).scalar_one()
    return {
        "rows": rows,
        "oldest_id": oldest_id,
        "oldest_hash": oldest_hash,
        "newest_id": newest_id,
        "newest_hash": newest_hash,
        "legacy_until": int(legacy_until),
    }


def write_checkpoint(session: Session, reason: str) -> dict[str, Any]:
    """Append a checkpoint of the table as it is now to the archive and to the log (INFO).

    It does not verify anything: callers verify first (a checkpoint taken after rows were cut
    would bless the cut)."""
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # one writer at a time: prev_mac names the last line
        trusted = [c for c in read_checkpoints(path) if c.valid]
        previous = trusted[-1].record if trusted else None
        record: dict[str, Any] = {
            "format": CHECKPOINT_FORMAT,
            "written_at": utcnow().isoformat(timespec="seconds") + "Z",
            "reason": reason,
            **_table_state(session, previous),
            "prev_mac": previous["mac"] if previous else None,
        }
        record["mac"] = _checkpoint_mac(record)
        line = json.dumps(record, ensure_ascii=False, sort_keys=True)
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    if not log.hasHandlers():  # no logging set up by the deployment: stderr (cron, journald)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
    log.info("audit checkpoint %s", line)
    return record


# Verification --------------------------------------------------------------------------------


@dataclass
class Finding:
    kind: str  # content, link, unkeyed, anchor, tail, head, count, checkpoint, no-checkpoint
    ids: tuple[int, ...]
    message: str

    @property
    def about_rows(self) -> bool:
        return self.kind not in {"checkpoint", "no-checkpoint"}


@dataclass
class ChainReport:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    checkpoint: Checkpoint | None = None  # the newest trusted checkpoint the ends were held to
    oldest_id: int | None = None
    newest_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def rows_ok(self) -> bool:
        """No finding about the rows (only, perhaps, about the checkpoint file)."""
        return not any(finding.about_rows for finding in self.findings)

    @property
    def first_bad_id(self) -> int | None:
        ids = [i for finding in self.findings for i in finding.ids]
        return min(ids) if ids else None

    @property
    def reason(self) -> str:
        return self.findings[0].message if self.findings else ""


def _runs(ids: list[int]) -> str:
    if len(ids) == 1:
        return f"row #{ids[0]}"
    return f"rows #{ids[0]}–#{ids[-1]} ({len(ids)} rows)"


def verify_chain(
    session: Session, batch: int = 5000, checkpoints: list[Checkpoint] | None = None
) -> ChainReport:
    """Recompute every row's hash in id order (each by its own key version), check that each
    row links to the one before it, and hold both ends to the checkpoints (the archive of this
    database unless ``checkpoints`` are given). Every finding names the rows concerned.

    Rows older than the retention period may have been dropped by the retention job, which
    writes a checkpoint with the new oldest row: the chain starts from whatever ``prev_hash``
    the oldest remaining row carries, and that row must be the one the newest checkpoint has.
    """
    if checkpoints is None:
        checkpoints = read_checkpoints()
    report = ChainReport()
    findings = report.findings
    before: Checkpoint | None = None
    for checkpoint in checkpoints:
        if not checkpoint.valid:
            findings.append(
                Finding(
                    "checkpoint", (), f"checkpoint line {checkpoint.line}: {checkpoint.problem}"
                )
            )
        elif before is None and checkpoint.record.get("prev_mac") is not None:
            findings.append(
                Finding(
                    "checkpoint",
                    (),
                    f"checkpoint line {checkpoint.line} follows a checkpoint that is not in the "
                    "file: the file's beginning was cut",
                )
            )
        elif (
            before is not None
            and before.valid
            and checkpoint.record.get("prev_mac") != before.record["mac"]
        ):
            findings.append(
                Finding(
                    "checkpoint",
                    (),
                    f"checkpoint line {checkpoint.line} does not follow line {before.line}: "
                    "checkpoints between them were removed",
                )
            )
        before = checkpoint
    trusted = [c for c in checkpoints if c.valid]
    latest = trusted[-1] if trusted else None
    report.checkpoint = latest
    if latest is None:
        findings.append(
            Finding(
                "no-checkpoint",
                (),
                f"no trusted checkpoint in {checkpoint_path()}: the newest and the oldest row are "
                "not anchored outside the table (a new installation: run `flask audit-checkpoint`)",
            )
        )
    legacy_until = trusted[0].record.get("legacy_until") if trusted else None
    floor = (latest.record.get("oldest_id") if latest else None) or 0
    # Rows the checkpoints name (each id once), from the newest checkpoint's oldest row on.
    anchors: dict[int, tuple[str, str]] = {}
    for checkpoint in reversed(trusted):
        for end in ("newest", "oldest"):
            row_id = checkpoint.record.get(f"{end}_id")
            if isinstance(row_id, int) and row_id >= floor and row_id not in anchors:
                anchors[row_id] = (
                    checkpoint.record.get(f"{end}_hash", ""),
                    f"the {end} row of {checkpoint.describe()}",
                )
    key = _row_key()
    table = AuditLog.__table__
    prev: str | None = None
    prev_id: int | None = None
    first_id: int | None = None
    first_keyed: int | None = None
    changed: list[int] = []
    unkeyed: list[int] = []
    found: set[int] = set()
    in_range = 0
    low, high = (
        (latest.record.get("oldest_id"), latest.record.get("newest_id")) if latest else (None, None)
    )

    def flush_changed() -> None:
        if changed:
            what = _runs(changed)
            later = " (and every later hash recomputed without the audit key)" * (len(changed) > 1)
            findings.append(
                Finding(
                    "content",
                    tuple(changed),
                    f"{what}: content does not match its hash: changed after it was written{later}",
                )
            )
            changed.clear()

    last_id = 0
    while True:
        rows = (
            session.execute(
                select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        for row in rows:
            row_id, version = row["id"], row["key_version"]
            if first_id is None:
                first_id = row_id
            if version == UNKEYED and (
                first_keyed is not None or (legacy_until is not None and row_id > legacy_until)
            ):
                unkeyed.append(row_id)
            elif version != UNKEYED and first_keyed is None:
                first_keyed = row_id
            if prev is not None and row["prev_hash"] != prev:
                findings.append(
                    Finding(
                        "link",
                        (row_id,),
                        f"row #{row_id}: prev_hash does not match the hash of row #{prev_id} "
                        "before it (rows deleted between them, or one of them replaced)",
                    )
                )
            try:
                intact = hmac.compare_digest(
                    row_hash(row["prev_hash"], row, version, key), row["hash"]
                )
            except ValueError:
                intact = False
            if intact:
                flush_changed()
            else:
                changed.append(row_id)
            if row_id in anchors:
                found.add(row_id)
                expected, what = anchors[row_id]
                if row["hash"] != expected:
                    findings.append(
                        Finding(
                            "anchor",
                            (row_id,),
                            f"row #{row_id} is not {what}: its hash differs (the row was replaced)",
                        )
                    )
            if low is not None and high is not None and low <= row_id <= high:
                in_range += 1
            prev, prev_id = row["hash"], row_id
            report.checked += 1
            last_id = row_id
    flush_changed()
    if unkeyed:
        since = (
            f"keyed row #{first_keyed}"
            if first_keyed is not None and (legacy_until is None or first_keyed <= legacy_until)
            else f"row #{legacy_until} (the last unkeyed row of the first checkpoint)"
        )
        findings.append(
            Finding(
                "unkeyed",
                tuple(unkeyed),
                f"{_runs(unkeyed)}: marked as hashed without the key (the rule before the chain "
                f"was keyed) but written after {since}: rewritten rows",
            )
        )
    report.oldest_id, report.newest_id = first_id, prev_id
    if latest is not None:
        cut = False
        where = latest.describe()
        if isinstance(high, int) and (prev_id is None or prev_id < high):
            cut = True
            now = f"the newest row now is #{prev_id}" if prev_id is not None else "no row is left"
            findings.append(
                Finding(
                    "tail",
                    (high,),
                    f"TAIL CUT: the newest rows were deleted: {where} has row #{high} as the "
                    f"newest, {now}; rows #{(prev_id or 0) + 1}–#{high} are gone",
                )
            )
        if isinstance(low, int) and (first_id is None or first_id > low):
            cut = True
            now = f"the oldest row now is #{first_id}" if first_id is not None else "no row is left"
            gone = f"#{low}–#{first_id - 1}" if first_id is not None else f"#{low}–#{high}"
            findings.append(
                Finding(
                    "head",
                    (low,),
                    "HEAD CUT: the oldest rows were deleted beyond what retention dropped: "
                    f"{where} has row #{low} as the oldest retained row, {now}; "
                    f"rows {gone} are gone",
                )
            )
        elif isinstance(low, int) and first_id is not None and first_id < low:
            cut = True
            findings.append(
                Finding(
                    "head",
                    (first_id,),
                    f"row #{first_id} is older than row #{low}, the oldest retained row of "
                    f"{where}: rows were inserted at the oldest end",
                )
            )
        for row_id in sorted(set(anchors) - found):
            if first_id is not None and prev_id is not None and first_id <= row_id <= prev_id:
                findings.append(
                    Finding("anchor", (row_id,), f"row #{row_id}, {anchors[row_id][1]}, is missing")
                )
        counted = latest.record.get("rows")
        if not cut and isinstance(counted, int) and in_range != counted:
            findings.append(
                Finding(
                    "count",
                    (),
                    f"{in_range} rows from #{low} to #{high}, {where} counted {counted}",
                )
            )
    return report
