"""Tables of the licence domain (电子证照): catalogue entries and what hangs on them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalogue.models import ImplementationItem
from app.core import calendar
from app.core.models import AppUser, Deadline, ReachRule, Region, Unit, utcnow
from app.extensions import db
from app.licences.states import (
    FaceFieldType,
    HolderCategory,
    ObjectionOutcome,
    ObjectionSource,
    ObjectionState,
    ReviewState,
    StatusEventType,
    TrustLevel,
    UsageMode,
    ValidityRule,
)

# What the published licence catalogue shows to every unit and window (seed 000 licence art. 6).
PUBLISHED_STATES = (ReviewState.APPROVED.value, ReviewState.DEPRECATED.value)


class ReviewedMixin:
    """The review cycle shared by registrations (art. 6) and usage applications (art. 15)."""

    state: Mapped[str] = mapped_column(String(16), nullable=False, default=ReviewState.DRAFT.value)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # JSON snapshot of what the reviewer rejected last: the review page diffs against it.
    rejected_snapshot: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    @property
    def state_label(self) -> str:
        return ReviewState.label_of(self.state)


class LicenceEntry(ReviewedMixin, db.Model):
    """A licence catalogue entry (证照目录): one licence type, registered by its issuing unit."""

    __tablename__ = "licence_entry"
    # Published (and deprecated, still readable) entries are the province-wide catalogue.
    __reach__ = ReachRule(
        region="region_id",
        unit="issuing_unit_id",
        public=lambda: LicenceEntry.state.in_(PUBLISHED_STATES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    # The defining body's 18-character credit code + a 3-digit number (证照类型代码).
    type_code: Mapped[str] = mapped_column(String(21), nullable=False, unique=True)
    issuing_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    # Copied from the issuing unit so that region reach is one indexed comparison.
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    holder_category: Mapped[str] = mapped_column(
        String(16), nullable=False, default=HolderCategory.LEGAL_PERSON.value
    )
    validity_rule: Mapped[str] = mapped_column(
        String(16), nullable=False, default=ValidityRule.LONG_TERM.value
    )
    validity_years: Mapped[int | None] = mapped_column(Integer)
    trust_level: Mapped[str] = mapped_column(
        String(16), nullable=False, default=TrustLevel.SEALED.value
    )
    description: Mapped[str | None] = mapped_column(Text)
    # Sample file: stored outside the web root under a generated name (see services).
    sample_stored_name: Mapped[str | None] = mapped_column(String(64))
    sample_filename: Mapped[str | None] = mapped_column(String(128))
    sample_mimetype: Mapped[str | None] = mapped_column(String(32))
    sample_size: Mapped[int | None] = mapped_column(Integer)
    deprecated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deprecation_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    issuing_unit: Mapped[Unit] = relationship(foreign_keys=[issuing_unit_id])
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    submitted_by: Mapped[AppUser | None] = relationship(foreign_keys="LicenceEntry.submitted_by_id")
    reviewed_by: Mapped[AppUser | None] = relationship(foreign_keys="LicenceEntry.reviewed_by_id")
    face_fields: Mapped[list[LicenceFaceField]] = relationship(
        back_populates="entry",
        order_by="(LicenceFaceField.position, LicenceFaceField.id)",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_licence_entry_state_submitted_at", "state", "submitted_at", "id"),
        Index("ix_licence_entry_issuing_unit_id_name", "issuing_unit_id", "name"),
        Index("ix_licence_entry_name_id", "name", "id"),
    )

    @property
    def holder_category_label(self) -> str:
        return HolderCategory.label_of(self.holder_category)

    @property
    def validity_label(self) -> str:
        label = ValidityRule.label_of(self.validity_rule)
        if self.validity_rule == ValidityRule.FIXED_YEARS.value and self.validity_years:
            return f"{label}（{self.validity_years}）"
        return label

    @property
    def trust_level_label(self) -> str:
        return TrustLevel.label_of(self.trust_level)

    @property
    def face_fields_text(self) -> str:
        return "\n".join(
            f"{f.position}. {f.name}（{f.data_type_label}" + ("，*）" if f.required else "）")
            for f in self.face_fields
        )

    @property
    def is_published(self) -> bool:
        return self.state == ReviewState.APPROVED.value

    def __repr__(self) -> str:
        return f"{self.name}（{self.type_code}）"


class LicenceFaceField(db.Model):
    """One face field (照面信息项) of a catalogue entry, in the entry's order."""

    __tablename__ = "licence_face_field"
    __reach__ = ReachRule(via="entry")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("licence_entry.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    data_type: Mapped[str] = mapped_column(
        String(16), nullable=False, default=FaceFieldType.TEXT.value
    )
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    entry: Mapped[LicenceEntry] = relationship(back_populates="face_fields")

    __table_args__ = (Index("ix_licence_face_field_entry_id_position", "entry_id", "position"),)

    @property
    def data_type_label(self) -> str:
        return FaceFieldType.label_of(self.data_type)

    def __repr__(self) -> str:
        return self.name


# The implementation-list rows a usage application names (the applicant's own items).
licence_usage_item = Table(
    "licence_usage_item",
    db.Model.metadata,
    Column(
        "application_id",
        ForeignKey("licence_usage_application.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("item_id", ForeignKey("implementation_item.id", ondelete="CASCADE"), primary_key=True),
)


class LicenceUsageApplication(ReviewedMixin, db.Model):
    """A unit's application to use a licence type (art. 15), reviewed by the big-data bureau."""

    __tablename__ = "licence_usage_application"
    __reach__ = ReachRule(region="region_id", unit="applicant_unit_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("licence_entry.id"), nullable=False)
    can_call: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    can_view: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    can_verify: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    can_authorize: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    mode: Mapped[str] = mapped_column(
        String(16), nullable=False, default=UsageMode.GOVERNMENT_SHARING.value
    )
    # The service items the licence is needed for, as named by the applicant.
    service_items: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    requested_end_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    # Set by the reviewer on approval.
    approved_scope: Mapped[str | None] = mapped_column(Text)
    approved_end_date: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    applicant_unit: Mapped[Unit] = relationship(foreign_keys=[applicant_unit_id])
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    entry: Mapped[LicenceEntry] = relationship(foreign_keys=[entry_id])
    items: Mapped[list[ImplementationItem]] = relationship(secondary=licence_usage_item)
    submitted_by: Mapped[AppUser | None] = relationship(
        foreign_keys="LicenceUsageApplication.submitted_by_id"
    )
    reviewed_by: Mapped[AppUser | None] = relationship(
        foreign_keys="LicenceUsageApplication.reviewed_by_id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_licence_usage_application_state_submitted_at", "state", "submitted_at", "id"),
        Index("ix_licence_usage_application_applicant_unit_id", "applicant_unit_id", "id"),
        Index("ix_licence_usage_application_entry_id", "entry_id"),
    )

    @property
    def mode_label(self) -> str:
        return UsageMode.label_of(self.mode)

    @property
    def actions_label(self) -> str:
        from app.licences.states import UsageAction

        flags = {
            UsageAction.CALL: self.can_call,
            UsageAction.VIEW: self.can_view,
            UsageAction.VERIFY: self.can_verify,
            UsageAction.AUTHORIZE: self.can_authorize,
        }
        return "、".join(str(action.label) for action, on in flags.items() if on)

    def is_expired(self, today: dt.date | None = None) -> bool:
        today = today or calendar.today()
        return (
            self.state == ReviewState.APPROVED.value
            and self.approved_end_date is not None
            and self.approved_end_date < today
        )

    @property
    def state_label(self) -> str:
        if self.is_expired():
            from flask_babel import gettext as _

            return _("Expired")
        return ReviewState.label_of(self.state)

    def __repr__(self) -> str:
        return f"#{self.id} {self.entry.name if self.entry else ''}"


class LicenceObjection(db.Model):
    """An objection to a licence's data (art. 18), handled by the issuing unit."""

    __tablename__ = "licence_objection"
    __reach__ = ReachRule(via="entry")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("licence_entry.id"), nullable=False)
    licence_number: Mapped[str] = mapped_column(String(96), nullable=False, index=True)
    holder_name: Mapped[str] = mapped_column(String(128), nullable=False)
    disputed_field: Mapped[str] = mapped_column(String(64), nullable=False)
    claim: Mapped[str] = mapped_column(Text, nullable=False)
    raised_by: Mapped[str] = mapped_column(String(128), nullable=False)
    source: Mapped[str] = mapped_column(
        String(16), nullable=False, default=ObjectionSource.HOLDER.value
    )
    received_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(
        String(16), nullable=False, default=ObjectionState.RECEIVED.value
    )
    mark_deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), nullable=False)
    verify_deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), nullable=False)
    marked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    applicant_told_on: Mapped[dt.date | None] = mapped_column(Date)
    applicant_told_how: Mapped[str | None] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    entry: Mapped[LicenceEntry] = relationship(foreign_keys=[entry_id])
    mark_deadline: Mapped[Deadline] = relationship(foreign_keys=[mark_deadline_id])
    verify_deadline: Mapped[Deadline] = relationship(foreign_keys=[verify_deadline_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_licence_objection_received_on_id", "received_on", "id"),
        Index("ix_licence_objection_entry_id", "entry_id"),
    )

    @property
    def state_label(self) -> str:
        return ObjectionState.label_of(self.state)

    @property
    def source_label(self) -> str:
        return ObjectionSource.label_of(self.source)

    @property
    def outcome_label(self) -> str:
        return ObjectionOutcome.label_of(self.outcome)

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """A deadline still open past its due date (a late but done step is no longer flagged)."""
        return any(
            deadline.completed_at is None and deadline.is_overdue(today)
            for deadline in (self.mark_deadline, self.verify_deadline)
        )

    @property
    def overdue(self) -> str:
        from flask_babel import gettext as _

        return _("Overdue") if self.is_overdue() else ""

    @property
    def overdue_flag(self) -> bool:
        return self.is_overdue()

    @property
    def mark_due_date(self) -> str:
        return self.mark_deadline.due_date.isoformat()

    @property
    def verify_due_date(self) -> str:
        return self.verify_deadline.due_date.isoformat()

    @property
    def deadlines_provisional(self) -> bool:
        return self.mark_deadline.provisional or self.verify_deadline.provisional

    @property
    def mark_due(self) -> str:
        return self.mark_deadline.label if self.mark_deadline is not None else ""

    @property
    def verify_due(self) -> str:
        return self.verify_deadline.label if self.verify_deadline is not None else ""

    def __repr__(self) -> str:
        return f"#{self.id} {self.licence_number}"


class LicenceStatusEvent(db.Model):
    """A status event of one licence (art. 8): 变更/年检/延期/吊销/注销/废止/质押."""

    __tablename__ = "licence_status_event"
    __reach__ = ReachRule(via="entry")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("licence_entry.id"), nullable=False)
    licence_number: Mapped[str] = mapped_column(String(96), nullable=False)
    event_type: Mapped[str] = mapped_column(String(16), nullable=False)
    event_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    entry: Mapped[LicenceEntry] = relationship(foreign_keys=[entry_id])

    __table_args__ = (
        Index("ix_licence_status_event_number_date", "licence_number", "event_date", "id"),
        Index("ix_licence_status_event_event_date_id", "event_date", "id"),
        Index("ix_licence_status_event_entry_id", "entry_id"),
    )

    @property
    def event_type_label(self) -> str:
        return StatusEventType.label_of(self.event_type)

    def __repr__(self) -> str:
        return f"{self.licence_number} {self.event_type_label} {self.event_date.isoformat()}"


class LicenceItemLink(db.Model):
    """A service item (implementation-list row) that accepts a licence type (免证办, seed 003):
    the applicant need not bring the paper licence. The link belongs to the item's unit."""

    __tablename__ = "licence_item_link"
    __reach__ = ReachRule(via="item")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("licence_entry.id", ondelete="CASCADE"), nullable=False, index=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("implementation_item.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    entry: Mapped[LicenceEntry] = relationship(foreign_keys=[entry_id])
    item: Mapped[ImplementationItem] = relationship(foreign_keys=[item_id])

    __table_args__ = (UniqueConstraint("item_id", "entry_id"),)

    @property
    def item_name(self) -> str:
        return self.item.item_name if self.item is not None else ""

    @property
    def item_unit(self) -> str:
        return self.item.unit.name if self.item is not None and self.item.unit else ""

    @property
    def entry_trust_label(self) -> str:
        return self.entry.trust_level_label if self.entry is not None else ""

    def __repr__(self) -> str:
        return f"{self.item_name} ← {self.entry.name if self.entry else ''}"
