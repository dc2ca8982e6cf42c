"""Demo data of the accounts domain: a liaison, window users, and requests in every state
(pending, approved by the county coordinator, rejected with a reason). Idempotent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import services
from app.accounts.models import AccountRequest, WindowUser
from app.accounts.states import RequestKind, RequestState, WindowUserStatus
from app.core.models import AppUser, Unit

UNIT = "海口市秀英区市场监督管理局"
HALL = "秀英区政务服务中心"
# (person, mobile, window, user name) of pending new-account requests.
PENDING = [
    ("林晓", "13876000001", "A06", "lin_xiao"),
    ("黄海", "13876000002", "A07", "huang_hai"),
]
# (person, mobile, window, user name, decision, reason) decided by the county coordinator.
DECIDED = [
    ("周丽", "13876000003", "A08", "zhou_li", "approve", ""),
    (
        "陈思",
        "13876000004",
        "A09",
        "chen_si",
        "reject",
        "该人员未在本单位窗口岗位任职，请核实后重新申请。",
    ),
]


def seed_demo(session: Session) -> str:
    unit = session.execute(select(Unit).where(Unit.name == UNIT)).scalar_one_or_none()
    if unit is None:
        return "no demo unit"
    added = 0
    if not unit.liaison_name:
        unit.liaison_name = "符敏"
        unit.liaison_phone = "0898-68600000"
    # The demo window login of the core becomes a window user of its unit.
    staff = session.execute(
        select(AppUser).where(AppUser.username == "window_staff")
    ).scalar_one_or_none()
    if (
        staff is not None
        and session.execute(select(WindowUser.id).where(WindowUser.user_id == staff.id)).first()
        is None
    ):
        session.add(
            WindowUser(
                person_name="秀英区窗口人员",
                mobile="13876000000",
                hall=HALL,
                window_no="A01",
                role_name=services.WINDOW_STAFF,
                unit_id=unit.id,
                region_id=unit.region_id,
                user_id=staff.id,
                status=WindowUserStatus.ACTIVE.value,
            )
        )
        added += 1
    for person, mobile, window, username in PENDING:
        exists = session.execute(
            select(AccountRequest.id).where(AccountRequest.username == username)
        ).first()
        if (
            exists
            or session.execute(select(AppUser.id).where(AppUser.username == username)).first()
        ):
            continue
        session.add(
            AccountRequest(
                kind=RequestKind.NEW.value,
                state=RequestState.PENDING.value,
                unit_id=unit.id,
                region_id=unit.region_id,
                person_name=person,
                mobile=mobile,
                hall=HALL,
                window_no=window,
                role_name=services.WINDOW_STAFF,
                username=username,
            )
        )
        added += 1
    session.flush()
    added += _decided(session, unit)
    return f"window users and requests added: {added}"


def _decided(session: Session, unit: Unit) -> int:
    """Requests the unit filed and the county coordinator decided, through the services."""
    from app.core.actor import actor_for_user
    from app.core.unit_of_work import unit_of_work
    from app.extensions import appbuilder

    operator = session.execute(
        select(AppUser).where(AppUser.username == "unit_operator")
    ).scalar_one_or_none()
    coordinator = session.execute(
        select(AppUser).where(AppUser.username == "county_coordinator")
    ).scalar_one_or_none()
    if operator is None or coordinator is None:
        return 0
    added = 0
    for person, mobile, window, username, decision, reason in DECIDED:
        if session.execute(
            select(AccountRequest.id).where(AccountRequest.username == username)
        ).first():
            continue
        filer = actor_for_user(operator)
        with unit_of_work(session, filer):
            item = services.file_request(
                session,
                services.RequestData(
                    kind=RequestKind.NEW.value,
                    unit_id=unit.id,
                    person_name=person,
                    mobile=mobile,
                    hall=HALL,
                    window_no=window,
                    role_name=services.WINDOW_STAFF,
                    username=username,
                ),
                actor=filer,
            )
        decider = actor_for_user(coordinator)
        with unit_of_work(session, decider):
            if decision == "approve":
                services.approve(
                    session,
                    item,
                    actor=decider,
                    security_manager=appbuilder.sm,
                    version=item.version,
                )
            else:
                services.reject(session, item, actor=decider, reason=reason, version=item.version)
        added += 1
    return added
