"""Licence factories: entries, applications, objections and events in a given state."""

from __future__ import annotations

import datetime as dt
import json

from app.core import calendar
from app.core.calendar import schedule_deadline
from app.core.models import Unit, utcnow
from app.extensions import db
from app.licences.models import (
    LicenceEntry,
    LicenceFaceField,
    LicenceObjection,
    LicenceStatusEvent,
    LicenceUsageApplication,
)
from app.licences.services import make_licence_number

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def type_code_for(unit_id: int, number: int) -> str:
    return db.session.get(Unit, unit_id).credit_code + f"{number:03d}"


def make_entry(
    unit_id: int,
    *,
    number: int = 1,
    name: str = "营业执照",
    state: str = "draft",
    submitted_by_id: int | None = None,
    submitted_at: dt.datetime | None = None,
    fields: int = 2,
) -> int:
    """An entry of ``unit_id`` (inside an app context), committed; returns its id."""
    unit = db.session.get(Unit, unit_id)
    entry = LicenceEntry(
        name=name,
        type_code=type_code_for(unit_id, number),
        issuing_unit=unit,
        region_id=unit.region_id,
        holder_category="legal",
        validity_rule="long_term",
        trust_level="sealed",
        state=state,
    )
    for position in range(1, fields + 1):
        entry.face_fields.append(
            LicenceFaceField(position=position, name=f"字段{position}", data_type="text")
        )
    if state != "draft":
        entry.submitted_at = submitted_at or utcnow()
        entry.submitted_by_id = submitted_by_id
    if state == "rejected":
        entry.rejection_reason = "样本不清晰"
        entry.rejected_snapshot = json.dumps({"证照名称": "旧名称"}, ensure_ascii=False)
    db.session.add(entry)
    db.session.commit()
    return entry.id


def make_application(
    unit_id: int,
    entry_id: int,
    *,
    state: str = "draft",
    end: dt.date | None = None,
    approved_end: dt.date | None = None,
) -> int:
    unit = db.session.get(Unit, unit_id)
    application = LicenceUsageApplication(
        applicant_unit=unit,
        region_id=unit.region_id,
        entry_id=entry_id,
        can_verify=True,
        mode="sharing",
        service_items="食品经营许可",
        reason="办理事项时核验",
        requested_end_date=end or calendar.today() + dt.timedelta(days=365),
        state=state,
    )
    if state != "draft":
        application.submitted_at = utcnow()
    if state == "approved":
        application.approved_scope = "食品经营许可"
        application.approved_end_date = approved_end or application.requested_end_date
    db.session.add(application)
    db.session.commit()
    return application.id


def licence_number(entry_id: int, serial: str = "2430599") -> str:
    entry = db.session.get(LicenceEntry, entry_id)
    return make_licence_number(entry.type_code, entry.issuing_unit.credit_code, serial)


def make_objection(entry_id: int, *, received_on: dt.date | None = None) -> int:
    received_on = received_on or calendar.today()
    objection = LicenceObjection(
        entry_id=entry_id,
        licence_number=licence_number(entry_id),
        holder_name="海口某某贸易有限公司",
        disputed_field="住所",
        claim="住所与登记不一致",
        raised_by="张三",
        source="holder",
        received_on=received_on,
        mark_deadline=schedule_deadline(db.session, received_on, 1, "licence objection: mark"),
        verify_deadline=schedule_deadline(db.session, received_on, 5, "licence objection: verify"),
    )
    db.session.add(objection)
    db.session.commit()
    return objection.id


def make_event(entry_id: int, *, event_type: str = "change", serial: str = "2430599") -> int:
    event = LicenceStatusEvent(
        entry_id=entry_id,
        licence_number=licence_number(entry_id, serial),
        event_type=event_type,
        event_date=calendar.today(),
        reason="住所变更",
    )
    db.session.add(event)
    db.session.commit()
    return event.id


def version_of(app, model: type, pk: int) -> int:
    """The record's current version: what a form or API client sends with a transition."""
    with app.app_context():
        return db.session.get(model, pk).version
