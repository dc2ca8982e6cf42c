"""Objections (art. 18): recording, marking, resolving, and their deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from app.core import calendar, workflow
from app.core.actor import Actor
from app.core.calendar import schedule_deadline
from app.core.errors import ValidationError, join_messages
from app.core.models import Deadline, utcnow
from app.licences.models import LicenceEntry, LicenceObjection
from app.licences.services.codes import _clean, licence_number_message
from app.licences.states import OBJECTION, ObjectionOutcome, ObjectionSource, ObjectionState

# -- objections (art. 18) ----------------------------------------------------------------------

MARK_WORKING_DAYS = 1
VERIFY_WORKING_DAYS = 5


def record_objection(session: Session, objection: LicenceObjection, *, actor: Actor) -> None:
    """Check a new objection and give it its two working-day deadlines from the day received."""
    errors: dict[str, str] = {}
    entry = objection.entry or (
        session.get(LicenceEntry, objection.entry_id) if objection.entry_id else None
    )
    if entry is None:
        errors["entry"] = _("Choose the licence type.")
    objection.licence_number = _clean(objection.licence_number).upper()
    message = licence_number_message(objection.licence_number, entry.type_code if entry else None)
    if message:
        errors["licence_number"] = message
    for column in ("holder_name", "disputed_field", "claim", "raised_by"):
        setattr(objection, column, _clean(getattr(objection, column)))
        if not getattr(objection, column):
            errors[column] = _("This field is required.")
    try:
        ObjectionSource(objection.source)
    except ValueError:
        errors["source"] = _("Choose a value from the list.")
    if objection.received_on is None:
        objection.received_on = calendar.today()
    if objection.received_on > calendar.today():
        errors["received_on"] = _("The date received cannot be in the future.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))
    if objection.id is None:
        objection.state = ObjectionState.RECEIVED.value
        objection.mark_deadline = schedule_deadline(
            session, objection.received_on, MARK_WORKING_DAYS, "licence objection: mark"
        )
        objection.verify_deadline = schedule_deadline(
            session, objection.received_on, VERIFY_WORKING_DAYS, "licence objection: verify"
        )
    actor.reach.check(session, objection)


def mark_objection(
    session: Session,
    objection: LicenceObjection,
    *,
    actor: Actor,
    version: int | str | None = None,
) -> None:
    """The issuing unit marks the licence as disputed (异议标注); closes the 1-day deadline."""
    actor.reach.check(session, objection)
    step = workflow.check(session, objection, OBJECTION["mark"], actor=actor, version=version)
    objection.marked_at = utcnow()
    workflow.apply(
        session,
        objection,
        step,
        actor=actor,
        version=version,
        checked=True,
        at=objection.marked_at,
        summary=_("Objection marked"),
    )


def resolve_objection(
    session: Session,
    objection: LicenceObjection,
    *,
    actor: Actor,
    outcome: str | None,
    note: str | None,
    told_on: dt.date | None,
    told_how: str | None,
    version: int | str | None = None,
) -> None:
    """Record the verification's outcome and that the applicant was told (closes the deadline)."""
    actor.reach.check(session, objection)
    step = workflow.check(session, objection, OBJECTION["resolve"], actor=actor, version=version)
    errors: dict[str, str] = {}
    try:
        ObjectionOutcome(outcome)
    except ValueError:
        errors["outcome"] = _("Choose the outcome.")
    if not _clean(note):
        errors["outcome_note"] = _("Describe what was checked and found.")
    if told_on is None:
        errors["applicant_told_on"] = _("Enter the day the applicant was told.")
    elif told_on > calendar.today() or told_on < objection.received_on:
        errors["applicant_told_on"] = _("The day the applicant was told is not plausible.")
    if not _clean(told_how):
        errors["applicant_told_how"] = _("Say how the applicant was told.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))
    objection.outcome = outcome
    objection.outcome_note = _clean(note)
    objection.applicant_told_on = told_on
    objection.applicant_told_how = _clean(told_how)
    objection.resolved_at = utcnow()
    workflow.apply(
        session,
        objection,
        step,
        actor=actor,
        version=version,
        checked=True,
        at=objection.resolved_at,
        summary=_("Objection verified, applicant told"),
        after={"outcome": outcome},
    )


def overdue_objections_query(today: dt.date | None = None) -> Any:
    """Objections with an open deadline past its due date (mark or verify): reusable for the
    assessment (wrap in ``select(func.count())`` or scope it with ``Reach.scope``)."""
    today = today or calendar.today()
    mark = aliased(Deadline)
    verify = aliased(Deadline)
    return (
        select(LicenceObjection)
        .join(mark, LicenceObjection.mark_deadline_id == mark.id)
        .join(verify, LicenceObjection.verify_deadline_id == verify.id)
        .where(
            or_(
                and_(mark.completed_at.is_(None), mark.due_date < today),
                and_(verify.completed_at.is_(None), verify.due_date < today),
            )
        )
    )


def count_overdue_objections(
    session: Session,
    *,
    actor: Actor,
    today: dt.date | None = None,
    unit_id: int | None = None,
) -> int:
    """How many objections in the actor's reach are overdue today (optionally for one unit)."""
    from sqlalchemy import func

    query = overdue_objections_query(today)
    if unit_id is not None:
        query = query.where(LicenceObjection.entry.has(LicenceEntry.issuing_unit_id == unit_id))
    query = actor.reach.scope(query, LicenceObjection)
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def handled_late_objections_count(
    session: Session, *, actor: Actor, start: dt.date, end: dt.date
) -> int:
    """Objections received in [start, end] whose mark or verification came after its deadline
    (on the province's date of completion, which the database cannot tell from a UTC instant)."""
    mark = aliased(Deadline)
    verify = aliased(Deadline)
    query = (
        select(mark.completed_at, mark.due_date, verify.completed_at, verify.due_date)
        .select_from(LicenceObjection)
        .join(mark, LicenceObjection.mark_deadline_id == mark.id)
        .join(verify, LicenceObjection.verify_deadline_id == verify.id)
        .where(LicenceObjection.received_on.between(start, end))
        .where(or_(mark.completed_at.is_not(None), verify.completed_at.is_not(None)))
    )
    query = actor.reach.scope(query, LicenceObjection)
    return sum(
        any(
            done is not None and calendar.local_date(done) > due
            for done, due in ((mark_done, mark_due), (verify_done, verify_due))
        )
        for mark_done, mark_due, verify_done, verify_due in session.execute(query)
    )
