"""The licence domain's tiles on the workbench (app.core.workbench): registrations and usage
applications to review, objections due, registrations rejected and to revise."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, false, func, or_, select

from app.core import roles
from app.core.workbench import Desk, Todo, count_todo, register_todo
from app.licences.models import LicenceEntry, LicenceObjection, LicenceUsageApplication
from app.licences.states import ISSUERS, OBJECTION_HANDLERS, ObjectionState, ReviewState

_PENDING = [ReviewState.SUBMITTED.value, ReviewState.RESUBMITTED.value]


def _to_review(desk: Desk, model: Any, owner: Any, key: str, label: str) -> Todo:
    """Pending submissions the reviewer may decide; those of the reviewer's own unit (or own
    submissions) are counted apart: another reviewer must decide them (the workflow's rule)."""
    unit_id = getattr(desk.actor.user, "unit_id", None)
    own = or_(
        owner == unit_id if unit_id is not None else false(),
        model.submitted_by_id == desk.actor.user_id,
    )
    query = select(func.count(), func.sum(case((own, 1), else_=0))).where(model.state.in_(_PENDING))
    total, own_count = desk.session.execute(desk.actor.reach.scope(query, model)).one()
    own_count = int(own_count or 0)
    note = _("%(n)d more must be reviewed by another reviewer", n=own_count) if own_count else ""
    return Todo(
        key, label, int(total or 0) - own_count, url_for("LicenceReviewView.queue"), note=note
    )


def reviews(desk: Desk) -> list[Todo]:
    return [
        _to_review(
            desk,
            LicenceEntry,
            LicenceEntry.issuing_unit_id,
            "licence-registrations",
            _("Licence catalogue registrations to review"),
        ),
        _to_review(
            desk,
            LicenceUsageApplication,
            LicenceUsageApplication.applicant_unit_id,
            "licence-applications",
            _("Licence usage applications to review"),
        ),
    ]


def objections_due(desk: Desk) -> Todo:
    """Open objections, each with the deadline of the step it waits for (mark, then verify)."""
    received = LicenceObjection.state == ObjectionState.RECEIVED.value
    return count_todo(
        desk,
        LicenceObjection,
        LicenceObjection.state.in_([ObjectionState.RECEIVED.value, ObjectionState.MARKED.value]),
        key="licence-objections",
        label=_("Licence objections to handle"),
        url=url_for("LicenceObjectionView.list"),
        deadline=case(
            (received, LicenceObjection.mark_deadline_id),
            else_=LicenceObjection.verify_deadline_id,
        ),
    )


def rejected_registrations(desk: Desk) -> Todo:
    return count_todo(
        desk,
        LicenceEntry,
        LicenceEntry.state == ReviewState.REJECTED.value,
        key="licence-rejected",
        label=_("Licence registrations rejected, to revise"),
        url=f"{url_for('LicenceEntryView.list')}?_flt_0_state={ReviewState.REJECTED.value}",
    )


def register() -> None:
    register_todo(reviews, for_roles={roles.LICENCE_REVIEWER})
    register_todo(objections_due, for_roles=OBJECTION_HANDLERS)
    register_todo(rejected_registrations, for_roles=ISSUERS)
