"""Every rule about ratings (好差评) and poor-rating rectification tickets (差评整改).

Ratings are what the public said: recorded once (imported from the national platform or
recorded by hand) and never edited; a wrong import is withdrawn as a whole. Every poor rating
(不满意, 非常不满意) opens a ticket at once, due ``POOR_RATING_DEADLINE_DAYS`` working days after
the province's date of the rating (seed 002 art. 23: 3), through the working-day calendar. The
ticket's steps go through the core workflow (:data:`app.ratings.states.TICKET`), each with the
version the user loaded. Services take a keyword-only ``actor`` and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.catalogue.models import ImplementationItem
from app.core import calendar, files, personal_data, roles, workflow
from app.core.actor import Actor
from app.core.audit import AuditAction, record, record_many
from app.core.bulk import one_of
from app.core.calendar import WorkingCalendar
from app.core.errors import Forbidden, OutOfReach, ValidationError
from app.core.models import Deadline, utcnow
from app.excel.models import ImportBatch
from app.ratings import figures
from app.ratings.models import Rating, RectificationTicket, TicketEvidence, TicketStep
from app.ratings.states import (
    TICKET,
    Channel,
    InvalidReason,
    Level,
    RaterType,
    RatingSource,
    TicketState,
)

DEADLINE_PURPOSE = "poor_rating"
VERIFY_PURPOSE = "poor_rating_verify"
#: The verification is due one working day after the rating (inside the ticket's N days).
VERIFY_DAYS = 1
RECTIFY_PURPOSE = "poor_rating_rectify"
CALL_BACK_PURPOSE = "poor_rating_call_back"


def deadline_days() -> int:
    """Working days to rectify a poor rating: the province's setting (default 3, seed 002)."""
    return int(current_app.config.get("POOR_RATING_DEADLINE_DAYS", 3))


def call_back_days() -> int:
    """Working days to call the rater back after a rectification (default 1)."""
    return int(current_app.config.get("RATING_CALL_BACK_DAYS", 1))


# -- recording ratings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingData:
    """One rating's values as the platform (or a hall's paper form) gives them."""

    rating_no: str
    item_id: int
    channel: str
    level: str
    rated_at: dt.datetime  # aware, or naive in the province's time
    text: str = ""
    hall: str = ""
    window: str = ""
    case_no: str = ""
    item_name: str = ""
    handling_item: str = ""
    applied_at: dt.datetime | None = None
    done_at: dt.datetime | None = None
    rater_name: str = ""
    phone: str = ""
    rater_type: str = RaterType.PERSON.value
    id_type: str = ""
    id_number: str = ""


def validate(data: RatingData) -> None:
    """The rules of a rating's own values (the import reports them per cell instead)."""
    errors = {}
    if not data.rating_no.strip():
        errors["rating_no"] = _("Give the rating's number.")
    if data.level not in {level.value for level in Level}:
        errors["level"] = _("Choose a level of the five-point scale.")
    if data.channel not in {channel.value for channel in Channel}:
        errors["channel"] = _("Choose a channel.")
    if data.rater_type not in {kind.value for kind in RaterType}:
        errors["rater_type"] = _("Choose the kind of rater.")
    if calendar.to_utc(data.rated_at) > utcnow():
        errors["rated_at"] = _("A rating cannot be in the future.")
    if errors:
        raise ValidationError(errors)


def build_rating(
    data: RatingData,
    *,
    unit_id: int,
    region_id: int,
    implementation_code: str,
    source: str,
    batch_id: int | None = None,
    actor: Actor,
) -> Rating:
    """A new Rating: personal data encrypted beside its masks, the province's date of the
    rating, 差评 derived from the level. Shared by the form and the import."""
    rated_at = calendar.to_utc(data.rated_at)
    return Rating(
        rating_no=data.rating_no.strip(),
        unit_id=unit_id,
        region_id=region_id,
        item_id=data.item_id,
        implementation_code=implementation_code,
        item_name=data.item_name,
        handling_item=data.handling_item,
        hall=data.hall,
        window=data.window,
        case_no=data.case_no,
        applied_at=calendar.to_utc(data.applied_at) if data.applied_at else None,
        done_at=calendar.to_utc(data.done_at) if data.done_at else None,
        rater_type=data.rater_type,
        id_type=data.id_type,
        rater_name_enc=personal_data.encrypt(data.rater_name, "rater_name"),
        phone_enc=personal_data.encrypt(data.phone, "phone"),
        id_number_enc=personal_data.encrypt(data.id_number, "id_number"),
        rater_name_masked=personal_data.mask_name(data.rater_name),
        phone_masked=personal_data.mask_phone(data.phone),
        id_number_masked=personal_data.mask_id_number(data.id_number),
        real_name=bool(data.rater_name.strip() and (data.phone.strip() or data.id_number.strip())),
        channel=data.channel,
        rated_at=rated_at,
        rated_on=calendar.local_date(rated_at),
        level=data.level,
        poor=Level(data.level).is_poor,
        text=data.text,
        source=source,
        import_batch_id=batch_id,
        recorded_by_id=actor.user_id,
        created_at=utcnow(),
    )


def audit_values(rating: Rating) -> dict[str, Any]:
    """What the audit log keeps of a rating: personal data masked, never in clear."""
    return {
        "rating_no": rating.rating_no,
        "unit_id": rating.unit_id,
        "implementation_code": rating.implementation_code,
        "channel": rating.channel,
        "level": rating.level,
        "rated_at": rating.rated_at,
        "rater_name": rating.rater_name_masked,
        "phone": rating.phone_masked,
        "id_number": rating.id_number_masked,
        "case_no": rating.case_no,
        "source": rating.source,
        "import_batch_id": rating.import_batch_id,
    }


def record_rating(session: Session, data: RatingData, *, actor: Actor) -> Rating:
    """Hall staff record one paper or evaluator rating by hand; a poor one opens its ticket."""
    validate(data)
    item = actor.reach.one(session, ImplementationItem, data.item_id)
    if session.execute(select(Rating.id).where(Rating.rating_no == data.rating_no.strip())).first():
        raise ValidationError({"rating_no": _("A rating with this number is already recorded.")})
    rating = build_rating(
        data,
        unit_id=item.unit_id,
        region_id=item.region_id,
        implementation_code=item.implementation_code,
        source=RatingSource.MANUAL.value,
        actor=actor,
    )
    if not rating.item_name:
        rating.item_name = item.item_name
    session.add(rating)
    session.flush()
    record(
        session,
        AuditAction.CREATE,
        object_type="Rating",
        object_id=rating.id,
        summary=repr(rating)[:256],
        after=audit_values(rating),
    )
    open_tickets(session, [rating], actor=actor)
    figures.refresh(session, [(rating.unit_id, rating.rated_on)])
    return rating


def add_imported(
    session: Session, ratings: Sequence[Rating], *, batch_id: int | None, actor: Actor
) -> None:
    """Write a batch of imported ratings (built by :func:`build_rating`, checked against the
    importer's reach by the spreadsheet's rules), their audit records (masked) and the tickets
    of the poor ones. The ratings go in as one multi-row INSERT (an import brings a hundred
    thousand); only the poor ones are loaded back, for their tickets."""
    if not ratings:
        return
    columns = [c.key for c in Rating.__table__.columns if c.key != "id"]
    session.execute(insert(Rating), [{key: getattr(r, key) for key in columns} for r in ratings])
    numbers = [r.rating_no for r in ratings]
    ids = dict(
        session.execute(
            select(Rating.rating_no, Rating.id).where(one_of(session, Rating.rating_no, numbers))
        ).all()
    )
    record_many(
        session,
        (
            {
                "action": AuditAction.IMPORT.value,
                "object_type": "Rating",
                "object_id": ids[rating.rating_no],
                "summary": repr(rating)[:256],
                "after": audit_values(rating),
            }
            for rating in ratings
        ),
    )
    poor = [ids[r.rating_no] for r in ratings if r.poor]
    if poor:
        stored = session.execute(select(Rating).where(Rating.id.in_(poor))).scalars().all()
        open_tickets(session, stored, actor=actor)
    figures.refresh(session, {(r.unit_id, r.rated_on) for r in ratings})


def open_tickets(session: Session, ratings: Iterable[Rating], *, actor: Actor) -> list[Any]:
    """Open a rectification ticket for every poor rating, at once: due N working days after
    the province's date of the rating (provisional when the calendar lacks a year)."""
    poor = [rating for rating in ratings if rating.poor]
    if not poor:
        return []
    working = WorkingCalendar.load(session)
    days = deadline_days()
    tickets = []
    for rating in poor:
        deadline = calendar.schedule_deadline(
            session, rating.rated_on, days, DEADLINE_PURPOSE, working_calendar=working
        )
        verify = calendar.schedule_deadline(
            session,
            rating.rated_on,
            min(VERIFY_DAYS, days),
            VERIFY_PURPOSE,
            working_calendar=working,
        )
        tickets.append(
            RectificationTicket(
                rating=rating,
                unit_id=rating.unit_id,
                region_id=rating.region_id,
                state=TicketState.VERIFY.value,
                deadline=deadline,
                verify_deadline=verify,
            )
        )
    session.add_all(tickets)
    session.flush()
    return tickets


# -- withdrawing an import -----------------------------------------------------------------------


def withdraw_import(session: Session, batch_id: int, *, actor: Actor) -> int:
    """Withdraw every rating of a wrong import, with their tickets (audited); refused once a
    ticket of the import has been worked on, or when a rating lies outside the actor's reach."""
    batch = actor.reach.one(session, ImportBatch, batch_id)
    ratings = select(Rating.id).where(Rating.import_batch_id == batch.id)
    total = session.execute(select(func.count()).select_from(ratings.subquery())).scalar_one()
    if not total:
        raise ValidationError(message=_("This import has no ratings to withdraw."))
    in_reach = session.execute(
        select(func.count()).select_from(actor.reach.scope(ratings, Rating).subquery())
    ).scalar_one()
    if in_reach != total:
        raise OutOfReach()
    worked = session.execute(
        select(func.count())
        .select_from(RectificationTicket)
        .where(
            RectificationTicket.rating_id.in_(ratings),
            RectificationTicket.state != TicketState.VERIFY.value,
        )
    ).scalar_one()
    if worked:
        raise ValidationError(
            message=_(
                "%(n)d poor rating(s) of this import are already being rectified: it can no "
                "longer be withdrawn.",
                n=worked,
            )
        )
    pairs = session.execute(
        select(Rating.unit_id, Rating.rated_on).where(Rating.import_batch_id == batch.id).distinct()
    ).all()
    tickets = select(RectificationTicket.id).where(RectificationTicket.rating_id.in_(ratings))
    deadlines = [
        deadline_id
        for column in (
            RectificationTicket.deadline_id,
            RectificationTicket.verify_deadline_id,
            RectificationTicket.rectify_deadline_id,
            RectificationTicket.call_back_deadline_id,
        )
        for deadline_id in session.execute(
            select(column).where(RectificationTicket.id.in_(tickets))
        ).scalars()
        if deadline_id is not None
    ]
    session.execute(delete(TicketStep).where(TicketStep.ticket_id.in_(tickets)))
    session.execute(delete(RectificationTicket).where(RectificationTicket.rating_id.in_(ratings)))
    for start in range(0, len(deadlines), 500):
        session.execute(delete(Deadline).where(Deadline.id.in_(deadlines[start : start + 500])))
    session.execute(delete(Rating).where(Rating.import_batch_id == batch.id))
    session.expire_all()
    figures.refresh(session, [(unit_id, day) for unit_id, day in pairs])
    record(
        session,
        AuditAction.DELETE,
        object_type="ImportBatch",
        object_id=batch.id,
        summary=f"ratings of import #{batch.id} withdrawn: {total}",
        before={"ratings": total, "file_name": batch.file_name},
    )
    return total


# -- the ticket's steps --------------------------------------------------------------------------


def _step(ticket: RectificationTicket, name: str, note: str, actor: Actor) -> None:
    ticket.steps.append(
        TicketStep(step=name, note=note, actor_id=actor.user_id, actor_name=actor.username)
    )


# Steps after which the ticket's N-day deadline is met: the rating was rectified (or agreed
# invalid). Every other step leaves it as it is.
_CLOSES_TICKET_DEADLINE = {"rectify", "rectify_close", "agree_invalid"}
# The steps' own deadlines: the step that meets each one.
_CLOSES_RECTIFY = {"rectify", "rectify_close"}
_CLOSES_CALL_BACK = {"call_back_satisfied", "call_back_unsatisfied", "call_back_escalate"}


def _schedule_step_deadline(session: Session, ticket: RectificationTicket) -> None:
    """Give the step the ticket has just reached its own deadline, through the same working-day
    calendar as the ticket's: rectify when the ticket is due (every round: a second round after
    an unsatisfied call-back is late once the ticket's date has passed), call back
    ``RATING_CALL_BACK_DAYS`` working days after the rectification."""
    if ticket.state == TicketState.RECTIFY.value:
        ticket.rectify_deadline = calendar.schedule_deadline(
            session,
            ticket.deadline.start_date,
            ticket.deadline.working_days,
            RECTIFY_PURPOSE,
        )
    elif ticket.state == TicketState.CALL_BACK.value:
        ticket.call_back_deadline = calendar.schedule_deadline(
            session, calendar.today(), call_back_days(), CALL_BACK_PURPOSE
        )


def _move(
    session: Session,
    ticket: RectificationTicket,
    step: str,
    *,
    actor: Actor,
    version: int | str | None,
    note: str = "",
    reason: str = "",
) -> None:
    transition = TICKET[step]
    workflow.apply(
        session,
        ticket,
        transition,
        actor=actor,
        version=version,
        reason=reason,
        checked=True,
        deadline_close=step in _CLOSES_TICKET_DEADLINE or transition.closes is not None,
        summary=f"{step}: #{ticket.id}",
    )
    own = (
        ticket.rectify_deadline
        if step in _CLOSES_RECTIFY
        else ticket.call_back_deadline
        if step in _CLOSES_CALL_BACK
        else None
    )
    if own is not None and own.completed_at is None:
        calendar.close_deadline(own)
    if step != "call_back_unreached":  # still the same call-back, due as it was
        _schedule_step_deadline(session, ticket)
    if ticket.state in (TicketState.CLOSED.value, TicketState.INVALID.value):
        ticket.closed_at = utcnow()
    _step(ticket, step, note or reason, actor)
    figures.refresh(session, [(ticket.unit_id, ticket.rating.rated_on)])


def load_ticket(session: Session, ticket_id: int, *, actor: Actor) -> RectificationTicket:
    return actor.reach.one(session, RectificationTicket, ticket_id)


def verify(
    session: Session,
    ticket_id: int,
    *,
    valid: bool,
    note: str = "",
    invalid_reason: str | None = None,
    version: int | str | None,
    actor: Actor,
) -> RectificationTicket:
    """核实: the rating is valid (→ rectify) or invalid with a reason (→ the county
    coordinator, who must agree before the rating leaves the figures)."""
    ticket = load_ticket(session, ticket_id, actor=actor)
    step = "confirm_valid" if valid else "claim_invalid"
    workflow.check(session, ticket, TICKET[step], actor=actor, version=version, reason=note or "-")
    if not valid:
        errors = {}
        if invalid_reason not in {reason.value for reason in InvalidReason}:
            errors["invalid_reason"] = _("Choose why the rating is invalid.")
        if not note.strip():
            errors["note"] = _("Say why the rating is invalid.")
        if errors:
            raise ValidationError(errors)
        ticket.invalid_reason = invalid_reason
        ticket.invalid_note = note.strip()
    _move(session, ticket, step, actor=actor, version=version, note=note)
    return ticket


def decide_invalid(
    session: Session,
    ticket_id: int,
    *,
    agree: bool,
    note: str = "",
    version: int | str | None,
    actor: Actor,
) -> RectificationTicket:
    """The county coordinator agrees (the rating leaves the figures, its reason shown) or
    refuses (the unit rectifies)."""
    ticket = load_ticket(session, ticket_id, actor=actor)
    step = "agree_invalid" if agree else "refuse_invalid"
    workflow.check(session, ticket, TICKET[step], actor=actor, version=version, reason=note)
    if not agree:
        ticket.invalid_reason = None
    _move(session, ticket, step, actor=actor, version=version, note=note)
    return ticket


def evidence_settings() -> tuple[str, int]:
    """Where evidence files go (outside the web root) and how large one may be."""
    return (
        current_app.config["RATING_EVIDENCE_DIR"],
        int(current_app.config.get("RATING_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024)),
    )


def rectify(
    session: Session,
    ticket_id: int,
    *,
    measures: str,
    version: int | str | None,
    actor: Actor,
    evidence: Sequence[tuple[str | None, bytes]] = (),
) -> RectificationTicket:
    """整改: the measures taken, with any evidence files ``(name, content)``; a real-name
    rating goes to the call-back, an anonymous one closes (there is nobody to call). Every file
    is checked (PDF, PNG, JPEG by content) before any is written; they stay only if the
    transaction commits (app.core.files)."""
    ticket = load_ticket(session, ticket_id, actor=actor)
    step = "rectify" if ticket.rating.real_name else "rectify_close"
    workflow.check(session, ticket, TICKET[step], actor=actor, version=version)
    if not measures.strip():
        raise ValidationError({"measures": _("Describe the measures taken.")})
    directory, max_bytes = evidence_settings()
    checked = [
        (name or "", data, *files.check_file(name, data, max_bytes, field="evidence"))
        for name, data in evidence
    ]
    ticket.measures = measures.strip()
    ticket.rectify_rounds += 1
    _move(session, ticket, step, actor=actor, version=version, note=measures.strip())
    for name, data, extension, mimetype in checked:
        written = files.write_file(directory, extension, data)
        files.settle_files(session, on_commit=None, on_rollback=written)
        session.add(
            TicketEvidence(
                ticket=ticket,
                step=ticket.steps[-1],
                filename=name,
                stored_name=written.name,
                mimetype=mimetype,
                size=len(data),
            )
        )
    return ticket


def evidence_file(
    session: Session, ticket_id: int, evidence_id: int, *, actor: Actor
) -> tuple[TicketEvidence, Path]:
    """An evidence file of a ticket within reach (else OutOfReach: 404); the read is audited."""
    ticket = load_ticket(session, ticket_id, actor=actor)
    evidence = session.get(TicketEvidence, evidence_id)
    path = (
        files.stored_path(evidence_settings()[0], evidence.stored_name)
        if evidence is not None and evidence.ticket_id == ticket.id
        else None
    )
    if evidence is None or path is None:
        raise OutOfReach()
    record(
        session,
        AuditAction.EXPORT,
        object_type="TicketEvidence",
        object_id=evidence.id,
        summary=f"evidence of ticket #{ticket.id} read: {evidence.filename}",
    )
    return evidence, path


def call_back(
    session: Session,
    ticket_id: int,
    *,
    reached: bool,
    satisfied: bool | None = None,
    note: str = "",
    version: int | str | None,
    actor: Actor,
) -> RectificationTicket:
    """回访: not reached → stays to call back (every real-name poor rating must be called
    back); satisfied → closed; unsatisfied → rectify again once, the second time to the
    county coordinator."""
    ticket = load_ticket(session, ticket_id, actor=actor)
    if not reached:
        step = "call_back_unreached"
    elif satisfied is None:
        raise ValidationError({"satisfied": _("Say whether the rater is satisfied.")})
    elif satisfied:
        step = "call_back_satisfied"
    else:
        step = "call_back_unsatisfied" if ticket.rectify_rounds < 2 else "call_back_escalate"
    workflow.check(session, ticket, TICKET[step], actor=actor, version=version)
    ticket.call_back_attempts += 1
    if reached:
        ticket.called_back = True
        ticket.satisfied = satisfied
    _move(session, ticket, step, actor=actor, version=version, note=note)
    return ticket


def coordinator_close(
    session: Session, ticket_id: int, *, note: str, version: int | str | None, actor: Actor
) -> RectificationTicket:
    """The county coordinator closes a ticket two unsatisfied call-backs sent up."""
    ticket = load_ticket(session, ticket_id, actor=actor)
    workflow.check(
        session, ticket, TICKET["coordinator_close"], actor=actor, version=version, reason=note
    )
    _move(session, ticket, "coordinator_close", actor=actor, version=version, reason=note)
    return ticket


# -- personal data: shown in clear only to those handling the ticket -----------------------------


def handles(actor: Actor, ticket: RectificationTicket) -> bool:
    """Whether ``actor`` is handling ``ticket`` now: an operator of its unit while it is open,
    the county coordinator while it is with them (invalid to agree, escalated)."""
    if not ticket.is_open:
        return False
    names = roles.names_of(actor)
    if actor.is_system:
        return True
    if roles.UNIT_OPERATOR in names and getattr(actor.user, "unit_id", None) == ticket.unit_id:
        return True
    with_coordinator = (TicketState.INVALID_PENDING.value, TicketState.ESCALATED.value)
    if roles.COUNTY_COORDINATOR in names and ticket.state in with_coordinator:
        return actor.reach.contains(ticket.region.path, ticket.unit_id)
    return False


@dataclass(frozen=True)
class RaterContact:
    name: str
    phone: str
    id_number: str


def reveal_rater(session: Session, ticket_id: int, *, actor: Actor) -> RaterContact:
    """The rater's name, phone and ID number in clear, for the call-back; the read is audited."""
    ticket = load_ticket(session, ticket_id, actor=actor)
    if not handles(actor, ticket):
        raise Forbidden(_("Only those handling this ticket may see the rater's contact."))
    rating = ticket.rating
    contact = RaterContact(
        name=personal_data.decrypt(rating.rater_name_enc, "rater_name") or "",
        phone=personal_data.decrypt(rating.phone_enc, "phone") or "",
        id_number=personal_data.decrypt(rating.id_number_enc, "id_number") or "",
    )
    record(
        session,
        AuditAction.SECURITY,
        object_type="Rating",
        object_id=rating.id,
        summary=f"personal data read: ticket #{ticket.id}",
        after={
            "rater_name": rating.rater_name_masked,
            "phone": rating.phone_masked,
            "id_number": rating.id_number_masked,
        },
    )
    return contact


# -- the queue -----------------------------------------------------------------------------------


def queue(session: Session, *, actor: Actor, open_only: bool = True) -> list[RectificationTicket]:
    """The tickets within reach, the least time left first (overdue at the top)."""
    query = select(RectificationTicket).join(
        Deadline, RectificationTicket.deadline_id == Deadline.id
    )
    if open_only:
        query = query.where(RectificationTicket.closed_at.is_(None))
    query = actor.reach.scope(query, RectificationTicket).order_by(
        Deadline.due_date, RectificationTicket.opened_at, RectificationTicket.id
    )
    return list(session.execute(query).scalars())
