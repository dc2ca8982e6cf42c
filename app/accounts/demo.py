"""Demo data of the accounts domain: a liaison, window users and pending requests (idempotent)."""

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
    return f"window users and requests added: {added}"
