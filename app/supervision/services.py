"""Every rule of supervision (监督检查): the checklist library, check plans, the automatic checks,
findings and rectification orders (限令整改).

The automatic checks (网上督查为主, seed 002 art. 36) run a plan's rules
(:mod:`app.supervision.rules`) as set-based queries over the plan's scope and the actor's
reach, in a background job; a re-run is idempotent: a standing finding is not added again and
an open finding that is no longer true is resolved "by the data" on the province's date. A
finding becomes an order to its unit with a deadline in working days (default per severity)
through the working-day calendar; the unit answers with measures and evidence, the supervisor
accepts (closed) or rejects with a reason (a new deadline). Every step goes through the core
workflow (:data:`app.supervision.states.ORDER`). Services take a keyword-only ``actor`` and
never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from app.core import calendar, files, jobs, workflow
from app.core.actor import Actor
from app.core.audit import AuditAction, record
from app.core.errors import OutOfReach, ValidationError
from app.core.models import Deadline, Region, Unit, utcnow
from app.core.unit_of_work import on_commit, unit_of_work
from app.supervision.models import (
    CheckPlan,
    CheckPoint,
    Finding,
    OrderStep,
    RectificationOrder,
    SupervisionEvidence,
)
from app.supervision.rules import RULES
from app.supervision.states import (
    DEFAULT_ORDER_DAYS,
    MAX_ORDER_DAYS,
    OPEN_ORDER_STATES,
    ORDER,
    STANDING_STATES,
    FindingSource,
    FindingState,
    PlanKind,
    Severity,
)

ORDER_PURPOSE = "supervision_order"
#: Rows per statement when findings are resolved in bulk (bound-parameter limits).
CHUNK = 500


# -- the checklist library -----------------------------------------------------------------------


def validate_check_point(session: Session, point: CheckPoint) -> None:
    """A check point's own rules: a unique code, a description, a severity, a known rule."""
    errors = {}
    point.code = (point.code or "").strip()
    point.description = (point.description or "").strip()
    point.rule_key = (point.rule_key or "").strip() or None
    if not point.code:
        errors["code"] = _("Give the check point's code.")
    else:
        query = select(CheckPoint.id).where(CheckPoint.code == point.code)
        if point.id is not None:
            query = query.where(CheckPoint.id != point.id)
        if session.execute(query).first():
            errors["code"] = _("A check point with this code already exists.")
    if not point.description:
        errors["description"] = _("Describe what is checked.")
    if point.severity not in {s.value for s in Severity}:
        errors["severity"] = _("Choose a severity.")
    if point.rule_key is not None and point.rule_key not in RULES:
        errors["rule_key"] = _("Choose one of the automatic rules, or none.")
    if errors:
        raise ValidationError(errors)


# -- check plans ---------------------------------------------------------------------------------


def _home_region_id(session: Session, actor: Actor) -> int:
    """The region a plan belongs to: its supervisor's (the province's root for the system)."""
    region_id = getattr(actor.user, "region_id", None)
    if region_id is None:
        root = session.execute(
            select(Region.id).where(Region.parent_id.is_(None)).order_by(Region.id)
        ).scalar()
        if root is None:
            raise ValidationError(message=_("The province has no regions yet."))
        return int(root)
    return int(region_id)


def prepare_plan(session: Session, plan: CheckPlan, *, actor: Actor) -> None:
    """Check a new or edited plan: name, kind, period, a scope within the actor's reach, at
    least one check point; a new plan belongs to its supervisor's region."""
    errors = {}
    plan.name = (plan.name or "").strip()
    if plan.region_id is None:
        plan.region_id = _home_region_id(session, actor)
    if not plan.name:
        errors["name"] = _("Give the plan a name.")
    if plan.kind not in {k.value for k in PlanKind}:
        errors["kind"] = _("Choose the kind of check.")
    if plan.period_start is None or plan.period_end is None:
        errors["period_end"] = _("Give the period's first and last day.")
    elif plan.period_end < plan.period_start:
        errors["period_end"] = _("The period ends before it starts.")
    if not plan.regions and not plan.units:
        errors["regions"] = _("Choose the regions or units checked.")
    if not plan.check_points:
        errors["check_points"] = _("Choose at least one check point.")
    for region in plan.regions:
        if not actor.reach.contains(region.path, region_only=True):
            raise OutOfReach()
    for unit in plan.units:
        if not actor.reach.contains(unit.region.path, unit.id):
            raise OutOfReach()
    if errors:
        raise ValidationError(errors)


def load_plan(session: Session, plan_id: Any, *, actor: Actor) -> CheckPlan:
    return actor.reach.one(session, CheckPlan, plan_id)


def _scope_clause(plan: CheckPlan, region_column: Any, unit_column: Any) -> Any:
    clauses = [region_column.in_(Region.subtree(region.path)) for region in plan.regions]
    unit_ids = [unit.id for unit in plan.units]
    if unit_ids:
        clauses.append(unit_column.in_(unit_ids))
    return or_(*clauses)


@dataclass
class RunSummary:
    """What a run did, per rule key: findings opened, resolved by the data, still standing."""

    opened: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)
    standing: dict[str, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return _(
            "%(opened)d new finding(s), %(resolved)d resolved by the data, %(standing)d standing",
            opened=sum(self.opened.values()),
            resolved=sum(self.resolved.values()),
            standing=sum(self.standing.values()),
        )


def automatic_points(plan: CheckPlan) -> list[CheckPoint]:
    return [p for p in plan.check_points if p.rule_key in RULES and p.active]


def run_checks(
    session: Session, plan_id: Any, *, actor: Actor, today: dt.date | None = None
) -> RunSummary:
    """Run a plan's automatic check points over its scope (and the actor's reach): one query
    per rule, the new findings written in one multi-row INSERT, the open findings no longer
    true resolved "by the data" on ``today`` (the province's date), one audit record."""
    plan = load_plan(session, plan_id, actor=actor)
    today = today or calendar.today()
    points = automatic_points(plan)
    if not points:
        raise ValidationError(message=_("This plan has no automatic check points."))
    summary = RunSummary()
    now = utcnow()
    for index, point in enumerate(points):
        jobs.report_progress(index / len(points), point.code)
        rule = RULES[str(point.rule_key)]
        query = rule.query(today)
        columns = query.selected_columns
        query = query.where(_scope_clause(plan, columns.region_id, columns.unit_id))
        reach = actor.reach.criterion(rule.model)
        if reach is not None:
            query = query.where(reach)
        hits = {row.object_id: row for row in session.execute(query).mappings()}
        standing = dict(
            session.execute(
                select(Finding.object_id, Finding.state).where(
                    Finding.plan_id == plan.id,
                    Finding.check_point_id == point.id,
                    Finding.object_type == rule.object_type,
                    Finding.state.in_(STANDING_STATES),
                )
            ).all()
        )
        new_rows = [
            {
                "plan_id": plan.id,
                "check_point_id": point.id,
                "unit_id": row["unit_id"],
                "region_id": row["region_id"],
                "source": FindingSource.AUTOMATIC.value,
                "state": FindingState.OPEN.value,
                "rule_key": rule.key,
                "object_type": rule.object_type,
                "object_id": object_id,
                "subject": str(row["subject"] or "")[:256],
                "detail": rule.detail(row),
                "found_on": today,
                "resolution": "",
                "recorded_by": actor.username,
                "created_at": now,
                "version": 1,
            }
            for object_id, row in hits.items()
            if object_id not in standing
        ]
        if new_rows:
            session.execute(insert(Finding), new_rows)
        fixed = [
            object_id
            for object_id, state in standing.items()
            if object_id not in hits and state == FindingState.OPEN.value
        ]
        resolution = _("Resolved by the data on %(date)s", date=today.isoformat())
        for start in range(0, len(fixed), CHUNK):
            session.execute(
                update(Finding)
                .where(
                    Finding.plan_id == plan.id,
                    Finding.check_point_id == point.id,
                    Finding.object_type == rule.object_type,
                    Finding.object_id.in_(fixed[start : start + CHUNK]),
                    Finding.state == FindingState.OPEN.value,
                )
                .values(
                    state=FindingState.RESOLVED.value,
                    resolved_on=today,
                    resolution=resolution,
                    version=Finding.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
        summary.opened[rule.key] = len(new_rows)
        summary.resolved[rule.key] = len(fixed)
        summary.standing[rule.key] = len(hits)
    # The bulk statements bypassed the identity map: reload what they changed, then stamp the run.
    session.expire_all()
    plan = load_plan(session, plan_id, actor=actor)
    plan.last_run_at = now
    plan.last_run_summary = summary.text[:256]
    record(
        session,
        AuditAction.UPDATE,
        object_type="CheckPlan",
        object_id=plan.id,
        summary=_("Automatic checks run: plan #%(id)d", id=plan.id)[:256],
        after={
            "opened": summary.opened,
            "resolved": summary.resolved,
            "standing": summary.standing,
            "today": today,
        },
    )
    jobs.report_progress(1.0, summary.text)
    return summary


def run_plan_job(*, actor: Actor, plan_id: int) -> None:
    """The background job of a run: one use case, one transaction, its starter's reach."""
    from app.extensions import db

    with unit_of_work(db.session, actor):
        run_checks(db.session, plan_id, actor=actor)


def start_run(session: Session, plan_id: Any, *, actor: Actor) -> str:
    """Queue a run of the plan's automatic checks (after this transaction commits); return the
    job's id for the progress page."""
    plan = load_plan(session, plan_id, actor=actor)
    if not automatic_points(plan):
        raise ValidationError(message=_("This plan has no automatic check points."))
    job_id = jobs.new_job_id()
    plan.last_job_id = job_id
    on_commit(
        session,
        lambda: jobs.enqueue(
            "app.supervision.services.run_plan_job", actor=actor, job_id=job_id, plan_id=plan.id
        ),
    )
    return job_id


def plans_due(session: Session, today: dt.date) -> list[int]:
    """The plans a scheduled run (cron) checks: their period includes ``today``."""
    return list(
        session.execute(
            select(CheckPlan.id)
            .where(CheckPlan.period_start <= today, CheckPlan.period_end >= today)
            .order_by(CheckPlan.id)
        ).scalars()
    )


# -- findings ------------------------------------------------------------------------------------


def load_finding(session: Session, finding_id: Any, *, actor: Actor) -> Finding:
    return actor.reach.one(session, Finding, finding_id)


def evidence_settings() -> tuple[str, int]:
    """Where evidence files go (outside the web root) and how large one may be."""
    return (
        current_app.config["SUPERVISION_EVIDENCE_DIR"],
        int(current_app.config.get("SUPERVISION_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024)),
    )


def _check_evidence(
    evidence: Sequence[tuple[str | None, bytes]],
) -> list[tuple[str, bytes, str, str]]:
    """Every file checked (PDF, PNG, JPEG by content, size) before any is written."""
    max_bytes = evidence_settings()[1]
    return [
        (name or "", data, *files.check_file(name, data, max_bytes, field="evidence"))
        for name, data in evidence
    ]


def _store_evidence(
    session: Session,
    finding: Finding,
    checked: list[tuple[str, bytes, str, str]],
    step: OrderStep | None = None,
) -> None:
    directory = evidence_settings()[0]
    for name, data, extension, mimetype in checked:
        written = files.write_file(directory, extension, data)
        files.settle_files(session, on_commit=None, on_rollback=written)
        session.add(
            SupervisionEvidence(
                finding=finding,
                step=step,
                filename=name,
                stored_name=written.name,
                mimetype=mimetype,
                size=len(data),
            )
        )


def record_finding(
    session: Session,
    *,
    plan_id: Any,
    check_point_id: Any,
    unit_id: Any,
    subject: str,
    detail: str,
    evidence: Sequence[tuple[str | None, bytes]] = (),
    actor: Actor,
) -> Finding:
    """A supervisor's own finding (on-site check, mystery shopper) about a unit within reach,
    with evidence files (photos, PDF) checked by content before anything is written."""
    plan = load_plan(session, plan_id, actor=actor)
    errors = {}
    point = session.get(CheckPoint, int(check_point_id)) if str(check_point_id).isdigit() else None
    if point is None:
        errors["check_point_id"] = _("Choose a check point.")
    if not str(unit_id).isdigit():
        errors["unit_id"] = _("Choose the unit.")
    if not subject.strip():
        errors["subject"] = _("Say what was found.")
    if errors:
        raise ValidationError(errors)
    unit = actor.reach.one(session, Unit, unit_id)
    workflow.guard(actor, ORDER["issue"], unit, session)  # only a supervisor records findings
    checked = _check_evidence(evidence)
    finding = Finding(
        plan_id=plan.id,
        check_point_id=point.id if point else None,
        unit_id=unit.id,
        region_id=unit.region_id,
        source=FindingSource.MANUAL.value,
        state=FindingState.OPEN.value,
        object_type="Unit",
        object_id=unit.id,
        subject=subject.strip()[:256],
        detail=detail.strip(),
        found_on=calendar.today(),
        recorded_by=actor.username,
    )
    session.add(finding)
    session.flush()
    _store_evidence(session, finding, checked)
    record(
        session,
        AuditAction.CREATE,
        object_type="Finding",
        object_id=finding.id,
        summary=_("Finding recorded: %(subject)s", subject=finding.subject)[:256],
        after={
            "plan_id": plan.id,
            "check_point_id": finding.check_point_id,
            "unit_id": unit.id,
            "files": [name for name, *_rest in checked],
        },
    )
    return finding


def evidence_file(
    session: Session, evidence_id: Any, *, actor: Actor
) -> tuple[SupervisionEvidence, Path]:
    """An evidence file of a finding within reach (else OutOfReach: 404); the read is audited."""
    evidence = actor.reach.one(session, SupervisionEvidence, evidence_id)
    path = files.stored_path(evidence_settings()[0], evidence.stored_name)
    if path is None:
        raise OutOfReach()
    record(
        session,
        AuditAction.EXPORT,
        object_type="SupervisionEvidence",
        object_id=evidence.id,
        summary=_(
            "Evidence of finding #%(id)d read: %(name)s",
            id=evidence.finding_id,
            name=evidence.filename,
        )[:256],
    )
    return evidence, path


# -- rectification orders ------------------------------------------------------------------------


def default_days(finding: Finding) -> int:
    return DEFAULT_ORDER_DAYS.get(finding.check_point.severity, 10)


def _days(value: Any) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_ORDER_DAYS:
        raise ValidationError(
            {"working_days": _("Give between 1 and %(max)d working days.", max=MAX_ORDER_DAYS)}
        )
    return days


def _step(order: RectificationOrder, name: str, note: str, actor: Actor, overdue: bool) -> None:
    order.steps.append(
        OrderStep(
            step=name,
            note=note,
            overdue=overdue,
            actor_id=actor.user_id,
            actor_name=actor.username,
        )
    )


def load_order(session: Session, order_id: Any, *, actor: Actor) -> RectificationOrder:
    return actor.reach.one(session, RectificationOrder, order_id)


def issue_order(
    session: Session,
    finding_id: Any,
    *,
    working_days: Any = None,
    requirement: str = "",
    version: int | str | None,
    actor: Actor,
) -> RectificationOrder:
    """限令整改: the open finding becomes an order to its unit, due ``working_days`` working
    days after the province's today (default per the check point's severity)."""
    finding = load_finding(session, finding_id, actor=actor)
    workflow.guard(actor, ORDER["issue"], finding, session)
    from app.core.services import check_version

    check_version(finding, version, actor=actor)
    if finding.state != FindingState.OPEN.value:
        raise ValidationError(message=_("Only an open finding can be ordered for rectification."))
    days = default_days(finding) if working_days in (None, "") else _days(working_days)
    deadline = calendar.schedule_deadline(session, calendar.today(), days, ORDER_PURPOSE)
    order = RectificationOrder(
        finding=finding,
        unit_id=finding.unit_id,
        region_id=finding.region_id,
        requirement=requirement.strip() or finding.detail or finding.subject,
        working_days=days,
        deadline=deadline,
        issued_by=actor.username,
        issued_at=utcnow(),
    )
    session.add(order)
    finding.state = FindingState.ORDERED.value
    workflow.apply(
        session,
        order,
        ORDER["issue"],
        actor=actor,
        version=None,
        checked=True,
        deadline_close=False,
        summary=_("Rectification ordered: finding #%(id)d", id=finding.id),
        after={"working_days": days, "due": deadline.due_date},
    )
    _step(order, "issue", order.requirement, actor, False)
    return order


def answer_order(
    session: Session,
    order_id: Any,
    *,
    measures: str,
    evidence: Sequence[tuple[str | None, bytes]] = (),
    version: int | str | None,
    actor: Actor,
) -> RectificationOrder:
    """The unit answers with the measures taken and evidence files; the round's deadline is
    met (late if past its due date)."""
    order = load_order(session, order_id, actor=actor)
    workflow.check(session, order, ORDER["answer"], actor=actor, version=version)
    if not measures.strip():
        raise ValidationError({"measures": _("Describe the measures taken.")})
    checked = _check_evidence(evidence)
    moved = workflow.apply(
        session,
        order,
        ORDER["answer"],
        actor=actor,
        version=version,
        checked=True,
        summary=_("Rectification order #%(id)d answered", id=order.id),
    )
    order.measures = measures.strip()
    order.was_late = order.was_late or moved.overdue
    _step(order, "answer", order.measures, actor, moved.overdue)
    session.flush()
    _store_evidence(session, order.finding, checked, order.steps[-1])
    return order


def accept_order(
    session: Session,
    order_id: Any,
    *,
    note: str = "",
    version: int | str | None,
    actor: Actor,
) -> RectificationOrder:
    """The supervisor verifies and accepts: the order and its finding are closed."""
    order = load_order(session, order_id, actor=actor)
    workflow.apply(
        session,
        order,
        ORDER["accept"],
        actor=actor,
        version=version,
        summary=_("Rectification order #%(id)d accepted", id=order.id),
    )
    order.closed_at = utcnow()
    order.finding.state = FindingState.CLOSED.value
    order.finding.resolved_on = calendar.today()
    order.finding.resolution = _(
        "Rectification accepted on %(date)s", date=calendar.today().isoformat()
    )
    _step(order, "accept", note.strip(), actor, False)
    return order


def reject_order(
    session: Session,
    order_id: Any,
    *,
    reason: str,
    working_days: Any = None,
    version: int | str | None,
    actor: Actor,
) -> RectificationOrder:
    """The supervisor rejects with a reason: back to the unit with a new deadline of
    ``working_days`` (default: the order's) from the province's today."""
    order = load_order(session, order_id, actor=actor)
    workflow.check(session, order, ORDER["reject"], actor=actor, version=version, reason=reason)
    days = order.working_days if working_days in (None, "") else _days(working_days)
    workflow.apply(
        session,
        order,
        ORDER["reject"],
        actor=actor,
        version=version,
        reason=reason,
        checked=True,
        deadline_close=False,
        summary=_("Rectification order #%(id)d rejected", id=order.id),
    )
    order.deadline = calendar.schedule_deadline(session, calendar.today(), days, ORDER_PURPOSE)
    order.working_days = days
    order.rounds += 1
    order.reject_reason = reason.strip()
    _step(order, "reject", order.reject_reason, actor, False)
    return order


def queue(
    session: Session,
    *,
    actor: Actor,
    open_only: bool = True,
    state: str | None = None,
    overdue_on: dt.date | None = None,
) -> list[RectificationOrder]:
    """The orders within reach, the earliest due first (overdue at the top); only those in
    ``state``, or only those waiting for the unit past their due date on ``overdue_on`` (the
    workbench's tiles link here with the same filters they count with)."""
    query = select(RectificationOrder).join(Deadline, RectificationOrder.deadline_id == Deadline.id)
    if open_only:
        query = query.where(RectificationOrder.state.in_(OPEN_ORDER_STATES))
    if state is not None:
        query = query.where(RectificationOrder.state == state)
    if overdue_on is not None:
        query = query.where(Deadline.completed_at.is_(None), Deadline.due_date < overdue_on)
    query = actor.reach.scope(query, RectificationOrder).order_by(
        Deadline.due_date, RectificationOrder.id
    )
    return list(session.execute(query).scalars())
