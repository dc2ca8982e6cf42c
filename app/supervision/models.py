"""Tables of the supervision domain (监督检查): the checklist library, check plans, findings,
their evidence, and rectification orders (限令整改) with their steps."""

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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import AppUser, Deadline, ReachRule, Region, Unit, utcnow
from app.extensions import db
from app.supervision.states import (
    FindingSource,
    FindingState,
    OrderState,
    PlanKind,
    Severity,
)


class CheckPoint(db.Model):
    """One point of the province's checklist library: what is checked, how serious a breach
    is, the legal basis, and for an automatic check the key of its rule
    (:data:`app.supervision.rules.RULES`)."""

    __tablename__ = "supervision_check_point"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(String(256), nullable=False)
    severity: Mapped[str] = mapped_column(String(8), nullable=False, default=Severity.MEDIUM.value)
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False, default="")
    rule_key: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def severity_label(self) -> str:
        return Severity.label_of(self.severity)

    @property
    def rule_label(self) -> str:
        from app.supervision.rules import rule_label

        return rule_label(self.rule_key)

    def __repr__(self) -> str:
        return f"{self.code} {self.description}"


plan_region = Table(
    "supervision_plan_region",
    db.metadata,
    Column(
        "plan_id",
        ForeignKey("supervision_plan.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("region_id", ForeignKey("region.id"), primary_key=True),
)
plan_unit = Table(
    "supervision_plan_unit",
    db.metadata,
    Column(
        "plan_id",
        ForeignKey("supervision_plan.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True),
)
plan_point = Table(
    "supervision_plan_point",
    db.metadata,
    Column(
        "plan_id",
        ForeignKey("supervision_plan.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("check_point_id", ForeignKey("supervision_check_point.id"), primary_key=True),
)


class CheckPlan(db.Model):
    """A check plan: a period, a scope (regions and/or units within its supervisor's reach)
    and the check points. ``region_id`` is the region of the supervisor who made it: the plan is
    in the reach of that region's supervisors."""

    __tablename__ = "supervision_plan"
    __reach__ = ReachRule(region="region_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default=PlanKind.ONLINE.value)
    period_start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    period_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    created_by: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_run_summary: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    last_job_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    regions: Mapped[list[Region]] = relationship(secondary=plan_region, order_by="Region.code")
    units: Mapped[list[Unit]] = relationship(secondary=plan_unit, order_by="Unit.id")
    check_points: Mapped[list[CheckPoint]] = relationship(
        secondary=plan_point, order_by="CheckPoint.code"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self) -> str:
        return PlanKind.label_of(self.kind)

    @property
    def scope_label(self) -> str:
        return "、".join([r.name for r in self.regions] + [u.name for u in self.units])

    def __repr__(self) -> str:
        return self.name


class Finding(db.Model):
    """A breach found by an automatic check (linked to the offending record by
    ``object_type``/``object_id``) or recorded by a supervisor on site or as a mystery shopper.

    Automatic findings are written in bulk by a plan's run, which writes one audit record per
    run with what it opened and resolved."""

    __tablename__ = "supervision_finding"
    __reach__ = ReachRule(region="region_id", unit="unit_id")
    __audit_exclude__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("supervision_plan.id"), nullable=False)
    check_point_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_check_point.id"), nullable=False
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    source: Mapped[str] = mapped_column(
        String(8), nullable=False, default=FindingSource.AUTOMATIC.value
    )
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=FindingState.OPEN.value)
    rule_key: Mapped[str | None] = mapped_column(String(32))
    # The offending record (e.g. ImplementationItem #12); empty for a manual finding about a unit.
    object_type: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    found_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    resolution: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    recorded_by: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    plan: Mapped[CheckPlan] = relationship()
    check_point: Mapped[CheckPoint] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    order: Mapped[RectificationOrder | None] = relationship(back_populates="finding", uselist=False)
    evidence: Mapped[list[SupervisionEvidence]] = relationship(
        back_populates="finding", order_by="SupervisionEvidence.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # A re-run looks its plan's standing findings up by check point.
        Index("ix_supervision_finding_plan_point_state", "plan_id", "check_point_id", "state"),
        Index("ix_supervision_finding_unit_state", "unit_id", "state"),
        Index("ix_supervision_finding_region_state", "region_id", "state"),
    )

    @property
    def state_label(self) -> str:
        return FindingState.label_of(self.state)

    @property
    def source_label(self) -> str:
        return FindingSource.label_of(self.source)

    def __repr__(self) -> str:
        return f"#{self.id} {self.subject}"


class RectificationOrder(db.Model):
    """限令整改: a finding ordered to its unit with a deadline in working days."""

    __tablename__ = "supervision_order"
    __reach__ = ReachRule(region="region_id", unit="unit_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_finding.id"), nullable=False, unique=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=OrderState.ISSUED.value)
    requirement: Mapped[str] = mapped_column(Text, nullable=False, default="")
    working_days: Mapped[int] = mapped_column(Integer, nullable=False)
    # The running round's deadline: met by the unit's answer, a new one after a rejection.
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), nullable=False)
    measures: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reject_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    rounds: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # Whether any round was answered after its deadline (the figures' "closed on time").
    was_late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    issued_by: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    finding: Mapped[Finding] = relationship(back_populates="order")
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    deadline: Mapped[Deadline] = relationship(foreign_keys=[deadline_id])
    steps: Mapped[list[OrderStep]] = relationship(
        back_populates="order",
        order_by="OrderStep.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_supervision_order_unit_state", "unit_id", "state"),
        Index("ix_supervision_order_region_state", "region_id", "state"),
    )

    @property
    def state_label(self) -> str:
        return OrderState.label_of(self.state)

    @property
    def overdue(self) -> bool:
        """Waiting for the unit past its due date (the province's today)."""
        return self.deadline.completed_at is None and self.deadline.is_overdue()

    @property
    def deadline_label(self) -> str:
        return self.deadline.label

    def __repr__(self) -> str:
        return f"#{self.id} {self.state_label}"


class OrderStep(db.Model):
    """Who did what and when on an order (下达, 答复, 通过, 退回), with what they wrote."""

    __tablename__ = "supervision_order_step"
    __reach__ = ReachRule(via="order")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_order.id", ondelete="CASCADE"), nullable=False, index=True
    )
    step: Mapped[str] = mapped_column(String(16), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    overdue: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    actor_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    order: Mapped[RectificationOrder] = relationship(back_populates="steps")
    actor: Mapped[AppUser | None] = relationship()
    evidence: Mapped[list[SupervisionEvidence]] = relationship(
        back_populates="step", order_by="SupervisionEvidence.id"
    )

    @property
    def step_label(self) -> str:
        from app.supervision.states import ORDER

        return str(ORDER[self.step].label) if self.step in ORDER.by_name else self.step

    def __repr__(self) -> str:
        return f"{self.step} {self.actor_name}"


class SupervisionEvidence(db.Model):
    """A file behind a finding (photo, PDF of an on-site check) or an order's answer, checked by
    content and stored outside the web root (app.core.files); served only within reach."""

    __tablename__ = "supervision_evidence"
    __reach__ = ReachRule(via="finding")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_finding.id"), nullable=False, index=True
    )
    # The order's answer it proves; None for the finding's own evidence.
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("supervision_order_step.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(128), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    mimetype: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="evidence")
    step: Mapped[OrderStep | None] = relationship(back_populates="evidence")

    def __repr__(self) -> str:
        return self.filename


notice_unit = Table(
    "supervision_notice_unit",
    db.metadata,
    Column(
        "notice_id",
        ForeignKey("supervision_notice.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True),
)


class SupervisionNotice(db.Model):
    """An issued circulated notice (通报) of overdue orders: the Word document the supervisor
    edited and uploaded back, archived with who, when, scope, period and its SHA-256. Visible
    within the region's reach and to the units it names (``units``)."""

    __tablename__ = "supervision_notice"
    __reach__ = ReachRule(region="region_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    period_start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    period_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    title: Mapped[str] = mapped_column(String(256), nullable=False)
    order_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    issued_by: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    filename: Mapped[str] = mapped_column(String(128), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)

    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    units: Mapped[list[Unit]] = relationship(secondary=notice_unit, order_by="Unit.id")

    def __repr__(self) -> str:
        return self.title
