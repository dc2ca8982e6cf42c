"""The automatic check rules (网上督查, seed 002 art. 36): a fixed, documented set in code.

A check point of the library names one of these by its key. Each rule is one set-based query
over the product's own data (never one query per record): it yields the offending records with
the unit and region they belong to, a subject and the values the detail is written from. A
plan's run (:func:`app.supervision.services.run_checks`) limits it to the plan's scope and the
actor's reach and turns each row into a finding.

The rules, and what the product's data does not support yet (left out, see README):

* ``elements_missing`` — a published item (in service or suspended) lacks a standardized element
  (受理条件, 申请材料, 办理流程, 投诉电话 of its basic entry) or a personalized one (办理时间,
  办理地点, 咨询电话; 承诺办结时限 of a 承诺件).
* ``promised_over_legal`` — 承诺办结时限 above the basic entry's 法定办结时限.
* ``no_legal_basis`` — a published item whose basic entry has no 设定依据.
* ``adjustment_overdue`` — an adjustment request in legality or final review past its review
  step's deadline.
* ``poor_rating_overdue`` — a poor-rating rectification ticket not rectified by its deadline.
* ``licence_objection_overdue`` — a licence objection not marked or not resolved by its
  deadline (seed 000 licence art. 18).
* ``suspension_past_resume`` — a suspended item past its planned resume date (seed 002 art. 14),
  by the catalogue's own criteria (``suspended_past_resume_date_query``).
* ``verification_overdue`` — a 免证办 verification request still awaiting its answer past its
  verify deadline (seed 003 art. 11), judged on the deadline's instant (its timed ``due_at``).

Not in the set (the data does not exist yet): online maturity below a target per item type (no
target is stored), licences accepted by an item but not linked for 免证办 (the items' accepted
licences are not recorded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from app.catalogue.models import AdjustmentRequest, BasicCatalogueEntry, ImplementationItem
from app.catalogue.services import suspended_past_resume_date_query
from app.core import calendar
from app.core.models import Deadline
from app.licences.models import LicenceEntry, LicenceObjection
from app.ratings.models import RectificationTicket
from app.verification.models import VerificationRequest
from app.verification.states import OPEN_STATES

_PUBLISHED = ("active", "suspended")

#: Elements checked by ``elements_missing``: (column, its Chinese name).
STANDARDIZED = (
    (BasicCatalogueEntry.acceptance_conditions, "受理条件"),
    (BasicCatalogueEntry.application_materials, "申请材料"),
    (BasicCatalogueEntry.handling_process, "办理流程"),
    (BasicCatalogueEntry.complaint_phone, "投诉电话"),
)
PERSONALIZED = (
    (ImplementationItem.service_hours, "办理时间"),
    (ImplementationItem.service_location, "办理地点"),
    (ImplementationItem.consult_phone, "咨询电话"),
)


def _blank(column: Any) -> Any:
    return func.coalesce(func.trim(column), "") == ""


@dataclass(frozen=True)
class Rule:
    """One automatic check: ``query(today)`` selects ``object_id``, ``unit_id``, ``region_id``,
    ``subject`` and what ``detail(row)`` writes the finding's detail from; ``model`` is the
    record a finding links to (its reach limits the query)."""

    key: str
    label: Any
    model: type
    query: Callable[[dt.date], Select]
    detail: Callable[[Any], str]

    @property
    def object_type(self) -> str:
        return self.model.__name__


def _item_subject() -> Any:
    return ImplementationItem.implementation_code + literal(" ") + BasicCatalogueEntry.name


def _published_items(*columns: Any) -> Select:
    return (
        select(
            ImplementationItem.id.label("object_id"),
            ImplementationItem.unit_id.label("unit_id"),
            ImplementationItem.region_id.label("region_id"),
            _item_subject().label("subject"),
            *columns,
        )
        .join(BasicCatalogueEntry, BasicCatalogueEntry.id == ImplementationItem.basic_entry_id)
        .where(ImplementationItem.status.in_(_PUBLISHED))
    )


def _elements_missing(today: dt.date) -> Select:
    flags = [_blank(column).label(f"m{i}") for i, (column, _n) in enumerate(STANDARDIZED)]
    flags += [
        _blank(column).label(f"m{len(STANDARDIZED) + i}")
        for i, (column, _n) in enumerate(PERSONALIZED)
    ]
    no_promise = and_(
        ImplementationItem.handling_type == "promised",
        ImplementationItem.promised_time_limit_days.is_(None),
    )
    flags.append(no_promise.label("m_promise"))
    conditions = [_blank(c) for c, _n in STANDARDIZED + PERSONALIZED] + [no_promise]
    return _published_items(*flags).where(or_(*conditions))


def _elements_detail(row: Any) -> str:
    names = [name for i, (_c, name) in enumerate(STANDARDIZED + PERSONALIZED) if row[f"m{i}"]]
    if row["m_promise"]:
        names.append("承诺办结时限")
    return _("Missing elements: %(names)s", names="、".join(names))


def _promised_over_legal(today: dt.date) -> Select:
    return _published_items(
        ImplementationItem.promised_time_limit_days.label("promised"),
        BasicCatalogueEntry.legal_time_limit_days.label("legal"),
    ).where(ImplementationItem.promised_time_limit_days > BasicCatalogueEntry.legal_time_limit_days)


def _promised_detail(row: Any) -> str:
    return _(
        "Promised time limit %(promised)d days is above the legal %(legal)d days.",
        promised=row["promised"],
        legal=row["legal"],
    )


def _no_legal_basis(today: dt.date) -> Select:
    return _published_items().where(_blank(BasicCatalogueEntry.legal_basis))


def _adjustment_overdue(today: dt.date) -> Select:
    return (
        select(
            AdjustmentRequest.id.label("object_id"),
            AdjustmentRequest.unit_id.label("unit_id"),
            AdjustmentRequest.region_id.label("region_id"),
            (
                ImplementationItem.implementation_code + literal(" ") + BasicCatalogueEntry.name
            ).label("subject"),
            Deadline.due_date.label("due"),
        )
        .join(Deadline, Deadline.id == AdjustmentRequest.deadline_id)
        .join(ImplementationItem, ImplementationItem.id == AdjustmentRequest.item_id)
        .join(BasicCatalogueEntry, BasicCatalogueEntry.id == ImplementationItem.basic_entry_id)
        .where(
            AdjustmentRequest.state.in_(("legality_review", "final_review")),
            Deadline.completed_at.is_(None),
            Deadline.due_date < today,
        )
    )


def _due_detail(row: Any) -> str:
    return _("Due on %(due)s, not done.", due=row["due"].isoformat())


def _poor_rating_overdue(today: dt.date) -> Select:
    from app.ratings.models import Rating

    return (
        select(
            RectificationTicket.id.label("object_id"),
            RectificationTicket.unit_id.label("unit_id"),
            RectificationTicket.region_id.label("region_id"),
            (Rating.rating_no + literal(" ") + Rating.item_name).label("subject"),
            Deadline.due_date.label("due"),
        )
        .join(Rating, Rating.id == RectificationTicket.rating_id)
        .join(Deadline, Deadline.id == RectificationTicket.deadline_id)
        .where(Deadline.completed_at.is_(None), Deadline.due_date < today)
    )


def _licence_objection_overdue(today: dt.date) -> Select:
    mark = aliased(Deadline)
    verify = aliased(Deadline)
    late = or_(
        and_(mark.completed_at.is_(None), mark.due_date < today),
        and_(verify.completed_at.is_(None), verify.due_date < today),
    )
    return (
        select(
            LicenceObjection.id.label("object_id"),
            LicenceEntry.issuing_unit_id.label("unit_id"),
            LicenceEntry.region_id.label("region_id"),
            (LicenceEntry.name + literal(" ") + LicenceObjection.licence_number).label("subject"),
            case(
                (and_(mark.completed_at.is_(None), mark.due_date < today), mark.due_date),
                else_=verify.due_date,
            ).label("due"),
        )
        .join(LicenceEntry, LicenceEntry.id == LicenceObjection.entry_id)
        .join(mark, mark.id == LicenceObjection.mark_deadline_id)
        .join(verify, verify.id == LicenceObjection.verify_deadline_id)
        .where(late)
    )


def _suspension_past_resume(today: dt.date) -> Select:
    catalogue = suspended_past_resume_date_query(today).whereclause
    assert catalogue is not None  # the catalogue's query is its WHERE clause
    return _published_items(ImplementationItem.resume_by.label("resume_by")).where(catalogue)


def _resume_detail(row: Any) -> str:
    return _(
        "Suspended; planned to resume on %(day)s, not resumed.", day=row["resume_by"].isoformat()
    )


def _verification_overdue(today: dt.date) -> Select:
    # A timed deadline is due at an instant (naive UTC): late once the clock passes it, but
    # never after ``today`` (a run for a past day does not count what fell due later).
    now = calendar.now().replace(tzinfo=None)
    late = or_(
        Deadline.due_date < today,
        and_(Deadline.due_at.is_not(None), Deadline.due_at < now, Deadline.due_date <= today),
    )
    return (
        select(
            VerificationRequest.id.label("object_id"),
            VerificationRequest.issuer_unit_id.label("unit_id"),
            VerificationRequest.issuer_region_id.label("region_id"),
            (VerificationRequest.case_no + literal(" ") + VerificationRequest.material_name).label(
                "subject"
            ),
            Deadline.due_at.label("due_at"),
            Deadline.due_date.label("due"),
        )
        .join(Deadline, Deadline.id == VerificationRequest.verify_deadline_id)
        .where(
            VerificationRequest.state.in_(OPEN_STATES),
            Deadline.completed_at.is_(None),
            late,
        )
    )


def _verification_detail(row: Any) -> str:
    due = row["due_at"]
    if due is None:
        return _due_detail(row)
    return _("Due at %(moment)s, not answered.", moment=calendar.format_datetime(due))


_RULES = (
    Rule(
        "elements_missing",
        _l("Standardized or personalized elements missing"),
        ImplementationItem,
        _elements_missing,
        _elements_detail,
    ),
    Rule(
        "promised_over_legal",
        _l("Promised time limit above the legal one"),
        ImplementationItem,
        _promised_over_legal,
        _promised_detail,
    ),
    Rule(
        "no_legal_basis",
        _l("Published without a legal basis"),
        ImplementationItem,
        _no_legal_basis,
        lambda row: _("The basic entry has no legal basis (设定依据)."),
    ),
    Rule(
        "adjustment_overdue",
        _l("Adjustment request past its review deadline"),
        AdjustmentRequest,
        _adjustment_overdue,
        _due_detail,
    ),
    Rule(
        "poor_rating_overdue",
        _l("Poor-rating ticket past its deadline"),
        RectificationTicket,
        _poor_rating_overdue,
        _due_detail,
    ),
    Rule(
        "licence_objection_overdue",
        _l("Licence objection past its deadline"),
        LicenceObjection,
        _licence_objection_overdue,
        _due_detail,
    ),
    Rule(
        "suspension_past_resume",
        _l("Suspended item past its planned resume date"),
        ImplementationItem,
        _suspension_past_resume,
        _resume_detail,
    ),
    Rule(
        "verification_overdue",
        _l("Verification request not answered by its deadline"),
        VerificationRequest,
        _verification_overdue,
        _verification_detail,
    ),
)
RULES: dict[str, Rule] = {rule.key: rule for rule in _RULES}


def rule_label(key: str | None) -> str:
    rule = RULES.get(key or "")
    return str(rule.label) if rule is not None else ""


def rule_choices() -> list[tuple[str, str]]:
    return [(rule.key, str(rule.label)) for rule in _RULES]
