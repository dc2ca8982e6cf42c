"""Demo data: the checklist library (every automatic rule and two on-site points), the year's
province-wide online check plan run once over the demo catalogue, an on-site check of 秀英区
with its findings, and rectification orders in every state (to rectify, overdue, to verify,
sent back and to rectify again, closed).

Idempotent: nothing is added when the first demo check point's code already exists. The
steps go through the services as a supervisor (the demo's ``supervisor``) and the units would
take them; what "now" cannot give (an order issued weeks ago, hence overdue) is set on the rows
the services wrote.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import calendar
from app.core.actor import Actor, actor_for_user, system_actor
from app.core.models import AppUser, Region, Unit
from app.core.unit_of_work import unit_of_work
from app.supervision import services
from app.supervision.models import CheckPlan, CheckPoint, Finding
from app.supervision.rules import RULES

PREFIX = "DEMO-JC-"
BASIS_000 = "《政务服务事项管理办法》（种子000）第二十一条、第二十二条"
BASIS_002 = "《网上政务服务管理办法》（种子002）第三十五条、第三十六条"
BASIS_003 = "《关于在政务服务领域推行“免证办”服务的通知》（种子003）第十一条"
SEVERITY = {
    "elements_missing": "medium",
    "promised_over_legal": "high",
    "no_legal_basis": "high",
    "adjustment_overdue": "medium",
    "poor_rating_overdue": "medium",
    "licence_objection_overdue": "low",
    "suspension_past_resume": "medium",
    "verification_overdue": "medium",
}
BASIS = {"no_legal_basis": BASIS_000, "verification_overdue": BASIS_003}
MANUAL_POINTS = (
    ("11", "服务大厅未按规定公示办事指南", "medium"),
    ("12", "暗访：窗口未一次性告知所需材料", "high"),
)
ONSITE_FINDINGS = (
    ("市场监督管理局", "窗口未公示食品经营许可办事指南", "现场检查时窗口张贴的为2024年版指南。"),
    ("市场监督管理局", "暗访时工作人员未一次性告知材料", "暗访人员两次往返补交材料。"),
    ("教育局", "咨询电话无人接听", "工作日上午连续拨打三次无人接听。"),
    ("教育局", "办事指南与网上公布内容不一致", "纸质指南中的申请材料比网上多两项。"),
    ("人力资源和社会保障局", "自助终端长期故障未报修", "终端显示故障已超过两周。"),
    ("民政局", "窗口未设置好差评评价器", "现场未见评价器。"),
)


def _supervisor(session: Session) -> Actor:
    user = session.execute(select(AppUser).where(AppUser.username == "supervisor")).scalar()
    return actor_for_user(user) if user is not None else system_actor()


def seed_demo(session: Session) -> str:
    code = f"{PREFIX}01"
    if session.execute(select(CheckPoint.id).where(CheckPoint.code == code)).first():
        return "supervision already seeded"
    root = session.execute(select(Region).where(Region.parent_id.is_(None))).scalar()
    county = session.execute(select(Region).where(Region.code == "460105")).scalar()
    if root is None or county is None:
        return "supervision: no demo regions"
    system = system_actor()
    with unit_of_work(session, system):
        auto = []
        for index, key in enumerate(RULES, start=1):
            point = CheckPoint(
                code=f"{PREFIX}{index:02d}",
                description=str(RULES[key].label),
                severity=SEVERITY[key],
                legal_basis=BASIS.get(key, BASIS_002),
                rule_key=key,
            )
            services.validate_check_point(session, point)
            session.add(point)
            auto.append(point)
        manual = []
        for suffix, description, severity in MANUAL_POINTS:
            point = CheckPoint(
                code=f"{PREFIX}{suffix}",
                description=description,
                severity=severity,
                legal_basis=BASIS_002,
            )
            services.validate_check_point(session, point)
            session.add(point)
            manual.append(point)
        year = calendar.today().year
        online = CheckPlan(
            name=f"{year}年度全省政务服务事项网上督查",
            kind="online",
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            regions=[root],
            check_points=auto,
            created_by="supervisor",
            region_id=root.id,
        )
        services.prepare_plan(session, online, actor=system)
        onsite = CheckPlan(
            name=f"{year}年秀英区政务服务大厅实地督查和暗访",
            kind="onsite",
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            regions=[county],
            check_points=manual,
            created_by="supervisor",
            region_id=root.id,
        )
        services.prepare_plan(session, onsite, actor=system)
        session.add_all([online, onsite])
        session.flush()
        online_id, onsite_id = online.id, onsite.id
        manual_ids = [p.id for p in manual]
    with unit_of_work(session, system):
        summary = services.run_checks(session, online_id, actor=system)
    supervisor = _supervisor(session)
    units = {
        unit.name: unit.id
        for unit in session.execute(select(Unit).where(Unit.region_id == county.id)).scalars()
    }
    finding_ids = []
    for index, (suffix, subject, detail) in enumerate(ONSITE_FINDINGS):
        unit_id = units.get("海口市秀英区" + suffix)
        if unit_id is None:
            continue
        with unit_of_work(session, supervisor):
            finding = services.record_finding(
                session,
                plan_id=onsite_id,
                check_point_id=manual_ids[index % 2],
                unit_id=unit_id,
                subject=subject,
                detail=detail,
                actor=supervisor,
            )
            finding_ids.append(finding.id)
    orders = _orders(session, finding_ids, supervisor)
    return f"supervision: {summary.text}; {len(finding_ids)} on-site findings, {orders} orders"


def _orders(session: Session, finding_ids: list[int], supervisor: Actor) -> int:
    """Orders in every state from the on-site findings (the last one stays an open finding)."""
    system = system_actor()
    plan = ("overdue", "closed", "answered", "reopened", "issued")
    count = 0
    for finding_id, state in zip(finding_ids, plan, strict=False):
        with unit_of_work(session, supervisor):
            finding = session.get(Finding, finding_id)
            order = services.issue_order(
                session, finding_id, version=finding.version if finding else None, actor=supervisor
            )
            order_id = order.id
        count += 1
        if state == "overdue":
            # Issued three weeks ago: its deadline has passed.
            with unit_of_work(session, system):
                start = calendar.today() - dt.timedelta(days=21)
                order.issued_at = calendar.at_local_time(start).replace(tzinfo=None)
                order.deadline.start_date = start
                order.deadline.due_date = calendar.add_working_days(
                    start, order.working_days, session=session
                ).date
            continue
        if state == "issued":
            continue
        with unit_of_work(session, system):
            services.answer_order(
                session,
                order_id,
                measures="已按要求整改，并更新公示内容。",
                version=None,
                actor=system,
            )
        if state == "reopened":
            with unit_of_work(session, supervisor):
                services.reject_order(
                    session,
                    order_id,
                    reason="整改佐证不足，请补充现场照片。",
                    version=order.version,
                    actor=supervisor,
                )
        elif state == "closed":
            with unit_of_work(session, supervisor):
                services.accept_order(
                    session, order_id, note="复查合格。", version=order.version, actor=supervisor
                )
    return count
