"""Every rule of the licence domain: codes, registration and usage review, samples, objections,
status events. Functions take a keyword-only ``actor`` and a ``session``; they never read
``flask.request``. Views and APIs call them and render the domain errors they raise.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session, aliased

from app.core import calendar, workflow
from app.core.actor import Actor
from app.core.calendar import WorkingCalendar, schedule_deadline
from app.core.codes import credit_code_error
from app.core.errors import InvalidTransition, OutOfReach, ValidationError, join_messages
from app.core.models import Deadline, Unit, utcnow
from app.core.services import check_version, credit_code_message
from app.licences.models import (
    LicenceEntry,
    LicenceFaceField,
    LicenceItemLink,
    LicenceObjection,
    LicenceStatusEvent,
    LicenceUsageApplication,
)
from app.licences.states import (
    EDITABLE_STATES,
    OBJECTION,
    PENDING_STATES,
    REVIEW,
    FaceFieldType,
    HolderCategory,
    ObjectionOutcome,
    ObjectionSource,
    ObjectionState,
    ReviewState,
    StatusEventType,
    TrustLevel,
    UsageMode,
    ValidityRule,
)

Reviewed = LicenceEntry | LicenceUsageApplication

# -- identifiers -------------------------------------------------------------------------

_TYPE_CODE_RE = re.compile(r"^(?P<body>[0-9A-Z]{18})(?P<number>\d{3})$")
LICENCE_OID_PREFIX = "1.2.156.3005.2."
_ISO7064_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LICENCE_NUMBER_RE = re.compile(
    r"^1\.2\.156\.3005\.2\.(?P<type>[0-9A-Z]{21})\.(?P<issuer>[0-9A-Z]{18})"
    r"\.(?P<serial>[0-9A-Z]{1,32})\.(?P<version>\d{3})\.(?P<check>[0-9A-Z])$"
)


def type_code_message(code: str | None) -> str | None:
    """Why ``code`` is not a licence type code (credit code of the defining body + 3 digits)."""
    match = _TYPE_CODE_RE.match(code or "")
    if not match:
        return _(
            "A licence type code is the defining body's 18-character unified social credit "
            "code followed by 3 digits (21 characters)."
        )
    if credit_code_error(match["body"]):
        return _("The first 18 characters: %(reason)s", reason=credit_code_message(match["body"]))
    return None


def iso7064_mod37_36(data: str) -> str:
    """The ISO 7064 MOD 37,36 (hybrid) check character of an upper-case alphanumeric string."""
    modulus, product = 36, 36
    for ch in data:
        product = (product + _ISO7064_ALPHABET.index(ch)) % modulus or modulus
        product = (product * 2) % (modulus + 1)
    return _ISO7064_ALPHABET[(modulus + 1 - product) % modulus]


def licence_number_message(number: str | None, type_code: str | None = None) -> str | None:
    """Why ``number`` is not a licence identifier (GB/T 36904-2018) of ``type_code``."""
    match = _LICENCE_NUMBER_RE.match(number or "")
    if not match:
        return _(
            "A licence number reads 1.2.156.3005.2.<type code>.<issuing body code>.<serial>."
            "<3-digit version>.<check character>."
        )
    if type_code and match["type"] != type_code:
        return _("The licence number is not of licence type %(code)s.", code=type_code)
    body = match.string[len(LICENCE_OID_PREFIX) : -2].replace(".", "")
    if iso7064_mod37_36(body) != match["check"]:
        return _("The check character of the licence number is wrong.")
    return None


def make_licence_number(type_code: str, issuer_code: str, serial: str, version: int = 1) -> str:
    """Build a valid licence number (demo data and tests)."""
    body = f"{type_code}.{issuer_code}.{serial}.{version:03d}"
    return f"{LICENCE_OID_PREFIX}{body}.{iso7064_mod37_36(body.replace('.', ''))}"


def _clean(value: str | None) -> str:
    return (value or "").strip()


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


# -- sample files ----------------------------------------------------------------------------

# extension → (MIME type, magic prefixes)
SAMPLE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


def sample_name_message(filename: str | None) -> str | None:
    """Why ``filename`` is refused: empty, path parts, control characters, bad extension."""
    name = filename or ""
    if not name.strip():
        return _("Choose a file.")
    if (
        "/" in name
        or "\\" in name
        or ".." in name
        or name.startswith(".")
        or ":" in name
        or any(unicodedata.category(ch).startswith("C") for ch in name)
        or len(name) > 128
    ):
        return _("The file name must be a plain name without folders or special characters.")
    if Path(name).suffix.lower() not in SAMPLE_TYPES:
        return _("The sample must be a PDF, PNG or JPEG file.")
    return None


def attach_sample(
    session: Session,
    entry: LicenceEntry,
    *,
    actor: Actor,
    version: int | str | None,
    filename: str | None,
    data: bytes,
    directory: str,
    max_bytes: int,
) -> None:
    """Attach (or replace) the sample file of a new or editable entry, in the caller's
    transaction: reach (404), the version the caller loaded (409; a new entry has none), the
    state (409) and the file (422) are checked, then the file is stored under a generated name
    in ``directory`` (not web-served). It stays only if the transaction commits (the replaced
    file is deleted then); when the transaction is rolled back or abandoned it is removed."""
    actor.reach.check(session, entry)
    if inspect(entry).persistent:
        check_version(entry, version, actor=actor)
    if ReviewState(entry.state or ReviewState.DRAFT.value) not in EDITABLE_STATES:
        raise InvalidTransition(_("A submitted, published or deprecated entry cannot be edited."))
    extension, mimetype = check_sample(filename, data, max_bytes)
    stored = secrets.token_hex(16) + (".jpg" if extension == ".jpeg" else extension)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / stored, "xb") as handle:
        handle.write(data)
    _settle_files(session, on_commit=sample_path(entry, directory), on_rollback=folder / stored)
    entry.sample_stored_name = stored
    entry.sample_filename = filename
    entry.sample_mimetype = mimetype
    entry.sample_size = len(data)
    _revise_if_rejected(session, entry, actor=actor)


def _settle_files(session: Session, *, on_commit: Path | None, on_rollback: Path) -> None:
    """After the transaction: on commit delete the replaced sample, otherwise (rolled back, or
    closed without a commit after an unexpected error) the new one, so the folder holds exactly
    the files that rows point at. Listeners go on this thread's Session object (not the scoped
    registry, which would reach other requests' sessions)."""
    from sqlalchemy import event
    from sqlalchemy.orm import scoped_session

    target = session() if isinstance(session, scoped_session) else session
    settled: list[bool] = []

    def _committed(_session: Session) -> None:
        if settled or _session.in_nested_transaction():  # a savepoint commits nothing yet
            return
        settled.append(True)
        event.remove(target, "after_transaction_end", _ended)
        if on_commit is not None:
            on_commit.unlink(missing_ok=True)

    def _ended(_session: Session, transaction: Any) -> None:
        # Not removed here (SQLAlchemy is iterating these listeners): it stays a no-op until
        # the Session object is discarded, as a ``once=True`` listener would.
        if settled or transaction.parent is not None:  # a savepoint: the outer one decides
            return
        settled.append(False)
        event.remove(target, "after_commit", _committed)
        on_rollback.unlink(missing_ok=True)

    event.listen(target, "after_commit", _committed)
    event.listen(target, "after_transaction_end", _ended)


def check_sample(filename: str | None, data: bytes, max_bytes: int) -> tuple[str, str]:
    """Refuse a bad sample (name, size, content); return its extension and MIME type."""
    extension = mimetype = ""
    message = sample_name_message(filename)
    if message is None and len(data) > max_bytes:
        message = _("The file is larger than %(mb).1f MB.", mb=max_bytes / (1024 * 1024))
    if message is None and not data:
        message = _("The file is empty.")
    if message is None:
        extension = Path(filename or "").suffix.lower()
        mimetype, magics = SAMPLE_TYPES[extension]
        if not data.startswith(magics):
            message = _("The file's content is not a %(ext)s file.", ext=extension[1:].upper())
    if message:
        raise ValidationError(errors={"sample": message}, message=message)
    return extension, mimetype


def sample_path(entry: LicenceEntry, directory: str) -> Path | None:
    """The stored sample's path, or None (the stored name is ours: hex + extension)."""
    name = entry.sample_stored_name
    if not name or not re.fullmatch(r"[0-9a-f]{32}\.(pdf|png|jpg)", name):
        return None
    path = Path(directory) / name
    return path if path.is_file() else None


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
