"""Every rule about 免证办 verification requests (seed 003 art. 10–15).

A window's staff, handling an item of the published list for an applicant, ask the unit that
issues a document (a 文件批复, a 证明事项 or an electronic licence not yet shared) to verify it,
with the applicant's on-site authorization (name and ID number stored encrypted, shown masked).
The unit verifies — uploads the result, which gets a voucher — or returns the request with a
reason and a suggestion where to send it, which the window follows in one click. Deadlines
count office minutes of working days (app.core.calendar): verify in 30 minutes (24 hours when
complex or a 承诺件), return in 15; a request the applicant filed online: 24 / 48 hours, return
in 2 hours. Services take a keyword-only ``actor`` and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import String, cast, exists, select
from sqlalchemy.orm import Session, aliased

from app.catalogue.models import ImplementationItem
from app.catalogue.states import ItemStatus
from app.core import calendar, files, personal_data, workflow
from app.core.actor import Actor
from app.core.audit import AuditAction, record
from app.core.errors import Forbidden, OutOfReach, ValidationError
from app.core.models import AppUser, AuditLog, Deadline, Unit, utcnow
from app.verification.models import VerificationRequest, VerificationResult
from app.verification.states import (
    REQUEST,
    Channel,
    Complexity,
    IdType,
    MaterialKind,
    RequestState,
    of_issuer,
    of_requester,
)

VERIFY_PURPOSE = "verification_verify"
RETURN_PURPOSE = "verification_return"


@dataclass(frozen=True)
class Limits:
    """How long the issuing unit has: office minutes, or natural hours (art. 10)."""

    verify_minutes: int = 0
    verify_hours: int = 0
    return_minutes: int = 0
    return_hours: int = 0


def limits_for(complexity: str, channel: str) -> Limits:
    """Art. 10 (二)(三): at a window 30 minutes (24 hours when complex or a 承诺件), return in
    15 minutes; filed online by the applicant 24 hours (48 when complex), return in 2 hours."""
    complex_ = complexity == Complexity.COMPLEX.value
    if channel == Channel.ONLINE.value:
        return Limits(verify_hours=48 if complex_ else 24, return_hours=2)
    if complex_:
        return Limits(verify_hours=24, return_minutes=15)
    return Limits(verify_minutes=30, return_minutes=15)


def published_item(session: Session, item_id: Any) -> ImplementationItem:
    """An item of the published list (in service): a window accepts any unit's items."""
    try:
        key = int(item_id)
    except (TypeError, ValueError):
        key = 0
    item = session.get(ImplementationItem, key) if key else None
    if item is None or item.published_version_id is None or item.status != ItemStatus.ACTIVE.value:
        message = _("Choose an item of the published list.")
        raise ValidationError({"item_id": message}, message)
    return item


# -- asking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestData:
    """What the window fills in: the item and case, the material and who issues it, and the
    applicant's on-site authorization."""

    item_id: Any
    case_no: str
    issuer_unit_id: Any
    material_kind: str
    material_name: str
    applicant_name: str
    id_type: str
    id_number: str
    complexity: str = Complexity.GENERAL.value
    channel: str = Channel.WINDOW.value
    note: str = ""
    authorized_at: dt.datetime | None = None  # aware, or naive in the province's time


def validate(data: RequestData) -> dict[str, str]:
    """The rules of the request's own values, every error at once."""
    errors = {}
    if not data.case_no.strip():
        errors["case_no"] = _("Give the case number (办件编号).")
    elif len(data.case_no.strip()) > 64:
        errors["case_no"] = _("The case number is at most 64 characters.")
    if data.material_kind not in {kind.value for kind in MaterialKind}:
        errors["material_kind"] = _("Choose what is to be verified.")
    if not data.material_name.strip():
        errors["material_name"] = _("Name the document to verify.")
    if data.complexity not in {c.value for c in Complexity}:
        errors["complexity"] = _("Choose whether the request is general or complex.")
    if data.channel not in {c.value for c in Channel}:
        errors["channel"] = _("Choose where the applicant filed.")
    if not data.applicant_name.strip():
        errors["applicant_name"] = _("Give the name of the applicant who authorized the request.")
    if data.id_type not in {t.value for t in IdType}:
        errors["id_type"] = _("Choose the applicant's ID type.")
    number = data.id_number.strip().upper()
    if not number:
        errors["id_number"] = _("Give the applicant's ID number.")
    elif data.id_type == IdType.ID_CARD.value and not _is_resident_id(number):
        errors["id_number"] = _("The resident identity card number is not valid.")
    elif len(number) > 32:
        errors["id_number"] = _("The ID number is at most 32 characters.")
    if data.authorized_at is not None and calendar.to_utc(data.authorized_at) > utcnow():
        errors["authorized_at"] = _("The authorization cannot be in the future.")
    return errors


def _is_resident_id(number: str) -> bool:
    """GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


def _schedule(session: Session, request: VerificationRequest, start: dt.datetime) -> None:
    limits = limits_for(request.complexity, request.channel)
    working = calendar.WorkingCalendar.load(session)
    request.verify_deadline = calendar.schedule_timed_deadline(
        session,
        start,
        VERIFY_PURPOSE,
        minutes=limits.verify_minutes,
        hours=limits.verify_hours,
        working_calendar=working,
    )
    request.return_deadline = calendar.schedule_timed_deadline(
        session,
        start,
        RETURN_PURPOSE,
        minutes=limits.return_minutes,
        hours=limits.return_hours,
        working_calendar=working,
    )


def audit_values(request: VerificationRequest) -> dict[str, Any]:
    """What the audit log keeps of a request: the applicant masked, never in clear."""
    return {
        "case_no": request.case_no,
        "item_id": request.item_id,
        "requester_unit_id": request.requester_unit_id,
        "issuer_unit_id": request.issuer_unit_id,
        "material_kind": request.material_kind,
        "material_name": request.material_name,
        "complexity": request.complexity,
        "channel": request.channel,
        "applicant_name": request.applicant_name_masked,
        "id_type": request.id_type,
        "id_number": request.id_number_masked,
        "rerouted_from_id": request.rerouted_from_id,
    }


def _requester_unit(session: Session, actor: Actor) -> Unit:
    unit_id = getattr(actor.user, "unit_id", None)
    unit = session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        raise Forbidden(_("Only staff of a unit's window send verification requests."))
    return unit


def _issuer(session: Session, unit_id: Any, requester: Unit) -> Unit:
    try:
        unit = session.get(Unit, int(unit_id))
    except (TypeError, ValueError):
        unit = None
    if unit is None or not unit.active:
        message = _("Choose the unit that issues the document.")
        raise ValidationError({"issuer_unit_id": message}, message)
    if unit.id == requester.id:
        message = _("A unit does not send verification requests to itself.")
        raise ValidationError({"issuer_unit_id": message}, message)
    return unit


def create_request(
    session: Session,
    data: RequestData,
    *,
    actor: Actor,
    rerouted_from: VerificationRequest | None = None,
) -> VerificationRequest:
    """申请: the window of the actor's unit asks the issuing unit; the deadlines start now."""
    workflow.guard(actor, REQUEST["request"], None, session)
    requester = _requester_unit(session, actor)
    errors = validate(data)
    item = issuer = None
    try:
        item = published_item(session, data.item_id)
    except ValidationError as error:
        errors.update(error.errors)
    try:
        issuer = _issuer(session, data.issuer_unit_id, requester)
    except ValidationError as error:
        errors.update(error.errors)
    if errors or item is None or issuer is None:
        raise ValidationError(errors)
    name, number = data.applicant_name.strip(), data.id_number.strip().upper()
    now = calendar.now()
    request = VerificationRequest(
        requester_unit_id=requester.id,
        requester_region_id=requester.region_id,
        issuer_unit_id=issuer.id,
        issuer_region_id=issuer.region_id,
        item_id=item.id,
        approver_unit_id=item.unit_id,
        approver_region_id=item.region_id,
        case_no=data.case_no.strip(),
        material_kind=data.material_kind,
        material_name=data.material_name.strip(),
        complexity=data.complexity,
        channel=data.channel,
        note=data.note.strip(),
        applicant_name_enc=personal_data.encrypt(name, "applicant_name"),
        applicant_name_masked=personal_data.mask_name(name),
        id_type=data.id_type,
        id_number_enc=personal_data.encrypt(number, "id_number"),
        id_number_masked=personal_data.mask_id_number(number),
        authorized_at=calendar.to_utc(data.authorized_at)
        if data.authorized_at
        else now.replace(tzinfo=None),
        rerouted_from=rerouted_from,
        requested_by_id=actor.user_id,
        requested_at=now.replace(tzinfo=None),
    )
    _schedule(session, request, now)
    session.add(request)
    workflow.apply(
        session,
        request,
        REQUEST["request"],
        actor=actor,
        version=None,
        checked=True,
        summary=_("Verification requested: case %(case)s", case=request.case_no),
        after=audit_values(request),
    )
    return request


def load_request(session: Session, request_id: Any, *, actor: Actor) -> VerificationRequest:
    """A request within reach (the requester's, the issuer's or the approver's); else 404."""
    return actor.reach.one(session, VerificationRequest, request_id)


# -- answering -------------------------------------------------------------------------------


def result_settings() -> tuple[str, int]:
    """Where results go (outside the web root) and how large one may be."""
    return (
        current_app.config["VERIFICATION_FILES_DIR"],
        int(current_app.config.get("VERIFICATION_MAX_BYTES", 10 * 1024 * 1024)),
    )


def voucher_number(request: VerificationRequest, at: dt.datetime) -> str:
    """凭证编号 (art. 13): MZB, the province's date of issue, the request's number."""
    return f"MZB{calendar.local_date(at):%Y%m%d}{request.id:06d}"


def _answered(request: VerificationRequest, actor: Actor) -> None:
    request.answered_by_id = actor.user_id
    request.answered_at = utcnow()
    # Answered either way: both of the unit's clocks stop.
    for deadline in (request.verify_deadline, request.return_deadline):
        if deadline.completed_at is None:
            calendar.close_deadline(deadline)


def verify(
    session: Session,
    request_id: Any,
    *,
    filename: str | None,
    content: bytes,
    conclusion: str = "",
    version: int | str | None,
    actor: Actor,
) -> VerificationResult:
    """核验: the issuing unit uploads the result (PDF or image, checked by content) and the
    request is delivered to the window with a voucher. The file stays only if the
    transaction commits (app.core.files)."""
    request = load_request(session, request_id, actor=actor)
    transition = workflow.check(session, request, REQUEST["verify"], actor=actor, version=version)
    directory, max_bytes = result_settings()
    extension, mimetype = files.check_file(filename, content, max_bytes, field="result")
    workflow.apply(
        session,
        request,
        transition,
        actor=actor,
        version=version,
        checked=True,
        summary=_("Verification request #%(id)d verified", id=request.id),
    )
    _answered(request, actor)
    written = files.write_file(directory, extension, content)
    files.settle_files(session, on_commit=None, on_rollback=written)
    issued_at = utcnow()
    result = VerificationResult(
        request=request,
        voucher_no=voucher_number(request, issued_at),
        case_no=request.case_no,
        conclusion=conclusion.strip(),
        filename=filename or "",
        stored_name=written.name,
        mimetype=mimetype,
        size=len(content),
        issued_by_id=actor.user_id,
        issued_at=issued_at,
    )
    session.add(result)
    return result


def return_request(
    session: Session,
    request_id: Any,
    *,
    reason: str,
    suggested_unit_id: Any = None,
    suggestion: str = "",
    version: int | str | None,
    actor: Actor,
) -> VerificationRequest:
    """退回: not the unit's to verify; the reason, and where to send it (转办建议)."""
    request = load_request(session, request_id, actor=actor)
    transition = workflow.check(
        session, request, REQUEST["return"], actor=actor, version=version, reason=reason
    )
    suggested = None
    if suggested_unit_id not in (None, ""):
        try:
            suggested = session.get(Unit, int(suggested_unit_id))
        except (TypeError, ValueError):
            suggested = None
        if suggested is None or not suggested.active or suggested.id == request.issuer_unit_id:
            message = _("Suggest another unit that is in service, or none.")
            raise ValidationError({"suggested_unit_id": message}, message)
    request.return_reason = reason.strip()
    request.suggested_unit_id = suggested.id if suggested is not None else None
    request.suggestion = suggestion.strip()
    workflow.apply(
        session,
        request,
        transition,
        actor=actor,
        version=version,
        checked=True,
        summary=_("Verification request #%(id)d returned", id=request.id),
        after={"reason": request.return_reason, "suggested_unit_id": request.suggested_unit_id},
    )
    _answered(request, actor)
    return request


def reroute(
    session: Session, request_id: Any, *, version: int | str | None, actor: Actor
) -> VerificationRequest:
    """转办: the window follows the suggestion in one click; a new request goes to the
    suggested unit with the same item, case, material and authorization, its clock from now."""
    request = load_request(session, request_id, actor=actor)
    transition = workflow.check(session, request, REQUEST["reroute"], actor=actor, version=version)
    workflow.apply(
        session,
        request,
        transition,
        actor=actor,
        version=version,
        checked=True,
        summary=_("Verification request #%(id)d sent on", id=request.id),
        after={"suggested_unit_id": request.suggested_unit_id},
    )
    new = create_request(
        session,
        RequestData(
            item_id=request.item_id,
            case_no=request.case_no,
            issuer_unit_id=request.suggested_unit_id,
            material_kind=request.material_kind,
            material_name=request.material_name,
            applicant_name=personal_data.decrypt(request.applicant_name_enc, "applicant_name")
            or "",
            id_type=request.id_type,
            id_number=personal_data.decrypt(request.id_number_enc, "id_number") or "",
            complexity=request.complexity,
            channel=request.channel,
            note=request.note,
            authorized_at=calendar.to_local(request.authorized_at),
        ),
        actor=actor,
        rerouted_from=request,
    )
    return new


# -- the result: only for the window that asked and the unit that approves the case -----------


def may_read_result(actor: Actor, request: VerificationRequest) -> bool:
    """Art. 15: the result serves the window that accepted the case and the unit approving it,
    and nobody else (not the region's coordinators, not the issuing unit once delivered)."""
    if actor.is_system:
        return True
    unit_id = getattr(actor.user, "unit_id", None)
    return unit_id is not None and unit_id in (request.requester_unit_id, request.approver_unit_id)


def open_result(
    session: Session,
    voucher_no: str,
    case_no: str,
    *,
    actor: Actor,
    download: bool = False,
) -> tuple[VerificationResult, Path | None]:
    """The result with voucher ``voucher_no`` for case ``case_no``: 404 (OutOfReach) unless it
    is this case's (a voucher cannot serve another case) and the actor may read it. Every view
    and download is audited."""
    query = actor.reach.scope(
        select(VerificationResult).where(VerificationResult.voucher_no == (voucher_no or "")),
        VerificationResult,
    )
    result = session.execute(query).scalar_one_or_none()
    if (
        result is None
        or result.case_no != (case_no or "")
        or not may_read_result(actor, result.request)
    ):
        raise OutOfReach()
    path = None
    if download:
        path = files.stored_path(result_settings()[0], result.stored_name)
        if path is None:
            raise OutOfReach()
    record(
        session,
        AuditAction.EXPORT if download else AuditAction.SECURITY,
        object_type="VerificationResult",
        object_id=result.id,
        summary=(
            f"verification result {'downloaded' if download else 'viewed'}: "
            f"{result.voucher_no}, case {result.case_no}"
        )[:256],
    )
    return result, path


# -- the applicant's data: in clear only for the two windows handling the request ---------------


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str


def may_read_applicant(actor: Actor, request: VerificationRequest) -> bool:
    """The requesting window and the issuing unit (which needs the ID to verify)."""
    return of_requester(actor, request) is True or of_issuer(actor, request) is True


def reveal_applicant(session: Session, request_id: Any, *, actor: Actor) -> Applicant:
    """The applicant's name and ID number in clear; the read is audited (masked)."""
    request = load_request(session, request_id, actor=actor)
    if not may_read_applicant(actor, request):
        raise Forbidden(_("Only the two units handling this request may see the applicant's ID."))
    applicant = Applicant(
        name=personal_data.decrypt(request.applicant_name_enc, "applicant_name") or "",
        id_number=personal_data.decrypt(request.id_number_enc, "id_number") or "",
    )
    record(
        session,
        AuditAction.SECURITY,
        object_type="VerificationRequest",
        object_id=request.id,
        summary=f"personal data read: verification request #{request.id}",
        after={
            "applicant_name": request.applicant_name_masked,
            "id_number": request.id_number_masked,
        },
    )
    return applicant


# -- the queues ------------------------------------------------------------------------------

INCOMING = "incoming"
OUTGOING = "outgoing"


def queue_filter(actor: Actor, side: str = INCOMING) -> list[Any]:
    """Which requests a queue side holds: ``incoming``: those addressed to the actor's unit (all
    of them for a wider reach); ``outgoing``: those its window sent (the workbench's tiles count
    with the same conditions)."""
    unit_id = getattr(actor.user, "unit_id", None)
    if unit_id is None:
        return []
    column = (
        VerificationRequest.issuer_unit_id
        if side == INCOMING
        else VerificationRequest.requester_unit_id
    )
    return [column == unit_id]


def result_unopened() -> Any:
    """The request's result not yet opened (viewed or downloaded, as :func:`open_result`
    audits it) by anyone of the requesting window's unit."""
    opened = (
        select(AuditLog.id)
        .join(AppUser, AppUser.id == AuditLog.actor_id)
        .where(
            AuditLog.object_type == "VerificationResult",
            AuditLog.object_id == cast(VerificationResult.id, String),
            AuditLog.action.in_((AuditAction.SECURITY.value, AuditAction.EXPORT.value)),
            AppUser.unit_id == VerificationRequest.requester_unit_id,
            # Read since it was issued (the log outlives any reused id).
            AuditLog.occurred_at >= VerificationResult.issued_at,
        )
        # Two levels up: the request of the query, its result of ``has``.
        .correlate(VerificationRequest, VerificationResult)
    )
    return VerificationRequest.result.has(~exists(opened))


def queue(
    session: Session,
    *,
    actor: Actor,
    side: str = INCOMING,
    open_only: bool = True,
    state: str | None = None,
    unopened: bool = False,
) -> list[VerificationRequest]:
    """The requests within reach, the least time left first (see :func:`queue_filter`); the
    open ones, or with ``state`` those in that state; with ``unopened`` only those whose result
    the window has not opened yet."""
    due = aliased(Deadline)
    query = select(VerificationRequest).join(due, VerificationRequest.verify_deadline_id == due.id)
    query = query.where(*queue_filter(actor, side))
    if state is not None:
        query = query.where(VerificationRequest.state == state)
        open_only = False
    if unopened:
        query = query.where(result_unopened())
    if open_only:
        query = query.where(VerificationRequest.state == RequestState.PENDING.value)
    query = actor.reach.scope(query, VerificationRequest).order_by(
        due.due_at, VerificationRequest.id
    )
    return list(session.execute(query).scalars())


def suggested_units(session: Session) -> list[Unit]:
    """The units a request may be addressed or sent on to: every unit in service."""
    return list(
        session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)).scalars()
    )


def published_items(session: Session, limit: int = 2000) -> list[ImplementationItem]:
    """The published list a window picks the case's item from."""
    return list(
        session.execute(
            select(ImplementationItem)
            .where(
                ImplementationItem.published_version_id.is_not(None),
                ImplementationItem.status == ItemStatus.ACTIVE.value,
            )
            .order_by(ImplementationItem.implementation_code)
            .limit(limit)
        ).scalars()
    )
