"""Helpers of the accounts tests: requests and window users made through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.accounts import services
from app.accounts.models import AccountRequest
from app.core.actor import actor_for_user, system_actor
from app.core.models import AppUser, utcnow
from app.core.unit_of_work import unit_of_work

STRONG = "Strong#Pass2026"


def file_new(app: Any, world: Any, username: str = "wang_wei", **fields: Any) -> int:
    """A pending new-account request of 秀英区市场监督管理局, filed by its unit operator."""
    from app.extensions import db

    with app.app_context():
        operator = db.session.get(AppUser, world.user("unit_operator"))
        actor = actor_for_user(operator)
        data = services.RequestData(
            kind="new",
            person_name=fields.get("person_name", "王伟"),
            mobile=fields.get("mobile", "13800138000"),
            hall=fields.get("hall", "秀英区政务服务中心"),
            window_no=fields.get("window_no", "A05"),
            username=username,
        )
        with unit_of_work(db.session, actor):
            item = services.file_request(db.session, data, actor=actor)
        db.session.commit()
        return item.id


def approve(app: Any, request_id: int, approver_id: int) -> tuple[int, str | None]:
    """Approve as the given coordinator; returns (new user id or 0, one-time password)."""
    from app.extensions import appbuilder, db

    with app.app_context():
        approver = db.session.get(AppUser, approver_id)
        actor = actor_for_user(approver)
        with unit_of_work(db.session, actor):
            item = actor.reach.one(db.session, AccountRequest, request_id)
            version = item.version  # as loaded
            decision = services.approve(
                db.session,
                item,
                actor=actor,
                security_manager=appbuilder.sm,
                version=version,
            )
        db.session.commit()
        return (decision.user.id if decision.user else 0), decision.initial_password


def window_user_of(app: Any, request_id: int) -> int:
    from app.extensions import db

    with app.app_context():
        return db.session.get(AccountRequest, request_id).window_user_id


def set_user(app: Any, user_id: int, **values: Any) -> None:
    from app.extensions import db

    with app.app_context(), unit_of_work(db.session, system_actor()):
        user = db.session.get(AppUser, user_id)
        for key, value in values.items():
            setattr(user, key, value)
        db.session.commit()


def days_ago(n: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=n)
