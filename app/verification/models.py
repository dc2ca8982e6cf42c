"""Tables of the verification domain (免证办): requests between a window and an issuing unit,
and the results delivered with their voucher."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalogue.models import ImplementationItem
from app.core.models import AppUser, Deadline, ReachRule, Region, Unit, utcnow
from app.extensions import db
from app.verification.states import (
    Channel,
    Complexity,
    IdType,
    ListFilingState,
    MaterialKind,
    RequestState,
)


class VerificationRequest(db.Model):
    """A window's request to the unit that issues a document (seed 003 art. 10 (二)(三)).

    Three units share it: the window's unit that asks (``requester``), the unit that issues
    the document and answers (``issuer``), and the unit that approves the item of the case
    (``approver``, the item's unit). Each sees it within its reach; the result itself is
    readable only by the requester and the approver (art. 15, ``services.may_read_result``).
    The applicant's name and ID number are stored encrypted beside their masks.
    """

    __tablename__ = "verification_request"
    __reach__ = ReachRule(
        region="requester_region_id",
        unit="requester_unit_id",
        also=(("issuer_region_id", "issuer_unit_id"), ("approver_region_id", "approver_unit_id")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    requester_region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    issuer_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    issuer_region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("implementation_item.id"), nullable=False)
    approver_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    approver_region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    case_no: Mapped[str] = mapped_column(String(64), nullable=False)
    material_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    material_name: Mapped[str] = mapped_column(String(256), nullable=False)
    complexity: Mapped[str] = mapped_column(
        String(16), nullable=False, default=Complexity.GENERAL.value
    )
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default=Channel.WINDOW.value)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # 现场授权: who authorized the window to ask, with what ID, when.
    applicant_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    applicant_name_masked: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    id_type: Mapped[str] = mapped_column(String(16), nullable=False)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_masked: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    authorized_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    state: Mapped[str] = mapped_column(
        String(16), nullable=False, default=RequestState.PENDING.value
    )
    verify_deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), nullable=False)
    return_deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), nullable=False)
    return_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # 转办建议: the unit the issuer suggests, and its words.
    suggested_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    suggestion: Mapped[str] = mapped_column(Text, nullable=False, default="")
    rerouted_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("verification_request.id"), index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    requester_unit: Mapped[Unit] = relationship(foreign_keys=[requester_unit_id])
    requester_region: Mapped[Region] = relationship(foreign_keys=[requester_region_id])
    issuer_unit: Mapped[Unit] = relationship(foreign_keys=[issuer_unit_id])
    issuer_region: Mapped[Region] = relationship(foreign_keys=[issuer_region_id])
    approver_unit: Mapped[Unit] = relationship(foreign_keys=[approver_unit_id])
    approver_region: Mapped[Region] = relationship(foreign_keys=[approver_region_id])
    item: Mapped[ImplementationItem] = relationship(foreign_keys=[item_id])
    suggested_unit: Mapped[Unit | None] = relationship(foreign_keys=[suggested_unit_id])
    verify_deadline: Mapped[Deadline] = relationship(foreign_keys=[verify_deadline_id])
    return_deadline: Mapped[Deadline] = relationship(foreign_keys=[return_deadline_id])
    rerouted_from: Mapped[VerificationRequest | None] = relationship(
        remote_side=[id], foreign_keys=[rerouted_from_id]
    )
    requested_by: Mapped[AppUser | None] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[AppUser | None] = relationship(foreign_keys=[answered_by_id])
    result: Mapped[VerificationResult | None] = relationship(
        back_populates="request", uselist=False
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_verification_request_issuer_state", "issuer_unit_id", "state"),
        Index("ix_verification_request_requester_state", "requester_unit_id", "state"),
        Index("ix_verification_request_approver", "approver_unit_id"),
        Index("ix_verification_request_case", "case_no"),
    )

    @property
    def state_label(self) -> str:
        return RequestState.label_of(self.state)

    @property
    def material_kind_label(self) -> str:
        return MaterialKind.label_of(self.material_kind)

    @property
    def complexity_label(self) -> str:
        return Complexity.label_of(self.complexity)

    @property
    def channel_label(self) -> str:
        return Channel.label_of(self.channel)

    @property
    def id_type_label(self) -> str:
        return IdType.label_of(self.id_type)

    @property
    def is_open(self) -> bool:
        return self.state == RequestState.PENDING.value

    @property
    def overdue(self) -> bool:
        """Open past its verification time, or answered late (returned past its 15 minutes,
        verified past its 30 minutes / 24 hours)."""
        if self.state == RequestState.PENDING.value:
            return self.verify_deadline.is_overdue()
        if self.state == RequestState.VERIFIED.value:
            return self.verify_deadline.is_overdue()
        return self.return_deadline.is_overdue()

    @property
    def due_at(self) -> dt.datetime | None:
        """When the verification is due (stored UTC)."""
        return self.verify_deadline.due_at

    @property
    def return_due_at(self) -> dt.datetime | None:
        return self.return_deadline.due_at

    @property
    def provisional(self) -> bool:
        """A deadline reaches a year the calendar does not know yet."""
        return self.verify_deadline.provisional or self.return_deadline.provisional

    @property
    def deadline_label(self) -> str:
        return self.verify_deadline.label

    @property
    def item_name(self) -> str:
        return self.item.item_name

    def __repr__(self) -> str:
        return f"#{self.id} {self.material_name}"


class VerificationResult(db.Model):
    """The result the issuing unit uploaded (PDF or image, checked by content, stored outside
    the web root) with its voucher (凭证编号, art. 13): serves only the request's case."""

    __tablename__ = "verification_result"
    __reach__ = ReachRule(via="request")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("verification_request.id"), nullable=False, unique=True
    )
    voucher_no: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    # Copied from the request: the voucher states what it may be used for.
    case_no: Mapped[str] = mapped_column(String(64), nullable=False)
    conclusion: Mapped[str] = mapped_column(Text, nullable=False, default="")
    filename: Mapped[str] = mapped_column(String(128), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    mimetype: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    request: Mapped[VerificationRequest] = relationship(back_populates="result")
    issued_by: Mapped[AppUser | None] = relationship()

    def __repr__(self) -> str:
        return self.voucher_no


class FreeListEntry(db.Model):
    """One line of a unit's 免证办 item list: an item of the unit that accepts a document
    without the paper (the window asks the issuer instead)."""

    __tablename__ = "verification_list_entry"
    __reach__ = ReachRule(region="region_id", unit="unit_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("implementation_item.id"), nullable=False)
    material_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    material_name: Mapped[str] = mapped_column(String(256), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    unit: Mapped[Unit] = relationship()
    region: Mapped[Region] = relationship()
    item: Mapped[ImplementationItem] = relationship()

    __table_args__ = (
        UniqueConstraint("item_id", "material_name"),
        Index("ix_verification_list_entry_unit", "unit_id"),
    )

    @property
    def material_kind_label(self) -> str:
        return MaterialKind.label_of(self.material_kind)

    def __repr__(self) -> str:
        return f"#{self.item_id}: {self.material_name}"


class FreeListFiling(db.Model):
    """A unit's 免证办 item list filed with the office: a frozen snapshot and its hash, then
    acknowledged or returned for correction (like an implementation list's filing)."""

    __tablename__ = "verification_list_filing"
    __reach__ = ReachRule(region="region_id", unit="unit_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    state: Mapped[str] = mapped_column(
        String(16), nullable=False, default=ListFilingState.FILED.value
    )
    row_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    snapshot: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    unit: Mapped[Unit] = relationship()
    region: Mapped[Region] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_verification_list_filing_unit", "unit_id", "filed_at"),)

    @property
    def state_label(self) -> str:
        return ListFilingState.label_of(self.state)

    def __repr__(self) -> str:
        return f"#{self.id} {self.unit_id}"
