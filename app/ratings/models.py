"""Tables of the ratings domain (好差评): ratings, rectification tickets and their steps."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
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
from app.ratings.states import Channel, InvalidReason, Level, RaterType, TicketState


class Rating(db.Model):
    """One rating as the national platform exports it (or as hall staff record it by hand).

    Never edited after it is recorded: it is what the public said. The rater's name, phone and
    ID number are stored encrypted (``*_enc``, app.core.personal_data) beside their masks, which
    are what lists, exports, the API and the audit log show.
    """

    __tablename__ = "rating"
    __reach__ = ReachRule(region="region_id", unit="unit_id")
    # Written in bulk by imports, which write one audit record per import with masked values;
    # the generic row audit would copy the ciphertext of every row into the log.
    __audit_exclude__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The platform's rating id (评价编号): re-importing the same rating changes nothing.
    rating_no: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    # Copied from the unit so that region reach and the figures are one indexed comparison.
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("implementation_item.id"), nullable=False)
    implementation_code: Mapped[str] = mapped_column(String(31), nullable=False)
    item_name: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    handling_item: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    hall: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    window: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    case_no: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rater_type: Mapped[str] = mapped_column(
        String(8), nullable=False, default=RaterType.PERSON.value
    )
    id_type: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    rater_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    rater_name_masked: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    phone_masked: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    id_number_masked: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # The rater left a name and a way to reach them: a poor rating must then be called back.
    real_name: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    rated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    # The province's date of ``rated_at``: what the figures group by.
    rated_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    level: Mapped[str] = mapped_column(String(1), nullable=False)
    poor: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    item: Mapped[ImplementationItem] = relationship(foreign_keys=[item_id])
    ticket: Mapped[RectificationTicket | None] = relationship(
        back_populates="rating", uselist=False
    )

    __table_args__ = (
        # The figures: per day and unit, per day and region subtree, per item.
        Index("ix_rating_unit_day", "unit_id", "rated_on"),
        Index("ix_rating_region_day", "region_id", "rated_on"),
        Index("ix_rating_day", "rated_on"),
        Index("ix_rating_item_day", "item_id", "rated_on"),
    )

    @property
    def level_label(self) -> str:
        return Level.label_of(self.level)

    @property
    def channel_label(self) -> str:
        return Channel.label_of(self.channel)

    @property
    def rater_type_label(self) -> str:
        return RaterType.label_of(self.rater_type)

    def __repr__(self) -> str:
        return f"{self.rating_no} {self.level_label}"


class RectificationTicket(db.Model):
    """A poor rating's rectification (差评整改): verify → rectify → call back → closed."""

    __tablename__ = "rectification_ticket"
    __reach__ = ReachRule(region="region_id", unit="unit_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(
        ForeignKey("rating.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=TicketState.VERIFY.value)
    # The ticket's deadline (N working days after the rating) and the verification's (1).
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), nullable=False)
    verify_deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), nullable=False)
    # The steps' own deadlines, scheduled when the ticket reaches the step: rectify by the
    # ticket's due date, call back within RATING_CALL_BACK_DAYS working days of rectifying.
    rectify_deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id"))
    call_back_deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id"))
    invalid_reason: Mapped[str | None] = mapped_column(String(16))
    invalid_note: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    # How many times the unit rectified (an unsatisfied call-back sends it back once).
    rectify_rounds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    call_back_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    called_back: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    rating: Mapped[Rating] = relationship(back_populates="ticket")
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    deadline: Mapped[Deadline] = relationship(foreign_keys=[deadline_id])
    verify_deadline: Mapped[Deadline] = relationship(foreign_keys=[verify_deadline_id])
    rectify_deadline: Mapped[Deadline | None] = relationship(foreign_keys=[rectify_deadline_id])
    call_back_deadline: Mapped[Deadline | None] = relationship(foreign_keys=[call_back_deadline_id])
    steps: Mapped[list[TicketStep]] = relationship(
        back_populates="ticket",
        order_by="TicketStep.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_rectification_ticket_unit_state", "unit_id", "state"),
        Index("ix_rectification_ticket_region_state", "region_id", "state"),
    )

    @property
    def state_label(self) -> str:
        return TicketState.label_of(self.state)

    @property
    def invalid_reason_label(self) -> str:
        return InvalidReason.label_of(self.invalid_reason)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def overdue(self) -> bool:
        """Past its due date and not yet rectified (or late when it was)."""
        return self.deadline.is_overdue()

    @property
    def deadline_label(self) -> str:
        return self.deadline.label

    @property
    def step_deadline(self) -> Deadline | None:
        """The deadline of the step the ticket is at (verify, rectify, call back), if any."""
        return {
            TicketState.VERIFY.value: self.verify_deadline,
            TicketState.RECTIFY.value: self.rectify_deadline,
            TicketState.CALL_BACK.value: self.call_back_deadline,
        }.get(self.state)

    @property
    def step_overdue(self) -> bool:
        """The step the ticket is at is past its own due date."""
        deadline = self.step_deadline
        return deadline is not None and deadline.is_overdue()

    def __repr__(self) -> str:
        return f"#{self.id} {self.state_label}"


class TicketStep(db.Model):
    """Who did what and when on a ticket (核实, 整改, 回访, 办结), with what they wrote."""

    __tablename__ = "rectification_step"
    __reach__ = ReachRule(via="ticket")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_ticket.id", ondelete="CASCADE"), nullable=False, index=True
    )
    step: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    actor_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    ticket: Mapped[RectificationTicket] = relationship(back_populates="steps")
    actor: Mapped[AppUser | None] = relationship()
    evidence: Mapped[list[TicketEvidence]] = relationship(
        back_populates="step", order_by="TicketEvidence.id"
    )

    def __repr__(self) -> str:
        return f"{self.step} {self.actor_name}"


class TicketEvidence(db.Model):
    """A file proving a rectification (整改佐证), checked by content and stored outside the web
    root under a random name (app.core.files); shown only to who may see the ticket."""

    __tablename__ = "rectification_evidence"
    __reach__ = ReachRule(via="ticket")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_ticket.id", ondelete="CASCADE"), nullable=False, index=True
    )
    step_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_step.id", ondelete="CASCADE"), nullable=False, index=True
    )
    filename: Mapped[str] = mapped_column(String(128), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    mimetype: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    ticket: Mapped[RectificationTicket] = relationship()
    step: Mapped[TicketStep] = relationship(back_populates="evidence")

    def __repr__(self) -> str:
        return self.filename


class RatingDay(db.Model):
    """The figures' summary: counts per province date, unit and channel, rewritten from the
    ratings and tickets of a (day, unit) whenever one of them changes (app.ratings.figures), so
    that the figures page reads this small table instead of every rating."""

    __tablename__ = "rating_day"
    __reach__ = ReachRule(region="region_id", unit="unit_id")
    # Derived data, rewritten by the services whose own changes are audited.
    __audit_exclude__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rated_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    ratings: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    good: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    poor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Poor ratings agreed invalid: they leave the figures.
    invalid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Of the valid poor ratings:
    rectified: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rectified_on_time: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    real_name_poor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    called_back: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    real_name_called_back: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("unit_id", "rated_on", "channel"),
        Index("ix_rating_day_rated_on", "rated_on"),
        Index("ix_rating_day_region_day", "region_id", "rated_on"),
    )


class RatingMonth(db.Model):
    """The figures' summary by month: the :class:`RatingDay` rows of each (month, unit,
    channel) added up, rewritten with them. A period of whole months (a year: 12 rows per unit
    and channel instead of ~300) is read from here, only its partial months from the days."""

    __tablename__ = "rating_month"
    __reach__ = ReachRule(region="region_id", unit="unit_id")
    __audit_exclude__ = True  # derived, like RatingDay

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, nullable=False)  # its first day
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    ratings: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    good: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    poor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    invalid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rectified: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rectified_on_time: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    real_name_poor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    called_back: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    real_name_called_back: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("unit_id", "month", "channel"),
        Index("ix_rating_month_month", "month"),
        Index("ix_rating_month_region_month", "region_id", "month"),
    )
