"""Core tables: regions, implementing units, users' reach, calendar, deadlines, audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Select,
    SmallInteger,
    String,
    Text,
    false,
    select,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.states import ExerciseLevel, RegionLevel, UnitKind
from app.extensions import db

AuditId = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> dt.datetime:
    """The current instant as stored: naive UTC, from the one clock (app.core.calendar)."""
    from app.core import calendar

    return calendar.now().replace(tzinfo=None)


@dataclass(frozen=True)
class ReachRule:
    """How a model's rows are placed in the reach of users (see :mod:`app.core.reach`).

    ``region``: the column holding the row's region id; ``unit``: the column holding its unit id;
    ``via``: a many-to-one relationship whose target decides instead (for child rows);
    ``owned``: the row has no place of its own and belongs to the rows that point at it (a
    deadline): it is in reach where one of them is;
    ``public``: a function returning a WHERE clause of rows that everybody may see and pick in a
    related list besides those in reach (the published licence catalogue); they are still
    written only within reach;
    ``also``: more (region column, unit column) placements of a row that several units share
    (a verification request between a window and the unit that issues the document): the row
    is in the reach of each of its placements.
    """

    region: str | None = None
    unit: str | None = None
    via: str | None = None
    owned: bool = False
    public: Callable[[], Any] | None = None
    also: tuple[tuple[str, str], ...] = ()


class Region(db.Model):
    """A node of the administrative-division tree (区划)."""

    @classmethod
    def subtree(cls, path: Any) -> Select[int]:
        """The ids of the region at ``path`` and every region below it.

        ``path`` is a region's materialized path (``/460000/460100/``) or a scalar subquery
        yielding one; a literal path is escaped, so ``%`` or ``_`` in it match themselves.
        """
        if isinstance(path, str):
            return select(cls.id).where(cls.path.startswith(path, autoescape=True))
        return select(cls.id).where(cls.path.startswith(path))

    __tablename__ = "region"
    __reach__ = ReachRule(region="id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    # Materialised path of codes, "/460000/460100/460105/": a subtree is a prefix match.
    path: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    parent: Mapped[Region | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent")

    __mapper_args__ = {"version_id_col": version}

    @property
    def level_enum(self) -> RegionLevel:
        return RegionLevel(self.level)

    @property
    def level_label(self) -> str:
        return RegionLevel.label_of(self.level)

    def __repr__(self) -> str:
        return f"{self.name}（{self.code}）"


class Unit(db.Model):
    """An implementing unit (实施单位), identified by its unified social credit code."""

    __tablename__ = "unit"
    __reach__ = ReachRule(region="region_id", unit="id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default=UnitKind.DEPARTMENT.value)
    # Derived from the region's level when left empty (see services.prepare_unit).
    exercise_level: Mapped[str] = mapped_column(String(1), nullable=False, default="")
    liaison_name: Mapped[str | None] = mapped_column(String(64))
    liaison_phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    region: Mapped[Region] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_unit_region_id_name", "region_id", "name"),)

    @property
    def kind_label(self) -> str:
        return UnitKind.label_of(self.kind)

    @property
    def exercise_level_label(self) -> str:
        return ExerciseLevel.label_of(self.exercise_level)

    def __repr__(self) -> str:
        return self.name


class AppUser(FabUser):
    """FAB's user with the reach fields: every user has a region and optionally a unit."""

    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}
    __reach__ = ReachRule(region="region_id", unit="unit_id")

    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)

    # Security state (app.accounts.policy): password age, forced change, lockout, session epoch.
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Bumped on password change, disable and forced logout: older sessions and JWTs stop working.
    session_epoch: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )

    region: Mapped[Region | None] = relationship(foreign_keys=[region_id])
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])


class CalendarYear(db.Model):
    """A year whose official holiday schedule is known (entered or seeded)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(32), nullable=False, default="manual")
    note: Mapped[str | None] = mapped_column(String(256))
    # Complete once the administrator has entered the whole schedule and said so: until then the
    # year counts as unknown and deadlines reaching it stay provisional.
    complete: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=true()
    )

    def __repr__(self) -> str:
        return str(self.year)


class CalendarDay(db.Model):
    """An exception to the weekday rule: a holiday on a weekday or a make-up working day (调休)."""

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_working_day: Mapped[bool] = mapped_column(Boolean, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    source: Mapped[str] = mapped_column(String(32), nullable=False, default="manual")

    def __repr__(self) -> str:
        return f"{self.day.isoformat()} {self.name}"


class Deadline(db.Model):
    """A working-day deadline that domain records point at, so the calendar can recompute it."""

    __tablename__ = "deadline"
    # In reach where the adjustment or objection pointing at it is.
    __reach__ = ReachRule(owned=True)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), nullable=False)
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    working_days: Mapped[int] = mapped_column(Integer, nullable=False)
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    # Computed on weekdays only because the calendar does not know a year it reaches.
    provisional: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A timed deadline (minutes or hours, seed 003) is due at an instant: ``due_at`` (naive
    # UTC), ``minutes`` after ``start_at`` counted on ``clock`` (app.core.calendar
    # OFFICE_MINUTES or NATURAL_HOURS); ``due_date`` is then the province's date of ``due_at``
    # and ``working_days`` 0, so every date-based reader keeps working.
    start_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    minutes: Mapped[int | None] = mapped_column(Integer)
    clock: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (
        Index("ix_deadline_open_due", "completed_at", "due_date"),
        Index("ix_deadline_provisional", "provisional"),
    )

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Judged on the province's dates: the day it was completed there, or its today; a
        timed deadline on its instant (``today`` is then ignored: the clock's now decides)."""
        from app.core import calendar

        if self.due_at is not None:
            moment = self.completed_at or calendar.now().replace(tzinfo=None)
            return moment > self.due_at
        if self.completed_at is not None:
            return calendar.local_date(self.completed_at) > self.due_date
        return (today or calendar.today()) > self.due_date

    @property
    def label(self) -> str:
        """Due date, provisional mark, done or overdue (``app.core.calendar.deadline_label``)."""
        from app.core import calendar

        return calendar.deadline_label(self)

    def __repr__(self) -> str:
        if self.due_at is not None:
            return f"{self.purpose} → {self.due_at.isoformat(sep=' ', timespec='minutes')}"
        return f"{self.purpose} → {self.due_date.isoformat()}"


class AuditLog(db.Model):
    """Append-only audit record; ``hash`` chains it to the previous row (see app.core.audit)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(AuditId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    ip: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    object_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    summary: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # How ``hash`` is computed (app.core.audit): 1 = HMAC-SHA256 keyed by AUDIT_HMAC_KEY (every
    # row the application writes); 0 = unkeyed SHA-256 (rows written before migration 0008, and
    # any row inserted without saying, which verification accepts only before the switch).
    key_version: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, default=1, server_default=text("0")
    )

    __table_args__ = (
        # Lists filter by equality on these and order by id: (filter column, id) serves both.
        Index("ix_audit_log_occurred_at_id", "occurred_at", "id"),
        Index("ix_audit_log_object", "object_type", "object_id", "id"),
        Index("ix_audit_log_actor_name", "actor_name", "id"),
        Index("ix_audit_log_action", "action", "id"),
    )

    def __repr__(self) -> str:
        return f"#{self.id} {self.action} {self.object_type}:{self.object_id}"

    # What the audit log's pages show (app.core.audit_display): labels, not codes.
    @property
    def action_label(self) -> str:
        from app.core.audit_display import action_label

        return action_label(self.action)

    @property
    def object_type_label(self) -> str:
        from app.core.audit_display import object_type_label

        return object_type_label(self.object_type)

    @property
    def summary_label(self) -> str:
        from app.core.audit_display import summary_label

        return summary_label(self.action, self.summary, self.object_type)

    @property
    def changes(self) -> Any:
        from app.core.audit_display import change_table

        return change_table(self.object_type, self.before, self.after)
