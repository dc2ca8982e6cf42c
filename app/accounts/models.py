"""Window users, account requests, and the security bookkeeping (password history, sessions)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.states import RequestKind, RequestState, SessionKind, WindowUserStatus
from app.core.models import AppUser, ReachRule, Region, Unit, utcnow
from app.core.roles import WINDOW_STAFF
from app.extensions import db


class WindowUser(db.Model):
    """A person working at a service-hall window of a unit, with the login approved for them."""

    __tablename__ = "window_user"
    __reach__ = ReachRule(region="region_id", unit="unit_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_name: Mapped[str] = mapped_column(String(64), nullable=False)
    mobile: Mapped[str] = mapped_column(String(20), nullable=False)
    hall: Mapped[str] = mapped_column(String(128), nullable=False)
    window_no: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    role_name: Mapped[str] = mapped_column(String(64), nullable=False, default=WINDOW_STAFF)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    # The unit's region, kept here so that reach is a plain column comparison.
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), unique=True)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=WindowUserStatus.ACTIVE.value
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    unit: Mapped[Unit] = relationship()
    region: Mapped[Region] = relationship()
    user: Mapped[AppUser | None] = relationship(foreign_keys=[user_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_window_user_unit_status_name", "unit_id", "status", "person_name"),)

    @property
    def status_label(self) -> str:
        return WindowUserStatus.label_of(self.status)

    @property
    def username(self) -> str:
        return self.user.username if self.user is not None else ""

    @property
    def last_login(self) -> dt.datetime | None:
        return self.user.last_login if self.user is not None else None

    def __repr__(self) -> str:
        return f"{self.person_name}（{self.hall} {self.window_no}）".replace(" ）", "）")


class AccountRequest(db.Model):
    """A unit's request to create, move or cancel a window account; the coordinator decides."""

    __tablename__ = "account_request"
    __reach__ = ReachRule(region="region_id", unit="unit_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(
        String(16), nullable=False, default=RequestState.PENDING.value
    )
    # The requesting unit and its region (whose coordinator decides).
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    # transfer / cancel: the window user concerned.
    window_user_id: Mapped[int | None] = mapped_column(ForeignKey("window_user.id"), index=True)
    # new: the person; transfer: the new hall and window.
    person_name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    mobile: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    hall: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    window_no: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    role_name: Mapped[str] = mapped_column(String(64), nullable=False, default=WINDOW_STAFF)
    username: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # transfer: the unit the person moves to (same unit when only the window changes).
    target_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    region: Mapped[Region] = relationship()
    target_unit: Mapped[Unit | None] = relationship(foreign_keys=[target_unit_id])
    window_user: Mapped[WindowUser | None] = relationship()
    requested_by: Mapped[AppUser | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[AppUser | None] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_account_request_unit_state", "unit_id", "state", "requested_at"),
        Index("ix_account_request_requested_at_id", "requested_at", "id"),
    )

    @property
    def kind_label(self) -> str:
        return RequestKind.label_of(self.kind)

    @property
    def state_label(self) -> str:
        return RequestState.label_of(self.state)

    @property
    def subject(self) -> str:
        if self.window_user is not None:
            return repr(self.window_user)
        return self.person_name

    def __repr__(self) -> str:
        return f"{self.kind_label} #{self.id} {self.subject}"


class PasswordHistory(db.Model):
    """Hashes of a user's previous passwords (for the no-reuse rule). Never shown anywhere."""

    __tablename__ = "password_history"
    # Password hashes stay out of the audit log; changes are recorded as SECURITY events.
    __audit_exclude__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False
    )
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_password_history_user_created", "user_id", "created_at"),)


class UserSession(db.Model):
    """One signed-in session, of a browser (cookie) or of an API client (JWT, whose tokens carry
    ``sid`` as the ``zw_sid`` claim): for the online-users view, idle timeout, forced logout."""

    __tablename__ = "user_session"
    # Bookkeeping of every request; sign-in, sign-out and forced logout are audited explicitly.
    __audit_exclude__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False
    )
    ip: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    user_agent: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    kind: Mapped[str] = mapped_column(
        String(16),
        nullable=False,
        default=SessionKind.BROWSER.value,
        server_default=SessionKind.BROWSER.value,
    )

    user: Mapped[AppUser] = relationship()

    __table_args__ = (
        Index("ix_user_session_active_seen", "active", "last_seen_at"),
        Index("ix_user_session_user_id_active", "user_id", "active"),
    )

    @property
    def username(self) -> str:
        return self.user.username if self.user is not None else ""

    @property
    def kind_label(self) -> str:
        return SessionKind.label_of(self.kind)

    def __repr__(self) -> str:
        return f"{self.username or self.user_id} {self.ip}"
