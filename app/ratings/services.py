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
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.catalogue.models import ImplementationItem
from app.core import calendar, files, personal_data, roles, workflow
from app.core.actor import Actor
from app.core.audit import AuditAction, append_serialized, dumps, record
from app.core.bulk import insert_rows
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


def rating_values(
    data: RatingData,
    *,
    unit_id: int,
    region_id: int,
    implementation_code: str,
    source: str,
    batch_id: int | None = None,
    actor: Actor,
    created_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """A new rating's stored values (every column but the id): personal data encrypted beside
    its masks, the province's date of the rating, 差评 derived from the level. The one rule
    shared by the form (:func:`record_rating`) and the import (:func:`add_imported`)."""
    rated_at = calendar.to_utc(data.rated_at)
    return {
        "rating_no": data.rating_no.strip(),
        "unit_id": unit_id,
        "region_id": region_id,
        "item_id": data.item_id,
        "implementation_code": implementation_code,
        "item_name": data.item_name,
        "handling_item": data.handling_item,
        "hall": data.hall,
        "window": data.window,
        "case_no": data.case_no,
        "applied_at": calendar.to_utc(data.applied_at) if data.applied_at else None,
        "done_at": calendar.to_utc(data.done_at) if data.done_at else None,
        "rater_type": data.rater_type,
        "id_type": data.id_type,
        "rater_name_enc": personal_data.encrypt(data.rater_name, "rater_name"),
        "phone_enc": personal_data.encrypt(data.phone, "phone"),
        "id_number_enc": personal_data.encrypt(data.id_number, "id_number"),
        "rater_name_masked": personal_data.mask_name(data.rater_name),
        "phone_masked": personal_data.mask_phone(data.phone),
        "id_number_masked": personal_data.mask_id_number(data.id_number),
        "real_name": bool(
            data.rater_name.strip() and (data.phone.strip() or data.id_number.strip())
        ),
        "channel": data.channel,
        "rated_at": rated_at,
        "rated_on": calendar.local_date(rated_at),
        "level": data.level,
        "poor": Level(data.level).is_poor,
        "text": data.text,
        "source": source,
        "import_batch_id": batch_id,
        "recorded_by_id": actor.user_id,
        "created_at": created_at or utcnow(),
    }


def audit_values(values: Any) -> dict[str, Any]:
    """What the audit log keeps of a rating (its stored values, or the Rating): personal data
    masked, never in clear."""
    get = values.get if isinstance(values, dict) else lambda key: getattr(values, key)
    return {
        "rating_no": get("rating_no"),
        "unit_id": get("unit_id"),
        "implementation_code": get("implementation_code"),
        "channel": get("channel"),
        "level": get("level"),
        "rated_at": get("rated_at"),
        "rater_name": get("rater_name_masked"),
        "phone": get("phone_masked"),
        "id_number": get("id_number_masked"),
        "case_no": get("case_no"),
        "source": get("source"),
        "import_batch_id": get("import_batch_id"),
    }


def record_rating(session: Session, data: RatingData, *, actor: Actor) -> Rating:
    """Hall staff record one paper or evaluator rating by hand; a poor one opens its ticket."""
    validate(data)
    item = actor.reach.one(session, ImplementationItem, data.item_id)
    if session.execute(select(Rating.id).where(Rating.rating_no == data.rating_no.strip())).first():
        raise ValidationError({"rating_no": _("A rating with this number is already recorded.")})
    values = rating_values(
        data,
        unit_id=item.unit_id,
        region_id=item.region_id,
        implementation_code=item.implementation_code,
        source=RatingSource.MANUAL.value,
        actor=actor,
    )
    values["item_name"] = values["item_name"] or item.item_name
    rating = Rating(**values)
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
    session: Session, rows: Sequence[dict[str, Any]], *, actor: Actor
) -> set[tuple[int, dt.date]]:
    """Write a batch of imported ratings (their :func:`rating_values`, checked against the
    importer's reach by the spreadsheet's rules), one masked audit record each, and the
    tickets of the poor ones; answer the (unit, day) pairs whose figures the caller rewrites
    with :func:`refresh_figures` once the whole import is written (per batch, an import of a
    hundred thousand ratings re-read the same days fifty times). Rows, tickets and deadlines go
    in as bulk inserts (app.core.bulk), their ids taken from the insert."""
    if not rows:
        return set()
    ids = insert_rows(session, Rating.__table__, rows, return_ids=True)
    assert ids is not None
    labels = {level.value: Level.label_of(level.value) for level in Level}
    action = AuditAction.IMPORT.value
    append_serialized(
        session,
        [
            (
                action,
                "Rating",
                str(rating_id),
                f"{values['rating_no']} {labels[values['level']]}"[:256],  # as repr(Rating)
                None,
                dumps(audit_values(values)),
            )
            for rating_id, values in zip(ids, rows, strict=True)
        ],
    )
    poor = [
        (rating_id, values) for rating_id, values in zip(ids, rows, strict=True) if values["poor"]
    ]
    _open_tickets_bulk(session, poor)
    return {(values["unit_id"], values["rated_on"]) for values in rows}


def refresh_figures(session: Session, pairs: Iterable[tuple[int, dt.date]]) -> None:
    """Rewrite the figures' summary of these (unit, day) pairs (after an import's last batch)."""
    figures.refresh(session, pairs)


def _ticket_deadlines(
    working: WorkingCalendar, rated_on: dt.date
) -> list[tuple[str, dt.date, int, calendar.WorkingDate]]:
    """A new ticket's deadlines (purpose, start, working days, due): the ticket's own, N
    working days after the province's date of the rating (provisional when the calendar lacks
    a year), and the verification's inside it. The one rule of both ways tickets open."""
    days = deadline_days()
    verify_days = min(VERIFY_DAYS, days)
    return [
        (DEADLINE_PURPOSE, rated_on, days, working.add_working_days(rated_on, days)),
        (VERIFY_PURPOSE, rated_on, verify_days, working.add_working_days(rated_on, verify_days)),
    ]


def open_tickets(session: Session, ratings: Iterable[Rating], *, actor: Actor) -> list[Any]:
    """Open a rectification ticket for every poor rating, at once: due N working days after
    the province's date of the rating (provisional when the calendar lacks a year)."""
    poor = [rating for rating in ratings if rating.poor]
    if not poor:
        return []
    working = WorkingCalendar.load(session)
    tickets = []
    for rating in poor:
        deadline, verify = (
            Deadline(
                purpose=purpose,
                start_date=start,
                working_days=days,
                due_date=due.date,
                provisional=due.provisional,
            )
            for purpose, start, days, due in _ticket_deadlines(working, rating.rated_on)
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


# Every column of a Deadline row the bulk insert leaves empty (a timed deadline's instants), so
# that its audit record names every column as the ORM's flush would.
_DEADLINE_NULLS: dict[str, Any] = {
    column.key: None for column in Deadline.__table__.columns if column.key != "id"
}


def _open_tickets_bulk(session: Session, poor: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """:func:`open_tickets` for an import's poor ratings (their ids and stored values): the
    same deadlines (computed once per distinct day), the same rows and the same ``create``
    audit records the ORM's flush would write, inserted in bulk."""
    if not poor:
        return
    working = WorkingCalendar.load(session)
    by_day: dict[dt.date, list[tuple[str, dt.date, int, calendar.WorkingDate]]] = {}
    deadline_rows: list[dict[str, Any]] = []
    for _rating_id, values in poor:
        day = values["rated_on"]
        if day not in by_day:
            by_day[day] = _ticket_deadlines(working, day)
        for purpose, start, days, due in by_day[day]:
            deadline_rows.append(
                {
                    **_DEADLINE_NULLS,
                    "purpose": purpose,
                    "start_date": start,
                    "working_days": days,
                    "due_date": due.date,
                    "provisional": due.provisional,
                    "completed_at": None,
                }
            )
    deadline_ids = insert_rows(session, Deadline.__table__, deadline_rows, return_ids=True)
    assert deadline_ids is not None
    now = utcnow()
    ticket_rows = [
        {
            "rating_id": rating_id,
            "unit_id": values["unit_id"],
            "region_id": values["region_id"],
            "state": TicketState.VERIFY.value,
            "deadline_id": deadline_ids[2 * n],
            "verify_deadline_id": deadline_ids[2 * n + 1],
            "rectify_deadline_id": None,
            "call_back_deadline_id": None,
            "invalid_reason": None,
            "invalid_note": None,
            "measures": None,
            "rectify_rounds": 0,
            "call_back_attempts": 0,
            "called_back": False,
            "satisfied": None,
            "opened_at": now,
            "closed_at": None,
            "version": 1,
        }
        for n, (rating_id, values) in enumerate(poor)
    ]
    ticket_ids = insert_rows(session, RectificationTicket.__table__, ticket_rows, return_ids=True)
    assert ticket_ids is not None
    state_label = TicketState.label_of(TicketState.VERIFY.value)
    create = AuditAction.CREATE.value
    append_serialized(
        session,
        [
            *(
                (
                    create,
                    "Deadline",
                    str(deadline_id),
                    f"{row['purpose']} → {row['due_date'].isoformat()}",  # as repr(Deadline)
                    None,
                    dumps({"id": deadline_id, **row}),
                )
                for deadline_id, row in zip(deadline_ids, deadline_rows, strict=True)
            ),
            *(
                (
                    create,
                    "RectificationTicket",
                    str(ticket_id),
                    f"#{ticket_id} {state_label}",  # as repr(RectificationTicket)
                    None,
                    dumps({"id": ticket_id, **row}),
                )
                for ticket_id, row in zip(ticket_ids, ticket_rows, strict=True)
            ),
        ],
    )


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
