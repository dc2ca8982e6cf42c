"""Demo data: licence catalogue entries in every state, applications, objections and events.

Idempotent: nothing is added when the first demo entry's type code already exists.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.models import ImplementationItem
from app.core import calendar
from app.core.calendar import WorkingCalendar, close_deadline, schedule_deadline
from app.core.models import AppUser, Unit, utcnow
from app.licences import services
from app.licences.models import (
    LicenceEntry,
    LicenceFaceField,
    LicenceItemLink,
    LicenceObjection,
    LicenceStatusEvent,
    LicenceUsageApplication,
)

BUSINESS_FIELDS = [
    ("统一社会信用代码", "code"),
    ("名称", "text"),
    ("类型", "text"),
    ("法定代表人", "text"),
    ("注册资本", "number"),
    ("成立日期", "date"),
    ("住所", "text"),
]

# (unit name, number, licence name, holder, validity, years, trust, state, fields)
ENTRIES = [
    (
        "海南省市场监督管理局",
        1,
        "营业执照",
        "legal",
        "long_term",
        None,
        "sealed",
        "approved",
        BUSINESS_FIELDS,
    ),
    (
        "海南省市场监督管理局",
        2,
        "食品生产许可证",
        "legal",
        "fixed",
        5,
        "sealed",
        "approved",
        [("许可证编号", "code"), ("生产者名称", "text"), ("有效期至", "date")],
    ),
    (
        "海南省交通运输厅",
        1,
        "道路运输经营许可证",
        "legal",
        "fixed",
        4,
        "sealed",
        "submitted",
        [("许可证号", "code"), ("业户名称", "text"), ("经营范围", "text"), ("有效期至", "date")],
    ),
    (
        "海南省大数据管理局",
        1,
        "数据资源登记证书",
        "legal",
        "per_issue",
        None,
        "sealed",
        "submitted",
        [("登记编号", "code"), ("数据资源名称", "text")],
    ),
    (
        "海口市秀英区市场监督管理局",
        1,
        "小作坊登记证",
        "person",
        "fixed",
        3,
        "unsealed",
        "rejected",
        [("登记证编号", "code"), ("经营者姓名", "text")],
    ),
    (
        "海口市秀英区市场监督管理局",
        3,
        "食品小经营店登记证",
        "legal",
        "fixed",
        5,
        "sealed",
        "approved",
        [
            ("登记证编号", "code"),
            ("经营者名称", "text"),
            ("经营场所", "text"),
            ("有效期至", "date"),
        ],
    ),
    (
        "海口市秀英区市场监督管理局",
        2,
        "食品摊贩登记卡",
        "person",
        "fixed",
        1,
        "unsealed",
        "draft",
        [("登记卡编号", "code"), ("经营者姓名", "text"), ("经营地点", "text")],
    ),
    (
        "海口市秀英区教育局",
        1,
        "民办学校办学许可证",
        "other",
        "fixed",
        5,
        "sealed",
        "resubmitted",
        [("许可证编号", "code"), ("学校名称", "text"), ("举办者", "text")],
    ),
    (
        "海口市龙华区市场监督管理局",
        1,
        "个体工商户营业执照",
        "person",
        "long_term",
        None,
        "sealed",
        "revised",
        [("统一社会信用代码", "code"), ("名称", "text"), ("经营者", "text")],
    ),
    (
        "海南省交通运输厅",
        2,
        "道路运输证（旧版）",
        "legal",
        "fixed",
        1,
        "unsealed",
        "deprecated",
        [("道路运输证号", "code"), ("车辆号牌", "text")],
    ),
]


def seed_demo(session: Session) -> str:
    units = {u.name: u for u in session.execute(select(Unit)).scalars()}
    first = units["海南省市场监督管理局"].credit_code + "001"
    if session.execute(select(LicenceEntry.id).where(LicenceEntry.type_code == first)).first():
        return "licences already seeded"
    operator = session.execute(
        select(AppUser).where(AppUser.username == "unit_operator")
    ).scalar_one_or_none()
    reviewer = session.execute(
        select(AppUser).where(AppUser.username == "licence_reviewer")
    ).scalar_one_or_none()
    now = utcnow()
    entries: dict[str, LicenceEntry] = {}
    for index, row in enumerate(ENTRIES):
        unit_name, number, name, holder, validity, years, trust, state, fields = row
        unit = units[unit_name]
        entry = LicenceEntry(
            name=name,
            type_code=unit.credit_code + f"{number:03d}",
            issuing_unit=unit,
            region_id=unit.region_id,
            holder_category=holder,
            validity_rule=validity,
            validity_years=years,
            trust_level=trust,
            state=state,
        )
        for position, (field_name, data_type) in enumerate(fields, start=1):
            entry.face_fields.append(
                LicenceFaceField(
                    position=position, name=field_name, data_type=data_type, required=True
                )
            )
        if state != "draft":
            entry.submitted_at = now - dt.timedelta(days=3 + 4 * index)
            if operator is not None and unit_name == "海口市秀英区市场监督管理局":
                entry.submitted_by_id = operator.id
        if state in ("approved", "rejected", "revised", "resubmitted", "deprecated"):
            entry.reviewed_at = entry.submitted_at + dt.timedelta(days=2)
            entry.reviewed_by_id = reviewer.id if reviewer is not None else None
        if state in ("rejected", "revised", "resubmitted"):
            entry.rejection_reason = "照面信息项不完整，请补充有效期字段。"
            before = services.snapshot(entry)
            entry.rejected_snapshot = json.dumps(before, ensure_ascii=False)
            if state != "rejected":
                entry.face_fields.append(
                    LicenceFaceField(
                        position=len(fields) + 1, name="有效期至", data_type="date", required=True
                    )
                )
        if state == "deprecated":
            entry.deprecated_at = now - dt.timedelta(days=1)
            entry.deprecation_reason = "已由新版道路运输证替代。"
        session.add(entry)
        entries[name] = entry
    session.flush()

    licence = entries["营业执照"]
    food = entries["食品生产许可证"]
    today = calendar.today()
    applications = [
        (units["海口市秀英区市场监督管理局"], licence, "approved", today + dt.timedelta(days=300)),
        (units["海口市秀英区教育局"], licence, "approved", today - dt.timedelta(days=10)),
        (units["三亚市海棠区市场监督管理局"], licence, "submitted", today + dt.timedelta(days=365)),
        (units["海口市龙华区市场监督管理局"], food, "rejected", today + dt.timedelta(days=180)),
        (units["海口市秀英区市场监督管理局"], food, "draft", today + dt.timedelta(days=365)),
    ]
    for index, (unit, entry, state, end) in enumerate(applications):
        application = LicenceUsageApplication(
            applicant_unit=unit,
            region_id=unit.region_id,
            entry=entry,
            can_view=True,
            can_verify=True,
            can_call=index % 2 == 0,
            mode="sharing" if index != 3 else "authorised",
            service_items="食品经营许可（新办）\n食品经营许可（变更）",
            reason="受理时核验申请人证照，免于提交纸质证照（免证办）。",
            requested_end_date=end,
            state=state,
        )
        application.items = list(
            session.execute(
                select(ImplementationItem)
                .where(ImplementationItem.unit_id == unit.id)
                .order_by(ImplementationItem.id)
                .limit(2)
            ).scalars()
        )
        if state != "draft":
            application.submitted_at = now - dt.timedelta(days=5 + index)
        if state == "approved":
            application.reviewed_at = now - dt.timedelta(days=2)
            application.approved_scope = "食品经营许可（新办、变更）的受理核验"
            application.approved_end_date = end
        if state == "rejected":
            application.reviewed_at = now - dt.timedelta(days=1)
            application.rejection_reason = "调用范围超出职能需要，请按事项精简。"
            application.rejected_snapshot = json.dumps(
                services.snapshot(application), ensure_ascii=False
            )
        session.add(application)

    cal = WorkingCalendar.load(session)
    old = today - dt.timedelta(days=20)
    while not cal.is_working_day(old):
        old -= dt.timedelta(days=1)
    shop = entries["食品小经营店登记证"]
    objections = [
        ("2430599", "海口椰城贸易有限公司", "住所", "住所已迁至秀英区长滨路", old, "received"),
        ("0001001", "秀英区长流镇某小吃店", "经营场所", "经营场所门牌号有误", old, "received"),
        ("0001002", "秀英区海秀镇某便利店", "经营者名称", "经营者名称少一字", today, "received"),
        ("0001003", "秀英区西秀镇某饮品店", "有效期至", "有效期应为五年", old, "resolved"),
        ("2430600", "海口南海建材有限公司", "法定代表人", "法定代表人已于上月变更", old, "marked"),
        ("2430601", "海口滨海餐饮有限公司", "注册资本", "注册资本显示有误", old, "resolved"),
        (
            "2430602",
            "海口琼北物流有限公司",
            "成立日期",
            "成立日期与纸质执照不一致",
            today,
            "received",
        ),
    ]
    for serial, holder, field, claim, received, state in objections:
        target = shop if serial.startswith("000") else licence
        objection = LicenceObjection(
            entry=target,
            licence_number=services.make_licence_number(
                target.type_code, target.issuing_unit.credit_code, serial
            ),
            holder_name=holder,
            disputed_field=field,
            claim=claim,
            raised_by=holder if serial != "2430600" else "海口市秀英区市场监督管理局",
            source="holder" if serial != "2430600" else "using_unit",
            received_on=received,
            state=state,
            mark_deadline=schedule_deadline(session, received, 1, "licence objection: mark"),
            verify_deadline=schedule_deadline(session, received, 5, "licence objection: verify"),
        )
        if state in ("marked", "resolved"):
            objection.marked_at = dt.datetime.combine(received, dt.time(10))
            close_deadline(objection.mark_deadline, at=objection.marked_at)
        if state == "resolved":
            objection.resolved_at = dt.datetime.combine(received, dt.time(16))
            close_deadline(objection.verify_deadline, at=objection.resolved_at)
            objection.outcome = "corrected"
            objection.outcome_note = "经核对登记档案，注册资本数据已更正。"
            objection.applicant_told_on = received
            objection.applicant_told_how = "电话告知"
        session.add(objection)

    events = [
        ("2430599", "change", 40, "住所变更"),
        ("2430599", "pledge", 30, "股权出质登记"),
        ("2430600", "annual", 60, "年度报告公示"),
        ("2430601", "extension", 20, "经营期限延长"),
        ("2430602", "revocation", 10, "因违法经营被吊销"),
        ("2430603", "cancellation", 5, "申请注销登记"),
        ("2430604", "annulment", 2, "登记被依法撤销，证照废止"),
        ("0001001", "change", 25, "经营场所变更"),
        ("0001001", "extension", 3, "有效期延续"),
        ("0001004", "cancellation", 8, "经营者申请注销"),
    ]
    for serial, kind, days_ago, reason in events:
        target = shop if serial.startswith("000") else licence
        session.add(
            LicenceStatusEvent(
                entry=target,
                licence_number=services.make_licence_number(
                    target.type_code, target.issuing_unit.credit_code, serial
                ),
                event_type=kind,
                event_date=today - dt.timedelta(days=days_ago),
                reason=reason,
            )
        )
    links = _link_items(session, units, [licence, food, shop])
    session.flush()
    return (
        f"licence entries: {len(ENTRIES)}, usage applications: {len(applications)}, "
        f"objections: {len(objections)}, status events: {len(events)}, item links: {links}"
    )


# Which items accept a licence: those whose name has one of these words (a business licence for
# the items a business applies for, a food licence for the food items ...).
LINK_WORDS = {
    "营业执照": ("企业", "经营", "食品", "名称", "计量"),
    "食品生产许可证": ("食品",),
    "食品小经营店登记证": ("食品小经营店",),
}


def _link_items(session: Session, units: dict[str, Unit], licences: list[LicenceEntry]) -> int:
    """Let a few items of the window staff's hall (and others) accept the published licences
    that such an item really asks for."""
    added = 0
    for unit_name, per_unit in (
        ("海口市秀英区市场监督管理局", 6),
        ("海口市龙华区市场监督管理局", 3),
        ("三亚市海棠区市场监督管理局", 3),
    ):
        unit = units.get(unit_name)
        if unit is None:
            continue
        items = (
            session.execute(
                select(ImplementationItem)
                .where(ImplementationItem.unit_id == unit.id)
                .order_by(ImplementationItem.id)
            )
            .scalars()
            .all()
        )
        for licence in licences:
            words = LINK_WORDS.get(licence.name, ())
            matching = [i for i in items if any(w in i.basic_entry.name for w in words)]
            for item in matching[:per_unit]:
                session.add(LicenceItemLink(item=item, entry=licence))
                added += 1
    return added
