"""Demo data of the verification domain: requests in every state between the demo window
(秀英区市场监督管理局) and the issuing unit 秀英区教育局, whose window gets a demo login
(``issuer_window``). Idempotent: nothing is added once the first demo case exists.

The requests go through the services as their users would send and answer them; one is then
set back a day (its instants moved and its deadlines recomputed) so that an overdue request
shows in both queues.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.models import ImplementationItem
from app.catalogue.states import ItemStatus
from app.core import calendar, roles
from app.core.actor import actor_for_user
from app.core.models import AppUser, Unit
from app.core.unit_of_work import unit_of_work
from app.verification import services
from app.verification.models import VerificationRequest

REQUESTER_UNIT = "海口市秀英区市场监督管理局"
ISSUER_UNIT = "海口市秀英区教育局"
SUGGESTED_UNIT = "海口市秀英区民政局"
ISSUER_LOGIN = ("issuer_window", "秀英区教育局窗口人员")
PREFIX = "DEMO-MZB-"
#: A one-page PDF standing for the scanned result.
RESULT_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# (case suffix, material kind, material name, complexity, channel, what happens)
CASES = [
    ("0001", "certificate", "学籍证明", "general", "window", "pending"),
    ("0002", "approval", "民办学校办学许可批复", "complex", "window", "pending"),
    ("0003", "certificate", "在读证明", "general", "window", "overdue"),
    ("0004", "approval", "校外培训机构设置批复", "general", "window", "verified"),
    ("0005", "certificate", "无犯罪记录证明", "general", "online", "returned"),
    ("0006", "certificate", "婚姻登记证明", "general", "window", "rerouted"),
]


def _issuer_login(session: Session, unit: Unit) -> AppUser:
    from app.extensions import appbuilder

    username, display = ISSUER_LOGIN
    sm = appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(
            username=username,
            first_name=display,
            last_name="",
            email=f"{username}@demo.zwfw.hainan.gov.cn",
            role=[sm.find_role(roles.WINDOW_STAFF)],
            password=current_app.config["DEMO_PASSWORD"],
        )
    row = session.get(AppUser, user.id)
    assert row is not None
    row.unit_id, row.region_id = unit.id, unit.region_id
    session.commit()
    return row


def seed_demo(session: Session) -> str:
    if session.execute(
        select(VerificationRequest.id).where(VerificationRequest.case_no == f"{PREFIX}0001")
    ).first():
        return "verification requests already seeded"
    units = {
        u.name: u
        for u in session.execute(
            select(Unit).where(Unit.name.in_([REQUESTER_UNIT, ISSUER_UNIT, SUGGESTED_UNIT]))
        ).scalars()
    }
    window = session.execute(
        select(AppUser).where(AppUser.username == "window_staff")
    ).scalar_one_or_none()
    item = session.execute(
        select(ImplementationItem)
        .where(
            ImplementationItem.status == ItemStatus.ACTIVE.value,
            ImplementationItem.published_version_id.is_not(None),
        )
        .order_by(ImplementationItem.id)
    ).scalar()
    if len(units) < 3 or window is None or item is None:
        return "verification: no demo units, window login or published item"
    requester = actor_for_user(window)
    issuer = actor_for_user(_issuer_login(session, units[ISSUER_UNIT]))
    added = 0
    for suffix, kind, name, complexity, channel, outcome in CASES:
        with unit_of_work(session, requester):
            request = services.create_request(
                session,
                services.RequestData(
                    item_id=item.id,
                    case_no=f"{PREFIX}{suffix}",
                    issuer_unit_id=units[ISSUER_UNIT].id,
                    material_kind=kind,
                    material_name=name,
                    applicant_name="王芳" if int(suffix) % 2 else "李强",
                    id_type="id_card",
                    id_number="460100199003070023" if int(suffix) % 2 else "460100198511230017",
                    complexity=complexity,
                    channel=channel,
                ),
                actor=requester,
            )
            request_id = request.id
        added += 1
        if outcome == "overdue":
            _set_back(session, request_id, days=3)
        elif outcome == "verified":
            with unit_of_work(session, issuer):
                services.verify(
                    session, request_id, filename="核验结果.pdf", content=RESULT_PDF,
                    conclusion="经核，批复真实有效", version=_version(session, request_id),
                    actor=issuer,
                )  # fmt: skip
        elif outcome in ("returned", "rerouted"):
            with unit_of_work(session, issuer):
                services.return_request(
                    session, request_id, reason="该证明不属本单位出具",
                    suggested_unit_id=units[SUGGESTED_UNIT].id, suggestion="请向民政部门申请",
                    version=_version(session, request_id), actor=issuer,
                )  # fmt: skip
            if outcome == "rerouted":
                with unit_of_work(session, requester):
                    services.reroute(
                        session, request_id, version=_version(session, request_id),
                        actor=requester,
                    )  # fmt: skip
                added += 1
    lines = _item_list(session, units[REQUESTER_UNIT])
    return f"verification requests: {added}, item-list lines filed: {lines}"


def _item_list(session: Session, unit: Unit) -> int:
    """The demo window's unit keeps a 免证办 item list and files it with the office."""
    from app.verification import item_list

    operator = session.execute(
        select(AppUser).where(AppUser.username == "unit_operator")
    ).scalar_one_or_none()
    items = (
        session.execute(
            select(ImplementationItem)
            .where(ImplementationItem.unit_id == unit.id)
            .order_by(ImplementationItem.implementation_code)
            .limit(2)
        )
        .scalars()
        .all()
    )
    if operator is None or operator.unit_id != unit.id or not items:
        return 0
    keeper = actor_for_user(operator)
    with unit_of_work(session, keeper):
        for row, (kind, name) in zip(
            items, [("licence", "营业执照"), ("approval", "食品经营许可批复")], strict=False
        ):
            item_list.add_entry(
                session, item_id=row.id, material_kind=kind, material_name=name, actor=keeper
            )
        filing = item_list.file_list(session, note="免证办事项清单首次备案", actor=keeper)
        return filing.row_count


def _version(session: Session, request_id: int) -> int:
    request = session.get(VerificationRequest, request_id)
    assert request is not None
    return request.version


def _set_back(session: Session, request_id: int, *, days: int) -> None:
    """Move a pending request's instants ``days`` back and recompute its deadlines."""
    request = session.get(VerificationRequest, request_id)
    assert request is not None
    shift = dt.timedelta(days=days)
    request.requested_at -= shift
    request.authorized_at -= shift
    for deadline in (request.verify_deadline, request.return_deadline):
        assert deadline.start_at is not None
        deadline.start_at -= shift
        deadline.start_date = calendar.local_date(deadline.start_at)
    session.flush()
    calendar.recompute_deadlines(session, since=calendar.today() - dt.timedelta(days=days + 7))
    session.commit()
