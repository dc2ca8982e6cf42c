"""通报 (seed 000 art. 22: 逾期未整改的予以通报): the circulated notice of overdue orders.

For a region and a period the product drafts a Word document (python-docx): title, a 文号
placeholder, the overdue orders by unit with their findings and days overdue, the required
action. The supervisor downloads it, edits it in Word, and uploads the issued version back: it
is checked by content (a ZIP that python-docx opens as a Word document), stored outside the web
root (app.core.files), archived with who, when, scope, period and SHA-256, and visible within
the region's reach and to every unit it names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.core import calendar, files, roles
from app.core.actor import Actor
from app.core.audit import AuditAction, record
from app.core.errors import Forbidden, OutOfReach, ValidationError
from app.core.models import Deadline, Region, Unit, utcnow
from app.core.states import ReachKind
from app.supervision.models import RectificationOrder, SupervisionNotice
from app.supervision.services import evidence_settings
from app.supervision.states import OrderState


def _supervisor_only(actor: Actor) -> None:
    if roles.SUPERVISOR not in roles.names_of(actor):
        raise Forbidden(_("Only a supervisor may draft or issue a notice."))


def _period(start: Any, end: Any) -> tuple[dt.date, dt.date]:
    try:
        first = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
        last = end if isinstance(end, dt.date) else dt.date.fromisoformat(str(end))
    except ValueError:
        raise ValidationError({"period_end": _("Give the period's first and last day.")}) from None
    if last < first:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    return first, last


def overdue_orders(
    session: Session, *, region: Region, start: dt.date, end: dt.date, actor: Actor
) -> list[RectificationOrder]:
    """Orders waiting for their unit past the due date (the province's today), issued in the
    period, in the region's subtree and the actor's reach; by unit, then the earliest due."""
    first = calendar.to_utc(dt.datetime.combine(start, dt.time.min)).replace(tzinfo=None)
    after = calendar.to_utc(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)).replace(
        tzinfo=None
    )
    query = (
        select(RectificationOrder)
        .join(Deadline, Deadline.id == RectificationOrder.deadline_id)
        .where(
            RectificationOrder.state == OrderState.ISSUED.value,
            Deadline.completed_at.is_(None),
            Deadline.due_date < calendar.today(),
            RectificationOrder.region_id.in_(Region.subtree(region.path)),
            RectificationOrder.issued_at >= first,
            RectificationOrder.issued_at < after,
        )
        .order_by(RectificationOrder.unit_id, Deadline.due_date, RectificationOrder.id)
    )
    return list(session.execute(actor.reach.scope(query, RectificationOrder)).scalars())


def default_title(region: Region, start: dt.date, end: dt.date) -> str:
    return _(
        "Notice on the overdue rectification of government-service items in %(region)s "
        "(%(start)s to %(end)s)",
        region=region.name,
        start=start.isoformat(),
        end=end.isoformat(),
    )


def draft_notice(
    session: Session, *, region_id: Any, start: Any, end: Any, actor: Actor
) -> tuple[str, bytes]:
    """The draft (.docx) for the supervisor to edit; the download is audited."""
    from docx import Document

    _supervisor_only(actor)
    region = actor.reach.one(session, Region, region_id)
    first, last = _period(start, end)
    orders = overdue_orders(session, region=region, start=first, end=last, actor=actor)
    today = calendar.today()
    document = Document()
    title = default_title(region, first, last)
    document.add_heading(title, level=1)
    document.add_paragraph(_("Document number: 〔    〕 No.    "))
    document.add_paragraph(
        _(
            "By %(today)s, %(n)d rectification order(s) issued between %(start)s and %(end)s "
            "were past their deadline without an answer. They are circulated as follows.",
            today=today.isoformat(),
            n=len(orders),
            start=first.isoformat(),
            end=last.isoformat(),
        )
    )
    by_unit: dict[str, list[RectificationOrder]] = defaultdict(list)
    for order in orders:
        by_unit[order.unit.name].append(order)
    for unit_name, unit_orders in by_unit.items():
        document.add_heading(unit_name, level=2)
        table = document.add_table(rows=1, cols=4)
        for cell, text in zip(
            table.rows[0].cells,
            (_("Finding"), _("Check point"), _("Rectify by"), _("Working days overdue")),
            strict=True,
        ):
            cell.text = text
        for order in unit_orders:
            cells = table.add_row().cells
            cells[0].text = order.finding.subject
            cells[1].text = order.finding.check_point.description
            cells[2].text = order.deadline.due_date.isoformat()
            cells[3].text = str(
                calendar.working_days_between(order.deadline.due_date, today, session=session)
            )
    document.add_paragraph(
        _(
            "The units named above shall complete the rectification within 5 working days of "
            "this notice and report the measures taken through the system."
        )
    )
    output = io.BytesIO()
    document.save(output)
    record(
        session,
        AuditAction.EXPORT,
        object_type="SupervisionNotice",
        summary=f"notice draft: region {region.code}, {first} ~ {last}, {len(orders)} orders",
    )
    return f"{title}.docx", output.getvalue()


def _check_docx(filename: str | None, data: bytes) -> None:
    """A .docx by name, ZIP by content, and a Word document python-docx can open."""
    from docx import Document

    max_bytes = evidence_settings()[1]
    message = _("The file must be a Word document (.docx).")
    files.check_file(
        filename, data, max_bytes, field="file", type_message=message, types=files.DOCX_TYPES
    )
    try:
        Document(io.BytesIO(data))
    except Exception:  # python-docx raises several kinds for a file that is not a document
        raise ValidationError({"file": message}, message=message) from None


def issue_notice(
    session: Session,
    *,
    region_id: Any,
    start: Any,
    end: Any,
    title: str,
    filename: str | None,
    data: bytes,
    actor: Actor,
) -> SupervisionNotice:
    """Archive the issued notice: checked by content, stored outside the web root, with who,
    when, scope, period, the SHA-256 and the units it names (the overdue orders' units)."""
    _supervisor_only(actor)
    region = actor.reach.one(session, Region, region_id)
    first, last = _period(start, end)
    _check_docx(filename, data)
    orders = overdue_orders(session, region=region, start=first, end=last, actor=actor)
    units = list({order.unit_id: order.unit for order in orders}.values())
    written = files.write_file(evidence_settings()[0], ".docx", data)
    files.settle_files(session, on_commit=None, on_rollback=written)
    notice = SupervisionNotice(
        region_id=region.id,
        period_start=first,
        period_end=last,
        title=(title or "").strip()[:256] or default_title(region, first, last)[:256],
        order_count=len(orders),
        issued_by=actor.username,
        issued_at=utcnow(),
        filename=str(filename),
        stored_name=written.name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        units=units,
    )
    session.add(notice)
    session.flush()
    record(
        session,
        AuditAction.CREATE,
        object_type="SupervisionNotice",
        object_id=notice.id,
        summary=_("Notice issued: %(title)s", title=notice.title)[:256],
        after={
            "region": region.code,
            "period": [first.isoformat(), last.isoformat()],
            "sha256": notice.sha256,
            "units": [unit.id for unit in units],
        },
    )
    return notice


def _visible(actor: Actor) -> Any:
    """Notices of a region in the actor's reach, or naming a unit in it (a unit's own reach
    sees only the notices that name it; a county sees the province's notice that names one of
    its units)."""
    clause = actor.reach.criterion(SupervisionNotice)
    if clause is None:
        return None
    named = SupervisionNotice.units.any(actor.reach.criterion(Unit))
    return named if actor.reach.kind is ReachKind.UNIT else or_(clause, named)


def visible_notices(session: Session, *, actor: Actor) -> list[SupervisionNotice]:
    query = select(SupervisionNotice).order_by(SupervisionNotice.issued_at.desc())
    clause = _visible(actor)
    if clause is not None:
        query = query.where(clause)
    return list(session.execute(query).scalars())


def notice_file(
    session: Session, notice_id: Any, *, actor: Actor
) -> tuple[SupervisionNotice, Path]:
    """An issued notice's file for who may see it (else OutOfReach: 404); the read is audited."""
    try:
        key = int(notice_id)
    except (TypeError, ValueError):
        raise OutOfReach() from None
    query = select(SupervisionNotice).where(SupervisionNotice.id == key)
    clause = _visible(actor)
    if clause is not None:
        query = query.where(clause)
    notice = session.execute(query).scalar_one_or_none()
    path = files.stored_path(evidence_settings()[0], notice.stored_name) if notice else None
    if notice is None or path is None:
        raise OutOfReach()
    record(
        session,
        AuditAction.EXPORT,
        object_type="SupervisionNotice",
        object_id=notice.id,
        summary=_("Notice read: %(title)s", title=notice.title)[:256],
    )
    return notice, path
