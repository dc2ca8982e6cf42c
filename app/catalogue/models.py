"""Tables of the service-item catalogue (DOMAIN.md §2): basic catalogue, item-type lookup,
implementation lists, adjustment requests with their review steps, published versions, filings.

These names and columns are a contract with the Excel import/export and the licence catalogue:
keep them stable.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.calendar import format_datetime
from app.core.models import Deadline, ReachRule, Region, Unit, utcnow
from app.extensions import db


class ItemType(db.Model):
    """Item-type lookup (事项类型), maintained as data because platforms number types differently.

    ``code`` is the platform code (01 许可, 05 给付, 07 确认, 08 奖励, 09 裁决, 20 其他行政权力,
    21 公共服务, …); ``application_driven`` marks the types that may enter the service-item
    catalogue (the six application-driven powers of seed 000 art. 2 and public services).
    """

    __tablename__ = "item_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    application_driven: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


#: The standardized guide elements of seed 000 art. 10: columns of a basic-catalogue entry,
#: inherited read-only by every implementation-list row (one list for forms, APIs and checks).
GUIDE_ELEMENTS = (
    "legal_basis",
    "acceptance_conditions",
    "application_materials",
    "legal_time_limit_days",
    "handling_process",
    "fee_standard",
    "complaint_phone",
    "form_content",
)


class BasicCatalogueEntry(db.Model):
    """An entry of the basic catalogue (基本目录), national or provincial, owned by the province.

    Its columns after ``status`` are the standardized elements of seed 000 art. 10, identical for
    the same item across the province and inherited read-only by every implementation-list row.
    ``basic_code`` follows the rule in :func:`app.catalogue.codes.basic_code_error`.
    """

    __tablename__ = "basic_catalogue_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    basic_code: Mapped[str] = mapped_column(String(12), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    item_type_id: Mapped[int] = mapped_column(ForeignKey("item_type.id"), nullable=False)
    # CatalogueSource: national / provincial
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    # EntryStatus: active / cancelled
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    competent_department: Mapped[str | None] = mapped_column(String(128))
    # -- standardized elements (seed 000 art. 10) --
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 设定依据
    acceptance_conditions: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 受理条件
    application_materials: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 申请材料
    legal_time_limit_days: Mapped[int] = mapped_column(Integer, nullable=False)  # 法定办结时限
    handling_process: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 办理流程
    fee_standard: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 收费标准
    complaint_phone: Mapped[str] = mapped_column(String(64), nullable=False, default="")  # 投诉电话
    form_content: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 表单内容
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    item_type: Mapped[ItemType] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_basic_catalogue_entry_name_id", "name", "id"),
        Index("ix_basic_catalogue_entry_item_type_id", "item_type_id"),
        Index("ix_basic_catalogue_entry_source_status", "source", "status"),
    )

    @property
    def source_label(self) -> str:
        from app.catalogue.states import CatalogueSource

        return CatalogueSource.label_of(self.source)

    @property
    def status_label(self) -> str:
        from app.catalogue.states import EntryStatus

        return EntryStatus.label_of(self.status)

    def __repr__(self) -> str:
        return f"{self.basic_code} {self.name}"


class ImplementationItem(db.Model):
    """One row of an implementation list (实施清单): a unit in a region implements a basic entry.

    Columns:

    * identity (derived, never typed): ``basic_entry_id``, ``unit_id``, ``region_id`` (the unit's
      region), ``exercise_level`` (行使层级 1–6, from the unit) and ``implementation_code`` — the
      31-character national form: unit credit code (18) + exercise level (1) + basic code (12).
    * standardized elements — NOT columns here: they are inherited read-only from
      ``basic_entry`` and exposed as properties (``item_name``, ``basic_code``,
      ``item_type_name``, ``legal_basis``, ``acceptance_conditions``, ``application_materials``,
      ``legal_time_limit_days``, ``handling_process``, ``fee_standard``, ``complaint_phone``,
      ``form_content``); see ``STANDARDIZED_FIELDS`` in :mod:`app.catalogue.services`.
    * personalized elements (filled by the unit; ``PERSONALIZED_FIELDS``): ``service_hours``
      办理时间, ``service_location`` 办理地点, ``consult_phone`` 咨询电话, ``approver`` 审批人员,
      ``promised_time_limit_days`` 承诺办结时限 (≤ 法定办结时限), ``handling_type`` 办件类型
      (instant 即办件 / promised 承诺件), ``onsite_visits`` 到现场次数, ``online_depth`` 网办深度
      (1–4), ``fully_online`` 全程网办, ``faq`` 常见问题, ``result_sample`` 结果样本.
    * workflow: ``status`` (ItemStatus: draft → active ⇄ suspended → cancelled / terminated),
      ``published_version_id`` (the one published version, None until first approval).

    A draft row is edited directly; once published it changes only through an approved
    adjustment request. Rules: :mod:`app.catalogue.services` (``validate_item_values``,
    ``create_implementation_item``, ``update_implementation_item``).
    """

    __tablename__ = "implementation_item"
    __reach__ = ReachRule(region="region_id", unit="unit_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    basic_entry_id: Mapped[int] = mapped_column(
        ForeignKey("basic_catalogue_entry.id"), nullable=False, index=True
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    exercise_level: Mapped[str] = mapped_column(String(1), nullable=False)
    implementation_code: Mapped[str] = mapped_column(String(31), unique=True, nullable=False)
    # ItemStatus
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    # -- personalized elements --
    service_hours: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    service_location: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    consult_phone: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    approver: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    promised_time_limit_days: Mapped[int | None] = mapped_column(Integer)
    handling_type: Mapped[str] = mapped_column(String(16), nullable=False, default="promised")
    onsite_visits: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    online_depth: Mapped[str] = mapped_column(String(1), nullable=False, default="1")
    fully_online: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    faq: Mapped[str] = mapped_column(Text, nullable=False, default="")
    result_sample: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # -- an approved suspension: its first day (the item stays in service until then, and the
    # public guide says so) and the day it is planned to resume (past it, it is overdue) --
    suspension_from: Mapped[dt.date | None] = mapped_column(Date)
    resume_by: Mapped[dt.date | None] = mapped_column(Date)
    # -- publication --
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "item_version.id",
            use_alter=True,
            name="fk_implementation_item_published",
            ondelete="SET NULL",
        )
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    basic_entry: Mapped[BasicCatalogueEntry] = relationship()
    region: Mapped[Region] = relationship()
    unit: Mapped[Unit] = relationship()
    published_version: Mapped[ItemVersion | None] = relationship(
        foreign_keys=[published_version_id], post_update=True
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_implementation_item_region_code", "region_id", "implementation_code"),
        Index("ix_implementation_item_unit_code", "unit_id", "implementation_code"),
        Index("ix_implementation_item_status", "status"),
    )

    # -- standardized elements, inherited read-only from the basic entry --
    @property
    def item_name(self) -> str:
        return self.basic_entry.name

    @property
    def basic_code(self) -> str:
        return self.basic_entry.basic_code

    @property
    def item_type_name(self) -> str:
        return self.basic_entry.item_type.name

    @property
    def legal_basis(self) -> str:
        return self.basic_entry.legal_basis

    @property
    def acceptance_conditions(self) -> str:
        return self.basic_entry.acceptance_conditions

    @property
    def application_materials(self) -> str:
        return self.basic_entry.application_materials

    @property
    def legal_time_limit_days(self) -> int:
        return self.basic_entry.legal_time_limit_days

    @property
    def handling_process(self) -> str:
        return self.basic_entry.handling_process

    @property
    def fee_standard(self) -> str:
        return self.basic_entry.fee_standard

    @property
    def complaint_phone(self) -> str:
        return self.basic_entry.complaint_phone

    @property
    def form_content(self) -> str:
        return self.basic_entry.form_content

    @property
    def status_label(self) -> str:
        from app.catalogue.states import ItemStatus

        return ItemStatus.label_of(self.status)

    @property
    def resume_overdue(self) -> bool:
        """Suspended past its planned resume date (no RESUME adjustment applied yet)."""
        from app.core.calendar import today

        resume_by = self.resume_by
        return self.status == "suspended" and resume_by is not None and resume_by < today()

    @property
    def suspension_label(self) -> str:
        """A planned or running suspension as the pages show it; empty when there is none."""
        from flask_babel import gettext

        if self.status == "active" and self.suspension_from is not None:
            text = gettext("To be suspended from %(day)s", day=self.suspension_from.isoformat())
            if self.resume_by is not None:
                text += gettext("; planned to resume on %(day)s", day=self.resume_by.isoformat())
            return text
        if self.status == "suspended" and self.resume_by is not None:
            text = gettext(
                "Suspended; planned to resume on %(day)s", day=self.resume_by.isoformat()
            )
            return text + " " + gettext("OVERDUE") if self.resume_overdue else text
        return ""

    @property
    def published_label(self) -> str:
        version = self.published_version
        return f"v{version.number} {format_datetime(version.published_at)}" if version else "—"

    def __repr__(self) -> str:
        name = self.basic_entry.name if self.basic_entry is not None else ""
        return f"{self.implementation_code} {name}"


class ItemVersion(db.Model):
    """A published version of an implementation item: a frozen JSON snapshot of every element.

    The public pages read only these rows (same-source publication, seed 000 art. 17).
    """

    __tablename__ = "item_version"
    __reach__ = ReachRule(via="item")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("implementation_item.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    snapshot: Mapped[str] = mapped_column(Text, nullable=False)
    adjustment_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "adjustment_request.id",
            use_alter=True,
            name="fk_item_version_adjustment",
            ondelete="SET NULL",
        )
    )
    note: Mapped[str] = mapped_column(String(256), nullable=False, default="")

    item: Mapped[ImplementationItem] = relationship(foreign_keys=[item_id])

    __table_args__ = (UniqueConstraint("item_id", "number"),)

    def __repr__(self) -> str:
        return f"v{self.number}"


class AdjustmentRequest(db.Model):
    """A dynamic-adjustment request (动态调整) on one implementation item (AdjustmentState).

    ``proposed_values`` (JSON object) holds the personalized elements a CHANGE proposes;
    ``baseline_values`` the item's values when it was submitted, so reviewers see a diff.
    """

    __tablename__ = "adjustment_request"
    __reach__ = ReachRule(region="region_id", unit="unit_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # AdjustmentKind
    state: Mapped[str] = mapped_column(String(24), nullable=False, default="draft")
    item_id: Mapped[int] = mapped_column(ForeignKey("implementation_item.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    ground: Mapped[str] = mapped_column(String(16), nullable=False)  # AdjustmentGround
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False, default="")
    explanation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    proposed_values: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    baseline_values: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    # Suspensions: the planned first day, and whether it is urgent (less than 5 working days).
    planned_start: Mapped[dt.date | None] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Suspensions: the day the item is planned to resume (after the first day), and when the
    # suspension took effect (at approval when its first day had come, else by the daily job).
    planned_resume: Mapped[dt.date | None] = mapped_column(Date)
    effective_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The deadline of the step now waiting (legality or final review), None otherwise.
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id"))
    legality_deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id"))
    final_deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id"))
    applied_version_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "item_version.id",
            use_alter=True,
            name="fk_adjustment_request_applied_version",
            ondelete="SET NULL",
        )
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    item: Mapped[ImplementationItem] = relationship()
    region: Mapped[Region] = relationship()
    unit: Mapped[Unit] = relationship()
    deadline: Mapped[Deadline | None] = relationship(foreign_keys=[deadline_id])
    legality_deadline: Mapped[Deadline | None] = relationship(foreign_keys=[legality_deadline_id])
    final_deadline: Mapped[Deadline | None] = relationship(foreign_keys=[final_deadline_id])
    steps: Mapped[list[AdjustmentStep]] = relationship(
        back_populates="adjustment", order_by="AdjustmentStep.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_adjustment_request_state_submitted", "state", "submitted_at", "id"),
        Index("ix_adjustment_request_created_at_id", "created_at", "id"),
        Index("ix_adjustment_request_region_id", "region_id"),
        Index("ix_adjustment_request_unit_id", "unit_id"),
        Index("ix_adjustment_request_item_id", "item_id"),
        Index("ix_adjustment_request_kind_planned_start", "kind", "planned_start"),
    )

    @property
    def kind_label(self) -> str:
        from app.catalogue.states import AdjustmentKind

        return AdjustmentKind.label_of(self.kind)

    @property
    def state_label(self) -> str:
        from app.catalogue.states import AdjustmentState

        return AdjustmentState.label_of(self.state)

    @property
    def ground_label(self) -> str:
        from app.catalogue.states import AdjustmentGround

        return AdjustmentGround.label_of(self.ground)

    @property
    def is_overdue(self) -> bool:
        """The running review step is past its working-day deadline."""
        return self.deadline is not None and self.deadline.is_overdue()

    @property
    def due_label(self) -> str:
        """The running review step's deadline as users read it (one label: Deadline.label)."""
        return self.deadline.label if self.deadline is not None else ""

    def __repr__(self) -> str:
        return f"#{self.id} {self.kind}"


class AdjustmentStep(db.Model):
    """One recorded step of an adjustment: who, when, what was decided and why."""

    __tablename__ = "adjustment_step"
    __reach__ = ReachRule(via="adjustment")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    adjustment_id: Mapped[int] = mapped_column(
        ForeignKey("adjustment_request.id", ondelete="CASCADE"), nullable=False, index=True
    )
    step: Mapped[str] = mapped_column(String(24), nullable=False)  # the state it left
    decision: Mapped[str] = mapped_column(String(24), nullable=False)  # the transition
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    overdue: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    adjustment: Mapped[AdjustmentRequest] = relationship(back_populates="steps")

    def __repr__(self) -> str:
        return f"{self.step} → {self.decision}"


class Filing(db.Model):
    """A region's implementation list filed (备案) with the province: a frozen snapshot + hash."""

    __tablename__ = "filing"
    __reach__ = ReachRule(region="region_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    # FilingState: filed / acknowledged / returned
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="filed")
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    filed_by: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    row_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    snapshot: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    region: Mapped[Region] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_filing_region_filed_at", "region_id", "filed_at", "id"),)

    @property
    def state_label(self) -> str:
        from app.catalogue.states import FilingState

        return FilingState.label_of(self.state)

    def __repr__(self) -> str:
        return f"#{self.id} {self.filed_at:%Y-%m-%d}"
