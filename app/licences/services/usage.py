"""Usage applications (art. 15) and the service items that accept a licence (免证办)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import calendar
from app.core.actor import Actor
from app.core.errors import InvalidTransition, OutOfReach, ValidationError, join_messages
from app.core.models import Unit
from app.licences.models import LicenceEntry, LicenceItemLink, LicenceUsageApplication
from app.licences.services.codes import _clean
from app.licences.services.registration import _revise_if_rejected
from app.licences.states import EDITABLE_STATES, ReviewState, UsageMode

# -- usage applications (art. 15) ------------------------------------------------------------


def prepare_usage_application(
    session: Session, application: LicenceUsageApplication, *, actor: Actor
) -> None:
    if application.id is not None and ReviewState(application.state) not in EDITABLE_STATES:
        raise InvalidTransition(_("A submitted or decided application cannot be edited."))
    errors: dict[str, str] = {}
    entry = application.entry or (
        session.get(LicenceEntry, application.entry_id) if application.entry_id else None
    )
    if entry is None or entry.state != ReviewState.APPROVED.value:
        errors["entry"] = _("Choose a licence type published in the catalogue.")
    unit = application.applicant_unit or (
        session.get(Unit, application.applicant_unit_id) if application.applicant_unit_id else None
    )
    if unit is None:
        errors["applicant_unit"] = _("Choose the applicant unit.")
    else:
        application.region_id = unit.region_id
    if not any(
        (
            application.can_call,
            application.can_view,
            application.can_verify,
            application.can_authorize,
        )
    ):
        errors["can_call"] = _("Tick at least one use: call, view, verify or authorize.")
    try:
        UsageMode(application.mode)
    except ValueError:
        errors["mode"] = _("Choose a value from the list.")
    application.reason = _clean(application.reason)
    application.service_items = _clean(application.service_items)
    if not application.reason:
        errors["reason"] = _("Give the reason for the application.")
    if not application.service_items:
        errors["service_items"] = _("Name the service items the licence is needed for.")
    if unit is not None and any(item.unit_id != unit.id for item in application.items):
        errors["items"] = _("Choose implementation-list items of the applicant unit.")
    if application.requested_end_date is None:
        errors["requested_end_date"] = _("Enter the requested end date.")
    elif application.requested_end_date <= calendar.today() and application.id is None:
        errors["requested_end_date"] = _("The requested end date must be in the future.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))
    if application.state is None:
        application.state = ReviewState.DRAFT.value
    actor.reach.check(session, application)
    _revise_if_rejected(session, application, actor=actor)


def ensure_application_deletable(application: LicenceUsageApplication) -> None:
    if application.state != ReviewState.DRAFT.value or application.submitted_at is not None:
        raise InvalidTransition(_("Only a draft that was never submitted can be deleted."))


# -- service items that accept a licence (免证办, seed 003) -------------------------------------


def prepare_item_link(session: Session, link: LicenceItemLink, *, actor: Actor) -> None:
    """An item of the actor's reach accepts a published licence type (once)."""
    from app.catalogue.models import ImplementationItem

    errors: dict[str, str] = {}
    entry = link.entry or (session.get(LicenceEntry, link.entry_id) if link.entry_id else None)
    if entry is None or entry.state != ReviewState.APPROVED.value:
        errors["entry"] = _("Choose a licence type published in the catalogue.")
    item = link.item or (session.get(ImplementationItem, link.item_id) if link.item_id else None)
    if item is None:
        errors["item"] = _("Choose the service item.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))
    assert entry is not None and item is not None  # both checked above
    actor.reach.check(session, item)
    clash = session.execute(
        select(LicenceItemLink.id).where(
            LicenceItemLink.item_id == item.id,
            LicenceItemLink.entry_id == entry.id,
            LicenceItemLink.id != (link.id or 0),
        )
    ).first()
    if clash:
        message = _("This item already accepts this licence.")
        raise ValidationError(errors={"entry": message}, message=message)


def licences_accepted_by(session: Session, item_id: int, *, actor: Actor) -> list[LicenceEntry]:
    """The published licence types an item in the actor's reach accepts (else OutOfReach)."""
    from app.catalogue.models import ImplementationItem

    query = select(ImplementationItem).where(ImplementationItem.id == item_id)
    query = actor.reach.scope(query, ImplementationItem)
    if session.execute(query).scalar_one_or_none() is None:
        raise OutOfReach()
    return list(
        session.execute(
            select(LicenceEntry)
            .join(LicenceItemLink, LicenceItemLink.entry_id == LicenceEntry.id)
            .where(
                LicenceItemLink.item_id == item_id,
                LicenceEntry.state == ReviewState.APPROVED.value,
            )
            .order_by(LicenceEntry.name, LicenceEntry.id)
        ).scalars()
    )
