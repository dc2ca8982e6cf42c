"""The review of entries and usage applications: submit, approve, reject, deprecate, and the
review queue."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import calendar, workflow
from app.core.actor import Actor
from app.core.calendar import WorkingCalendar
from app.core.errors import ValidationError
from app.core.models import utcnow
from app.licences.models import LicenceEntry, LicenceUsageApplication
from app.licences.services.codes import _clean
from app.licences.services.registration import Reviewed, _by, snapshot
from app.licences.services.usage import prepare_usage_application
from app.licences.states import PENDING_STATES, REVIEW, ReviewState


def submit(
    session: Session, obj: Reviewed, *, actor: Actor, version: int | str | None = None
) -> None:
    """Draft → submitted, revised → resubmitted (by the owning unit, within reach)."""
    actor.reach.check(session, obj)
    step = REVIEW["resubmit" if obj.state == ReviewState.REVISED.value else "submit"]
    workflow.check(session, obj, step, actor=actor, version=version)
    if isinstance(obj, LicenceEntry) and not obj.face_fields:
        raise ValidationError(
            errors={"face_fields": _("Add at least one face field before submitting.")},
            message=_("Add at least one face field before submitting."),
        )
    if isinstance(obj, LicenceUsageApplication):
        prepare_usage_application(session, obj, actor=actor)
    obj.submitted_at = utcnow()
    obj.submitted_by_id = actor.user_id
    workflow.apply(
        session,
        obj,
        step,
        actor=actor,
        version=version,
        checked=True,
        summary=_("Submitted for review"),
        after=_by(actor),
    )


def approve(
    session: Session,
    obj: Reviewed,
    *,
    actor: Actor,
    scope: str | None = None,
    end_date: dt.date | None = None,
    version: int | str | None = None,
) -> None:
    """The licence reviewer approves: an entry is published, an application gets its scope."""
    actor.reach.check(session, obj)
    step = workflow.check(session, obj, REVIEW["approve"], actor=actor, version=version)
    if isinstance(obj, LicenceUsageApplication):
        obj.approved_scope = _clean(scope) or obj.service_items
        obj.approved_end_date = end_date or obj.requested_end_date
        if obj.approved_end_date > obj.requested_end_date:
            raise ValidationError(
                errors={"end_date": _("The approved end date cannot be after the requested one.")},
                message=_("The approved end date cannot be after the requested one."),
            )
    obj.reviewed_at = utcnow()
    obj.reviewed_by_id = actor.user_id
    obj.rejection_reason = None
    workflow.apply(
        session,
        obj,
        step,
        actor=actor,
        version=version,
        checked=True,
        summary=_("Approved"),
        after=_by(actor),
    )


def reject(
    session: Session,
    obj: Reviewed,
    *,
    actor: Actor,
    reason: str | None,
    version: int | str | None = None,
) -> None:
    """The licence reviewer rejects with a reason; what was rejected is kept for the diff."""
    actor.reach.check(session, obj)
    reason = _clean(reason)
    step = REVIEW["reject"]
    workflow.check(session, obj, step, actor=actor, version=version, reason=reason)
    obj.rejection_reason = reason
    obj.rejected_snapshot = json.dumps(snapshot(obj), ensure_ascii=False)
    obj.reviewed_at = utcnow()
    obj.reviewed_by_id = actor.user_id
    workflow.apply(
        session,
        obj,
        step,
        actor=actor,
        version=version,
        checked=True,
        summary=_("Rejected: %(r)s", r=reason),
        after=_by(actor),
    )


def deprecate(
    session: Session,
    entry: LicenceEntry,
    *,
    actor: Actor,
    reason: str | None,
    version: int | str | None = None,
) -> None:
    """A published entry is deprecated: it stays readable with its whole history."""
    actor.reach.check(session, entry)
    reason = _clean(reason)
    step = REVIEW["deprecate"]
    workflow.check(session, entry, step, actor=actor, version=version, reason=reason)
    entry.deprecated_at = utcnow()
    entry.deprecation_reason = reason
    workflow.apply(
        session,
        entry,
        step,
        actor=actor,
        version=version,
        checked=True,
        summary=_("Deprecated: %(r)s", r=reason),
        after=_by(actor),
    )


@dataclass(frozen=True)
class QueueRow:
    obj: Any
    waiting_days: int
    provisional: bool


def review_queue(
    session: Session,
    model: type[LicenceEntry] | type[LicenceUsageApplication],
    *,
    actor: Actor,
    today: dt.date | None = None,
) -> list[QueueRow]:
    """Pending submissions of ``model``, oldest first, with their wait in working days."""
    today = today or calendar.today()
    query = select(model).where(model.state.in_([s.value for s in PENDING_STATES]))
    query = actor.reach.scope(query, model)
    query = query.order_by(model.submitted_at.asc(), model.id.asc())
    cal = WorkingCalendar.load(session)
    rows = []
    for obj in session.execute(query).scalars():
        start = calendar.local_date(obj.submitted_at)
        rows.append(
            QueueRow(
                obj,
                cal.working_days_between(start, today),
                cal.range_is_provisional(start, today),
            )
        )
    return rows
