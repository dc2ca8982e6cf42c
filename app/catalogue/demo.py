"""Demo data of the catalogue: a few hundred basic-catalogue entries (real item names), a few
thousand implementation-list rows across the demo units, and adjustments in every state.

Idempotent: entries are keyed by basic code, rows by implementation code, and the adjustments
are only created when the demo has none yet.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalogue import codes, demo_tables, services
from app.catalogue.models import (
    AdjustmentRequest,
    BasicCatalogueEntry,
    Filing,
    ImplementationItem,
    ItemType,
    ItemVersion,
)
from app.core import calendar
from app.core.actor import Actor, actor_for_user, system_actor
from app.core.calendar import WorkingCalendar
from app.core.models import AppUser, Region, Unit, utcnow
from app.core.unit_of_work import unit_of_work

DATA = Path(__file__).with_name("data") / "demo_items.csv"
# Guang'an task types → the platform's item-type codes.
TASK_TYPES = {"1": "01", "5": "05", "7": "07", "8": "08", "9": "09", "10": "20", "20": "21"}
LEGAL_LIMITS = [5, 10, 15, 20, 30, 60]


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def _source_rows() -> list[tuple[dict[str, str], str]]:
    """The source rows to use, with the kind of unit implementing each: for every department of
    :data:`demo_tables.DEPARTMENTS` its first items (names cleaned, duplicates dropped)."""
    with open(DATA, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    taken: dict[str, int] = {}
    names: set[str] = set()
    chosen = []
    for row in rows:
        department = demo_tables.DEPARTMENTS.get(row["department"])
        if department is None:
            continue
        kind, cap = department
        name = demo_tables.clean_name(row["name"])
        if taken.get(kind, 0) >= cap or name in names:
            continue
        taken[kind] = taken.get(kind, 0) + 1
        names.add(name)
        chosen.append(({**row, "name": name}, kind))
    return chosen


def basic_code(type_code: str, kind_index: int, number: int) -> str:
    """A Hainan basic code: 46, the item type, the kind of unit, a number, 000."""
    return f"46{type_code}{kind_index:02d}{number:03d}000"


def _entries(session: Session) -> list[tuple[BasicCatalogueEntry, str]]:
    """The basic catalogue: (entry, kind of unit implementing it)."""
    types = {t.code: t for t in session.execute(select(ItemType)).scalars()}
    existing = {e.basic_code: e for e in session.execute(select(BasicCatalogueEntry)).scalars()}
    kinds = list(demo_tables.COMPETENT)
    entries = []
    for index, (row, kind) in enumerate(_source_rows()):
        type_code = TASK_TYPES[row["taskType"]]
        code = basic_code(type_code, kinds.index(kind) + 1, index)
        if code in existing:
            entries.append((existing[code], kind))
            continue
        h = _digest(row["name"])
        limit = LEGAL_LIMITS[h % len(LEGAL_LIMITS)]
        entry = BasicCatalogueEntry(
            basic_code=code,
            name=row["name"],
            item_type=types[type_code],
            source="national" if h % 4 else "provincial",
            status="active",
            competent_department=demo_tables.COMPETENT[kind],
            # Early articles (2–13): every statute named here has at least fourteen.
            legal_basis=demo_tables.legal_basis(row["name"], kind, h % 12 + 2),
            acceptance_conditions="申请人符合法定条件，材料齐全、符合法定形式。",
            application_materials="1. 申请书；2. 申请人身份证明；3. 其他依法需要提交的材料。",
            legal_time_limit_days=limit,
            handling_process="申请—受理—审查—决定—送达",
            fee_standard="不收费",
            complaint_phone="12345",
            form_content="《" + row["name"][:30] + "申请表》",
        )
        session.add(entry)
        existing[code] = entry
        entries.append((entry, kind))
    session.flush()
    return entries


def _rows(session: Session, entries: list[tuple[BasicCatalogueEntry, str]]) -> int:
    """Every unit implements the entries of its own kind (a public-security bureau the police
    items, a market-regulation bureau the market items ...); the service centre and the big-data
    bureau implement none."""
    known = set(session.execute(select(ImplementationItem.implementation_code)).scalars())
    units = session.execute(select(Unit).order_by(Unit.id)).scalars().all()
    by_kind: dict[str, list[BasicCatalogueEntry]] = {}
    for entry, kind in entries:
        by_kind.setdefault(kind, []).append(entry)
    added = 0
    now = utcnow()
    for unit in units:
        kind = demo_tables.unit_kind(unit.name)
        if kind is None:
            continue
        for offset, entry in enumerate(by_kind.get(kind, [])):
            code = codes.implementation_code(
                unit.credit_code, unit.exercise_level, entry.basic_code
            )
            if code in known:
                continue
            known.add(code)
            h = _digest(code)
            legal = entry.legal_time_limit_days
            fully = h % 5 == 0
            item = ImplementationItem(
                basic_entry=entry,
                unit=unit,
                region_id=unit.region_id,
                exercise_level=unit.exercise_level,
                implementation_code=code,
                # A few drafts per unit: rows still being prepared, never public.
                status="draft" if offset % 15 == 14 else "active",
                service_hours="工作日 上午9:00-12:00，下午14:30-17:30",
                service_location=f"{unit.region.name}政务服务中心 {h % 30 + 1} 号窗口",
                consult_phone=f"0898-{6500 + h % 500:04d}{h % 10000:04d}",
                approver="",
                promised_time_limit_days=max(1, legal // (2 + h % 3)),
                handling_type="promised",
                onsite_visits=0 if fully else 1,
                online_depth="4" if fully else str(1 + h % 3),
                fully_online=fully,
                faq="",
                result_sample="",
                created_at=now,
            )
            session.add(item)
            if item.status == "active":
                item.region = unit.region
                snapshot = services.item_snapshot(item)
                version = ItemVersion(
                    item=item,
                    number=1,
                    published_at=now,
                    snapshot=json.dumps(snapshot, ensure_ascii=False, sort_keys=True),
                    note="首次发布",
                )
                session.add(version)
                item.published_version = version
            added += 1
    session.flush()
    return added


def _actor(session: Session, username: str) -> Actor:
    user = session.execute(select(AppUser).where(AppUser.username == username)).scalar_one()
    return actor_for_user(user)


def _adjustments(session: Session) -> int:
    if session.execute(select(func.count(AdjustmentRequest.id))).scalar_one():
        return 0
    operator = _actor(session, "unit_operator")
    reviewer = _actor(session, "legal_reviewer")
    admin = _actor(session, "province_admin")
    unit_id = operator.user.unit_id
    items = (
        session.execute(
            select(ImplementationItem)
            .where(ImplementationItem.unit_id == unit_id)
            .order_by(ImplementationItem.implementation_code)
        )
        .scalars()
        .all()
    )
    # Items whose demo changes change something: not yet fully online, some time to compress.
    active = sorted(
        (i for i in items if i.status == "active"),
        key=lambda i: (i.fully_online, -i.promised_time_limit_days, i.implementation_code),
    )
    drafts = [i for i in items if i.status == "draft"]
    working = WorkingCalendar.load(session)
    today = calendar.today()

    def back(n: int) -> dt.date:
        day = today
        while n:
            day -= dt.timedelta(days=1)
            n -= working.is_working_day(day)
        return day

    def change(item: ImplementationItem, values: dict, text: str) -> AdjustmentRequest:
        with unit_of_work(session, operator):
            return services.create_adjustment(
                session,
                actor=operator,
                item=item,
                kind="change",
                ground="15.4",
                legal_basis="《海南省政务服务事项目录管理办法》第十五条",
                explanation=text,
                proposed_values=values,
            )

    def step(
        actor: Actor, fn: Callable[..., object], adjustment: AdjustmentRequest, **kwargs: object
    ) -> None:
        with unit_of_work(session, actor):  # as a form would: with the version just loaded
            fn(session, actor=actor, adjustment=adjustment, version=adjustment.version, **kwargs)

    made = 0
    # draft: the one change the unit operator can submit in the demo (and the browser test).
    change(active[0], {"consult_phone": "0898-66668888"}, "演示：咨询电话变更")
    made += 1
    # legality review, on time and overdue.
    a = change(active[1], {"promised_time_limit_days": 1}, "演示：压缩承诺时限")
    step(operator, services.submit, a, today=today)
    b = change(active[2], {"service_hours": "工作日 8:30-18:00（延时服务）"}, "演示：延时服务")
    step(operator, services.submit, b, today=back(3))
    # final review, overdue.
    c = change(active[3], {"fully_online": True, "onsite_visits": 0, "online_depth": "4"}, "演示")
    step(operator, services.submit, c, today=back(6))
    step(reviewer, services.pass_legality, c, today=back(5))
    # returned with a reason.
    d = change(active[4], {"approver": "张科长"}, "演示：明确审批人员")
    step(operator, services.submit, d, today=back(2))
    step(reviewer, services.reject, d, reason="审批人员属于内部信息，请说明公开依据。")
    # applied: a change, a planned suspension (5 working days' notice), an addition of a draft.
    e = change(active[5], {"service_location": "秀英区政务服务中心二楼综合窗口"}, "演示：窗口调整")
    step(operator, services.submit, e, today=back(4))
    step(reviewer, services.pass_legality, e, today=back(4))
    step(admin, services.approve, e, today=back(2))
    with unit_of_work(session, operator):
        s = services.create_adjustment(
            session,
            actor=operator,
            item=active[6],
            kind="suspend",
            ground="O.2",
            legal_basis="《网上政务服务运行管理办法》第十四条",
            explanation="演示：业务系统升级维护",
            planned_start=working.add_working_days(today, 6).date,
            planned_resume=working.add_working_days(today, 9).date,
        )
    step(operator, services.submit, s, today=today)
    step(reviewer, services.pass_legality, s, today=today)
    step(admin, services.approve, s, today=today)
    # an urgent suspension in legality review (flagged).
    with unit_of_work(session, operator):
        u = services.create_adjustment(
            session,
            actor=operator,
            item=active[7],
            kind="suspend",
            ground="O.2",
            legal_basis="《网上政务服务运行管理办法》第十四条",
            explanation="演示：系统故障，需立即暂停",
            planned_start=today,
            planned_resume=working.add_working_days(today, 2).date,
            urgent=True,
        )
    step(operator, services.submit, u, today=today)
    made += 7
    if len(active) > 8:
        made += _overdue_suspension(session, active[8], operator, reviewer, admin, back, step)
    if drafts:
        with unit_of_work(session, operator):
            g = services.create_adjustment(
                session,
                actor=operator,
                item=drafts[0],
                kind="add",
                ground="13.2",
                legal_basis="上级机关依法下放管理层级",
                explanation="演示：承接下放事项",
            )
        step(operator, services.submit, g, today=back(1))
        step(reviewer, services.pass_legality, g, today=back(1))
        step(admin, services.approve, g, today=today)
        made += 1
    session.flush()
    return made


def _overdue_suspension(
    session: Session,
    item: ImplementationItem,
    operator: Actor,
    reviewer: Actor,
    admin: Actor,
    back: Callable[[int], dt.date],
    step: Callable[..., None],
) -> int:
    """A suspension approved weeks ago, started on its day by the daily job, and now past its
    planned resume date without a RESUME adjustment: overdue."""
    with unit_of_work(session, operator):
        adjustment = services.create_adjustment(
            session,
            actor=operator,
            item=item,
            kind="suspend",
            ground="O.2",
            legal_basis="《网上政务服务运行管理办法》第十四条",
            explanation="演示：系统迁移，逾期未恢复",
            planned_start=back(12),
            planned_resume=back(3),
        )
    step(operator, services.submit, adjustment, today=back(20))
    step(reviewer, services.pass_legality, adjustment, today=back(19))
    step(admin, services.approve, adjustment, today=back(18))
    with unit_of_work(session, system_actor()):
        services.start_due_suspensions(session, actor=system_actor(), today=back(12))
    return 1


def _filings(session: Session) -> int:
    """An acknowledged filing of 秀英区 (before the demo adjustments, so "changes since" shows
    them), one awaiting acknowledgement (海棠区) and one returned (龙华区)."""
    if session.execute(select(func.count(Filing.id))).scalar_one():
        return 0
    regions = {r.code: r for r in session.execute(select(Region)).scalars()}
    admin = _actor(session, "province_admin")
    made = 0
    for code, username, decision in [
        ("460105", "county_coordinator", "acknowledge"),
        ("460202", "county_coordinator2", None),
        ("460106", None, "return"),
    ]:
        if code not in regions:
            continue
        actor = _actor(session, username) if username else system_actor()
        with unit_of_work(session, actor):
            filing = services.file_list(
                session, actor=actor, region=regions[code], note="演示：年度实施清单备案"
            )
        made += 1
        if decision:
            with unit_of_work(session, admin):
                services.decide_filing(
                    session,
                    actor=admin,
                    filing=filing,
                    acknowledge=decision == "acknowledge",
                    reason="" if decision == "acknowledge" else "部分事项办理地点未填写完整。",
                    version=filing.version,
                )
    return made


def seed_demo(session: Session) -> str:
    services.ensure_item_types(session)
    entries = _entries(session)
    rows = _rows(session, entries)
    filings = _filings(session)
    adjustments = _adjustments(session)
    return (
        f"basic entries: {len(entries)}, implementation rows added: {rows}, "
        f"adjustments: {adjustments}, filings: {filings}"
    )
