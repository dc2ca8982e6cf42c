"""Registration of licence catalogue entries and their face fields, snapshots and diffs against
a rejection, and status events (art. 8)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import calendar, workflow
from app.core.actor import Actor
from app.core.errors import InvalidTransition, ValidationError, join_messages
from app.core.models import Unit
from app.licences.models import (
    LicenceEntry,
    LicenceFaceField,
    LicenceStatusEvent,
    LicenceUsageApplication,
)
from app.licences.services.codes import _clean, licence_number_message, type_code_message
from app.licences.states import (
    EDITABLE_STATES,
    REVIEW,
    FaceFieldType,
    HolderCategory,
    ReviewState,
    StatusEventType,
    TrustLevel,
    ValidityRule,
)

Reviewed = LicenceEntry | LicenceUsageApplication


# -- transitions: who may take which step is declared in states.REVIEW / states.OBJECTION -----


def _by(actor: Actor) -> dict[str, str]:
    return {"by": actor.username}


# -- snapshots and diffs -------------------------------------------------------------------


def snapshot(obj: Reviewed) -> dict[str, str]:
    """What the reviewer sees, as label → text (kept at rejection to diff the resubmission)."""
    if isinstance(obj, LicenceEntry):
        data = {
            _("Licence name"): obj.name,
            _("Licence type code"): obj.type_code,
            _("Issuing unit"): obj.issuing_unit.name if obj.issuing_unit else "",
            _("Holder category"): obj.holder_category_label,
            _("Validity"): obj.validity_label,
            _("Trust level"): obj.trust_level_label,
            _("Description"): obj.description or "",
            _("Sample file"): obj.sample_filename or "",
        }
        for index, field in enumerate(obj.face_fields, start=1):
            data[_("Face field %(n)d", n=index)] = f"{field.name} · {field.data_type_label} · " + (
                _("required") if field.required else _("optional")
            )
        return data
    return {
        _("Applicant unit"): obj.applicant_unit.name if obj.applicant_unit else "",
        _("Licence type"): repr(obj.entry) if obj.entry else "",
        _("Use"): obj.actions_label,
        _("Usage mode"): obj.mode_label,
        _("Service items"): obj.service_items or "",
        _("Implementation-list items"): "\n".join(repr(item) for item in obj.items),
        _("Reason"): obj.reason or "",
        _("Requested end date"): obj.requested_end_date.isoformat()
        if obj.requested_end_date
        else "",
    }


@dataclass(frozen=True)
class DiffLine:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def diff_against_rejection(obj: Reviewed) -> list[DiffLine]:
    """Each line of the current snapshot next to the last rejected one (empty if never rejected)."""
    if not obj.rejected_snapshot:
        return []
    before = json.loads(obj.rejected_snapshot)
    now = snapshot(obj)
    labels = list(now) + [label for label in before if label not in now]
    return [DiffLine(label, before.get(label, ""), now.get(label, "")) for label in labels]


# -- registration of catalogue entries -----------------------------------------------------


def prepare_entry(session: Session, entry: LicenceEntry, *, actor: Actor) -> None:
    """Check and normalise a new or edited entry; an edit after rejection makes it revised."""
    errors: dict[str, str] = {}
    if entry.id is not None and ReviewState(entry.state) not in EDITABLE_STATES:
        raise InvalidTransition(_("A submitted, published or deprecated entry cannot be edited."))
    entry.name = _clean(entry.name)
    entry.type_code = _clean(entry.type_code).upper()
    if not entry.name:
        errors["name"] = _("Enter the licence name.")
    message = type_code_message(entry.type_code)
    if message:
        errors["type_code"] = message
    else:
        clash = session.execute(
            select(LicenceEntry.id).where(
                LicenceEntry.type_code == entry.type_code,
                LicenceEntry.id != (entry.id or 0),
            )
        ).first()
        if clash:
            errors["type_code"] = _("This licence type code is already registered.")
    unit = entry.issuing_unit or (
        session.get(Unit, entry.issuing_unit_id) if entry.issuing_unit_id else None
    )
    if unit is None:
        errors["issuing_unit"] = _("Choose the issuing unit.")
    else:
        entry.region_id = unit.region_id
    for column, enum in (
        ("holder_category", HolderCategory),
        ("validity_rule", ValidityRule),
        ("trust_level", TrustLevel),
    ):
        try:
            enum(getattr(entry, column))
        except ValueError:
            errors[column] = _("Choose a value from the list.")
    if entry.validity_rule == ValidityRule.FIXED_YEARS.value:
        if not entry.validity_years or not 1 <= entry.validity_years <= 100:
            errors["validity_years"] = _("Enter the validity in years (1–100).")
    else:
        entry.validity_years = None
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))
    if entry.state is None:
        entry.state = ReviewState.DRAFT.value
    if unit is not None:
        actor.reach.check(session, entry)
    _revise_if_rejected(session, entry, actor=actor)


def _revise_if_rejected(session: Session, obj: Reviewed, *, actor: Actor) -> None:
    """Editing a rejected entry revises it (the edit itself checked the version it loaded)."""
    if obj.id is not None and obj.state == ReviewState.REJECTED.value:
        step = REVIEW["revise"]
        workflow.guard(actor, step, obj, session)
        workflow.apply(
            session,
            obj,
            step,
            actor=actor,
            version=None,
            checked=True,
            summary=_("Revised after rejection"),
            after=_by(actor),
        )


def prepare_face_field(session: Session, field: LicenceFaceField, *, actor: Actor) -> None:
    """A face field may change only while its entry may; names are unique within an entry."""
    entry = field.entry or session.get(LicenceEntry, field.entry_id)
    if entry is None:
        raise ValidationError(
            errors={"entry": _("Choose the entry.")}, message=_("Choose the entry.")
        )
    actor.reach.check(session, entry)
    if ReviewState(entry.state) not in EDITABLE_STATES:
        raise InvalidTransition(_("A submitted, published or deprecated entry cannot be edited."))
    field.name = _clean(field.name)
    errors = {}
    if not field.name:
        errors["name"] = _("Enter the field name.")
    try:
        FaceFieldType(field.data_type)
    except ValueError:
        errors["data_type"] = _("Choose a value from the list.")
    if field.position is None or field.position < 1:
        errors["position"] = _("The order is a number from 1.")
    clash = session.execute(
        select(LicenceFaceField.id).where(
            LicenceFaceField.entry_id == entry.id,
            LicenceFaceField.name == field.name,
            LicenceFaceField.id != (field.id or 0),
        )
    ).first()
    if clash:
        errors["name"] = _("This entry already has a face field of that name.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))
    _revise_if_rejected(session, entry, actor=actor)


def ensure_face_field_deletable(session: Session, field: LicenceFaceField, *, actor: Actor) -> None:
    entry = field.entry
    actor.reach.check(session, entry)
    if ReviewState(entry.state) not in EDITABLE_STATES:
        raise InvalidTransition(_("A submitted, published or deprecated entry cannot be edited."))
    _revise_if_rejected(session, entry, actor=actor)


def ensure_entry_deletable(entry: LicenceEntry) -> None:
    """Only a draft that was never submitted may be deleted: anything else keeps its history."""
    if entry.state != ReviewState.DRAFT.value or entry.submitted_at is not None:
        raise InvalidTransition(_("Only a draft that was never submitted can be deleted."))


# -- status events (art. 8) --------------------------------------------------------------------


def prepare_status_event(session: Session, event: LicenceStatusEvent, *, actor: Actor) -> None:
    errors: dict[str, str] = {}
    entry = event.entry or (session.get(LicenceEntry, event.entry_id) if event.entry_id else None)
    if entry is None:
        errors["entry"] = _("Choose the licence type.")
    elif entry.state not in (ReviewState.APPROVED.value, ReviewState.DEPRECATED.value):
        errors["entry"] = _("Events are recorded for licence types published in the catalogue.")
    event.licence_number = _clean(event.licence_number).upper()
    message = licence_number_message(event.licence_number, entry.type_code if entry else None)
    if message:
        errors["licence_number"] = message
    try:
        StatusEventType(event.event_type)
    except ValueError:
        errors["event_type"] = _("Choose a value from the list.")
    if event.event_date is None:
        errors["event_date"] = _("Enter the date of the event.")
    elif event.event_date > calendar.today():
        errors["event_date"] = _("The event date cannot be in the future.")
    event.reason = _clean(event.reason)
    if not event.reason:
        errors["reason"] = _("Give the reason for the event.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))
    actor.reach.check(session, event)
