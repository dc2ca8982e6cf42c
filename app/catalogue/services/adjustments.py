"""Adjustment requests: their creation and checks, and the state machine (submit, legality
review, approve, reject) on the core workflow."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, TypedDict

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.catalogue.models import AdjustmentRequest, AdjustmentStep, ImplementationItem
from app.catalogue.services.items import (
    clean_item_values,
    item_value_errors,
    item_values,
    require_role,
)
from app.catalogue.services.publication import FieldChange, diff, publish
from app.catalogue.states import (
    ADJUSTMENT,
    FINAL_REVIEW_DAYS,
    GROUNDS_BY_KIND,
    KIND_FROM_STATUS,
    KIND_TO_STATUS,
    LEGALITY_REVIEW_DAYS,
    PROPOSERS,
    SUSPENSION_NOTICE_DAYS,
    AdjustmentGround,
    AdjustmentKind,
    AdjustmentState,
    ItemStatus,
)
from app.core import calendar, workflow
from app.core.actor import Actor
from app.core.calendar import WorkingCalendar, schedule_deadline
from app.core.errors import InvalidTransition, ValidationError, join_messages
from app.core.models import Deadline, utcnow

# -- adjustments: creation ---------------------------------------------------------------------


def _open_adjustment_exists(session: Session, item_id: int, exclude: int | None = None) -> bool:
    query = select(AdjustmentRequest.id).where(
        AdjustmentRequest.item_id == item_id,
        AdjustmentRequest.state != AdjustmentState.APPLIED.value,
    )
    if exclude:
        query = query.where(AdjustmentRequest.id != exclude)
    return session.execute(query).first() is not None


def proposed(adjustment: AdjustmentRequest) -> dict[str, Any]:
    return json.loads(adjustment.proposed_values or "{}")


def kinds_for(item: ImplementationItem) -> list[str]:
    """The kinds of adjustment an item's status allows (the rule the validation checks)."""
    return [kind for kind, statuses in KIND_FROM_STATUS.items() if item.status in statuses]


def adjustment_editable(adjustment: AdjustmentRequest) -> bool:
    """A request is edited while its proposer holds it: a draft, or returned by a reviewer."""
    return adjustment.state in (AdjustmentState.DRAFT.value, AdjustmentState.RETURNED.value)


def validate_adjustment(
    session: Session, adjustment: AdjustmentRequest, *, basis_later: bool = False
) -> None:
    """The guards on an adjustment's content (creation and edits before submission).

    ``basis_later``: a draft proposed by a bulk import, whose unit states the legal basis
    before it submits (submission checks it again without this exemption)."""
    with session.no_autoflush:
        _validate_adjustment(session, adjustment, basis_later=basis_later)


def _validate_adjustment(
    session: Session, adjustment: AdjustmentRequest, *, basis_later: bool = False
) -> None:
    item = adjustment.item or session.get(ImplementationItem, adjustment.item_id)
    errors: dict[str, str] = {}
    if item is None:
        raise ValidationError(errors={"item": _("Choose an item.")}, message=_("Choose an item."))
    adjustment.item = item
    adjustment.region_id, adjustment.unit_id = item.region_id, item.unit_id
    if adjustment.kind not in GROUNDS_BY_KIND:
        errors["kind"] = _("Unknown kind of adjustment.")
    else:
        if adjustment.ground not in GROUNDS_BY_KIND[adjustment.kind]:
            errors["ground"] = _(
                "Choose a ground from the closed list for this kind: %(grounds)s.",
                grounds="; ".join(
                    AdjustmentGround.label_of(g) for g in GROUNDS_BY_KIND[adjustment.kind]
                ),
            )
        if item.status not in KIND_FROM_STATUS[adjustment.kind]:
            errors["kind"] = _(
                "A “%(kind)s” adjustment is not possible for an item that is “%(status)s”.",
                kind=AdjustmentKind.label_of(adjustment.kind),
                status=ItemStatus.label_of(item.status),
            )
    if not basis_later and not (adjustment.legal_basis or "").strip():
        errors["legal_basis"] = _("State the legal basis of the adjustment.")
    if adjustment.kind == AdjustmentKind.CHANGE.value:
        values = proposed(adjustment)
        try:
            values = clean_item_values(values)
        except ValidationError as error:
            errors.update(error.errors)
        else:
            adjustment.proposed_values = json.dumps(values, ensure_ascii=False, sort_keys=True)
            if not diff(item_values(item), {**item_values(item), **values}):
                errors["proposed_values"] = _("The proposal changes nothing.")
            errors.update(
                item_value_errors(
                    {**item_values(item), **values},
                    legal_time_limit_days=item.basic_entry.legal_time_limit_days,
                )
            )
    elif adjustment.proposed_values not in (None, "", "{}"):
        adjustment.proposed_values = "{}"
    if adjustment.kind == AdjustmentKind.SUSPEND.value:
        errors.update(_suspension_date_errors(adjustment))
    else:
        adjustment.urgent = False
        adjustment.planned_start = adjustment.planned_resume = None
    if _open_adjustment_exists(session, item.id, exclude=adjustment.id):
        errors["item"] = _("This item already has an adjustment in progress.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))


def _suspension_date_errors(adjustment: AdjustmentRequest) -> dict[str, str]:
    """A suspension names its first day and the day it is planned to resume, after it."""
    errors = {}
    if adjustment.planned_start is None:
        errors["planned_start"] = _("Give the planned first day of the suspension.")
    if adjustment.planned_resume is None:
        errors["planned_resume"] = _("Give the planned resume date of the suspension.")
    elif adjustment.planned_start and adjustment.planned_resume <= adjustment.planned_start:
        errors["planned_resume"] = _("The planned resume date must be after the first day.")
    return errors


def create_adjustment(
    session: Session,
    *,
    actor: Actor,
    item: ImplementationItem,
    kind: str,
    ground: str,
    legal_basis: str,
    explanation: str = "",
    proposed_values: Mapping[str, Any] | None = None,
    planned_start: dt.date | None = None,
    planned_resume: dt.date | None = None,
    urgent: bool = False,
) -> AdjustmentRequest:
    """A draft adjustment request. Unit operators propose for their unit, coordinators for their
    region (reach decides), the provincial administrator for any item."""
    adjustment = new_adjustment(
        session,
        actor=actor,
        item_id=item.id,
        kind=kind,
        ground=ground,
        legal_basis=legal_basis,
        explanation=explanation,
        proposed_values=proposed_values,
        planned_start=planned_start,
        planned_resume=planned_resume,
        urgent=urgent,
    )
    validate_adjustment(session, adjustment)
    session.add(adjustment)
    session.flush()
    return adjustment


def new_adjustment(
    session: Session,
    *,
    actor: Actor,
    item_id: int,
    kind: str,
    ground: str,
    legal_basis: str,
    explanation: str = "",
    proposed_values: Mapping[str, Any] | None = None,
    planned_start: dt.date | None = None,
    planned_resume: dt.date | None = None,
    urgent: bool = False,
) -> AdjustmentRequest:
    """A draft adjustment request, not yet validated nor added (role and reach checked)."""
    require_role(actor, *PROPOSERS)
    item = actor.reach.one(session, ImplementationItem, item_id)
    return AdjustmentRequest(
        kind=kind,
        state=AdjustmentState.DRAFT.value,
        item=item,
        ground=ground,
        legal_basis=legal_basis or "",
        explanation=explanation or "",
        proposed_values=json.dumps(dict(proposed_values or {}), ensure_ascii=False),
        planned_start=planned_start,
        planned_resume=planned_resume,
        urgent=bool(urgent),
        created_by=actor.username,
        created_at=utcnow(),
    )


def adjustment_changes(adjustment: AdjustmentRequest) -> list[FieldChange]:
    """What approval would change, field by field: against the values frozen at submission
    (``baseline_values``), or today's values while still a draft."""
    item = adjustment.item
    baseline = json.loads(adjustment.baseline_values or "{}") or {
        **item_values(item),
        "status": item.status,
    }
    target = dict(baseline)
    if adjustment.kind == AdjustmentKind.CHANGE.value:
        target.update(proposed(adjustment))
    new_status = KIND_TO_STATUS.get(adjustment.kind)
    if new_status:
        target["status"] = new_status
    return diff(baseline, target)


# -- adjustments: the state machine ------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    return today or calendar.today()


def _moment(today: dt.date | None) -> dt.datetime:
    """Now, or the given (province) day at the province's current time of day, as stored (UTC):
    jobs and tests that act on a past day."""
    return utcnow() if today is None else calendar.at_local_time(today)


def _step(
    session: Session,
    adjustment: AdjustmentRequest,
    moved: workflow.Moved,
    *,
    actor: Actor,
    reason: str,
    today: dt.date | None,
) -> None:
    """The adjustment's own history row of a step just taken (``workflow.apply``)."""
    session.add(
        AdjustmentStep(
            adjustment=adjustment,
            step=moved.before,
            decision=moved.transition.name,
            actor_id=actor.user_id,
            actor_name=actor.username,
            at=_moment(today),
            reason=reason,
            overdue=moved.overdue,
        )
    )
    session.flush()


def _move(
    session: Session,
    adjustment: AdjustmentRequest,
    name: str,
    *,
    actor: Actor,
    version: int | str | None,
    reason: str = "",
    today: dt.date | None = None,
    checked: bool = False,
    next_deadline: Deadline | None = None,
) -> workflow.Moved:
    """Take the step (closing the running step's deadline, ``next_deadline`` running next) and
    record it as a step row."""
    moved = workflow.apply(
        session,
        adjustment,
        ADJUSTMENT[name],
        actor=actor,
        version=version,
        reason=reason,
        at=_moment(today),
        summary=f"{name}: {adjustment.item.implementation_code}",
        after={"reason": reason} if reason else None,
        checked=checked,
    )
    adjustment.deadline = next_deadline
    _step(session, adjustment, moved, actor=actor, reason=reason, today=today)
    return moved


def suspension_notice_days(session: Session, adjustment: AdjustmentRequest, today: dt.date) -> int:
    """Working days between filing (today) and the planned first day of the suspension."""
    if adjustment.planned_start is None:
        return 0
    return WorkingCalendar.load(session).working_days_between(today, adjustment.planned_start)


def submit(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """draft / returned → legality review, with a deadline of 1 working day (seed 002 art. 12)."""
    adjustment = actor.reach.one(session, AdjustmentRequest, adjustment.id)
    workflow.check(session, adjustment, ADJUSTMENT["submit"], actor=actor, version=version)
    today = _today(today)
    validate_adjustment(session, adjustment)
    if adjustment.kind == AdjustmentKind.SUSPEND.value:
        if adjustment.planned_start is not None and adjustment.planned_start < today:
            raise ValidationError(
                errors={"planned_start": _("The planned first day is in the past.")},
                message=_("The planned first day is in the past."),
            )
        notice = suspension_notice_days(session, adjustment, today)
        if notice < SUSPENSION_NOTICE_DAYS and not adjustment.urgent:
            message = _(
                "A planned suspension must be filed at least %(days)s working days ahead "
                "(only %(notice)s left); mark it urgent if it cannot wait.",
                days=SUSPENSION_NOTICE_DAYS,
                notice=notice,
            )
            raise ValidationError(errors={"planned_start": message}, message=message)
    item = adjustment.item
    adjustment.baseline_values = json.dumps(
        {**item_values(item), "status": item.status}, ensure_ascii=False, sort_keys=True
    )
    adjustment.submitted_at = _moment(today)
    deadline = schedule_deadline(session, today, LEGALITY_REVIEW_DAYS, "adjustment.legality_review")
    adjustment.legality_deadline, adjustment.final_deadline = deadline, None
    _move(
        session,
        adjustment,
        "submit",
        actor=actor,
        version=version,
        today=today,
        checked=True,
        next_deadline=deadline,
    )
    return adjustment


def pass_legality(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    reason: str = "",
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """Legality review passed (司法局) → final review with a deadline of 3 working days."""
    adjustment = actor.reach.one(session, AdjustmentRequest, adjustment.id)
    today = _today(today)
    workflow.check(session, adjustment, ADJUSTMENT["pass_legality"], actor=actor, version=version)
    deadline = schedule_deadline(session, today, FINAL_REVIEW_DAYS, "adjustment.final_review")
    adjustment.final_deadline = deadline
    _move(
        session,
        adjustment,
        "pass_legality",
        actor=actor,
        version=version,
        reason=reason,
        today=today,
        checked=True,
        next_deadline=deadline,
    )
    return adjustment


def reject(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    reason: str,
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """Either review step rejects → returned; the reason is required."""
    adjustment = actor.reach.one(session, AdjustmentRequest, adjustment.id)
    name = _reject_step(adjustment)
    reason = (reason or "").strip()
    workflow.check(
        session, adjustment, ADJUSTMENT[name], actor=actor, version=version, reason=reason
    )
    adjustment.last_reason = reason
    adjustment.decided_at = _moment(today)
    _move(
        session,
        adjustment,
        name,
        actor=actor,
        version=version,
        reason=reason,
        today=today,
        checked=True,
    )
    return adjustment


def _reject_step(adjustment: AdjustmentRequest) -> str:
    """ "Reject" is the legality reviewer's step during legality review, else the final one."""
    if adjustment.state == AdjustmentState.LEGALITY_REVIEW.value:
        return "reject_legality"
    return "reject_final"


def approve(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    reason: str = "",
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """Final review approves: the change is applied and published as a new version.

    A suspension whose first day is still ahead leaves the item in service: the published
    version announces it (「将于 X 起暂停」) and :func:`start_due_suspensions` suspends the item
    on that day."""
    adjustment = actor.reach.one(session, AdjustmentRequest, adjustment.id)
    workflow.check(session, adjustment, ADJUSTMENT["approve"], actor=actor, version=version)
    item = adjustment.item
    if adjustment.kind == AdjustmentKind.CHANGE.value:
        values = clean_item_values(proposed(adjustment))
        errors = item_value_errors(
            {**item_values(item), **values},
            legal_time_limit_days=item.basic_entry.legal_time_limit_days,
        )
        if errors:
            raise ValidationError(errors=errors, message=join_messages(errors.values()))
        for key, value in values.items():
            setattr(item, key, value)
    _apply_status(adjustment, item, _today(today), _moment(today))
    adjustment.decided_at = _moment(today)
    adjustment.last_reason = reason
    _move(
        session,
        adjustment,
        "approve",
        actor=actor,
        version=version,
        reason=reason,
        today=today,
        checked=True,
    )
    version_row = publish(
        session,
        actor=actor,
        item=item,
        adjustment=adjustment,
        note=AdjustmentKind.label_of(adjustment.kind),
    )
    adjustment.applied_version_id = version_row.id
    session.flush()
    return adjustment


def _apply_status(
    adjustment: AdjustmentRequest, item: ImplementationItem, today: dt.date, moment: dt.datetime
) -> None:
    """The item's status after an approved adjustment (a suspension maybe only scheduled)."""
    kind = adjustment.kind
    if kind == AdjustmentKind.SUSPEND.value:
        item.suspension_from, item.resume_by = adjustment.planned_start, adjustment.planned_resume
        if adjustment.planned_start is not None and adjustment.planned_start > today:
            return  # takes effect on its first day (start_due_suspensions)
        adjustment.effective_at = moment
    elif kind != AdjustmentKind.CHANGE.value:
        item.suspension_from = item.resume_by = None  # resumed, cancelled or terminated
    new_status = KIND_TO_STATUS[kind]
    if new_status:
        item.status = new_status


def start_due_suspensions(
    session: Session, *, actor: Actor, today: dt.date | None = None
) -> list[ImplementationItem]:
    """Suspend the items whose approved suspension starts today or earlier and has not taken
    effect yet, each with a newly published version; return them. Idempotent: each approved
    suspension takes effect once (``effective_at``). One whose item has meanwhile left service
    (cancelled, terminated) or been given another suspension is never taken: its
    ``effective_at`` stays empty, and the request's page says it did not take effect."""
    today = _today(today)
    due = actor.reach.scope(
        select(AdjustmentRequest)
        .join(ImplementationItem, AdjustmentRequest.item_id == ImplementationItem.id)
        .where(
            AdjustmentRequest.kind == AdjustmentKind.SUSPEND.value,
            AdjustmentRequest.state == AdjustmentState.APPLIED.value,
            AdjustmentRequest.effective_at.is_(None),
            AdjustmentRequest.planned_start <= today,
            ImplementationItem.status == ItemStatus.ACTIVE.value,
            ImplementationItem.suspension_from == AdjustmentRequest.planned_start,
        )
        .order_by(AdjustmentRequest.planned_start, AdjustmentRequest.id),
        AdjustmentRequest,
    )
    suspended = []
    for adjustment in session.execute(due).scalars().all():
        item = adjustment.item
        if item.status != ItemStatus.ACTIVE.value:  # two requests of one day: the first won
            continue
        adjustment.effective_at = _moment(today)
        item.status = ItemStatus.SUSPENDED.value
        publish(
            session,
            actor=actor,
            item=item,
            adjustment=adjustment,
            note=AdjustmentKind.label_of(AdjustmentKind.SUSPEND.value),
        )
        suspended.append(item)
    session.flush()
    return suspended


def suspended_past_resume_date_query(today: dt.date) -> Select[tuple[ImplementationItem]]:
    """Suspended items whose planned resume date has passed without a RESUME adjustment
    applied: overdue (scope it with the reader's reach)."""
    return (
        select(ImplementationItem)
        .where(
            ImplementationItem.status == ItemStatus.SUSPENDED.value,
            ImplementationItem.resume_by.is_not(None),
            ImplementationItem.resume_by < today,
        )
        .order_by(ImplementationItem.resume_by, ImplementationItem.id)
    )


def suspended_past_resume_date(
    session: Session, *, actor: Actor, today: dt.date | None = None
) -> list[ImplementationItem]:
    """The overdue suspensions within the actor's reach (supervision's check reads this)."""
    query = actor.reach.scope(suspended_past_resume_date_query(_today(today)), ImplementationItem)
    return list(session.execute(query).scalars())


class _StepArguments(TypedDict):
    actor: Actor
    adjustment: AdjustmentRequest
    today: dt.date | None
    version: int | str | None


def transition(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    name: str,
    reason: str = "",
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """Run a transition by name (the UI's buttons and the REST API use this)."""
    common: _StepArguments = {
        "actor": actor,
        "adjustment": adjustment,
        "today": today,
        "version": version,
    }
    if name == "submit":
        return submit(session, **common)
    if name == "pass_legality":
        return pass_legality(session, reason=reason, **common)
    if name in ("reject", "reject_legality", "reject_final"):
        return reject(session, reason=reason, **common)
    if name == "approve":
        return approve(session, reason=reason, **common)
    raise InvalidTransition(_("Unknown step “%(name)s”.", name=name))


def available_transitions(
    actor: Actor, adjustment: AdjustmentRequest, session: Session | None = None
) -> list[workflow.Transition]:
    """The buttons to show this actor: exactly the steps ``workflow.guard`` would let through."""
    return ADJUSTMENT.allowed(actor, adjustment, session)
