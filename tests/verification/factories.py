"""Factories of the verification domain: the units' staff, a published item, requests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from app.core import roles
from app.core.models import AppUser
from app.extensions import appbuilder, db
from app.verification import services
from tests.catalogue.factories import actor, basic_entry, item
from tests.factories import PASSWORD

__all__ = ["PDF", "PNG", "actor", "ask", "published_item", "staff", "version_of"]

CST = dt.timezone(dt.timedelta(hours=8))
#: Monday 2 March 2026, 10:00 in Beijing: a working day in office hours.
MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=CST)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ID_NUMBER = "11010519491231002X"

_codes = itertools.count(1)
_cases = itertools.count(1)

# user name → (role, unit key): besides tests.factories' users, the issuing unit's staff
# (秀英区教育局) and the approving unit's operator (龙华区市场监督管理局).
STAFF = {
    "edu_window": (roles.WINDOW_STAFF, "xiuying_edu"),
    "edu_operator": (roles.UNIT_OPERATOR, "xiuying_edu"),
    "longhua_operator": (roles.UNIT_OPERATOR, "longhua_market"),
    "haitang_window": (roles.WINDOW_STAFF, "haitang_market"),
}


def staff(app: Any, world: Any) -> None:
    """Create :data:`STAFF` (the requesting window is tests.factories' ``window_staff``)."""
    from app.core.models import Unit

    with app.app_context():
        sm = appbuilder.sm
        for username, (role_name, unit_key) in STAFF.items():
            user = sm.add_user(
                username=username,
                first_name=username,
                last_name="",
                email=f"{username}@test.example",
                role=[sm.find_role(role_name)],
                password=PASSWORD,
            )
            user = db.session.get(AppUser, user.id)
            unit = db.session.get(Unit, world.unit(unit_key))
            user.unit_id, user.region_id = unit.id, unit.region_id
            world.users[username] = user.id
        db.session.commit()


def published_item(world: Any, unit_key: str = "longhua_market") -> Any:
    """An item of the published list, approved by ``unit_key``."""
    entry = basic_entry(code=f"4601060{next(_codes):05d}", name="食品经营许可")
    return item(world, unit_key, entry, published=True)


def ask(world: Any, item_id: int, *, by: str = "window_staff", **values: Any) -> Any:
    data = services.RequestData(
        item_id=item_id,
        case_no=values.pop("case_no", f"AJ2026{next(_cases):06d}"),
        issuer_unit_id=values.pop("issuer_unit_id", world.unit("xiuying_edu")),
        material_kind=values.pop("material_kind", "certificate"),
        material_name=values.pop("material_name", "学历证明"),
        applicant_name=values.pop("applicant_name", "张三丰"),
        id_type=values.pop("id_type", "id_card"),
        id_number=values.pop("id_number", ID_NUMBER),
        **values,
    )
    request = services.create_request(db.session, data, actor=actor(by))
    db.session.flush()
    return request


def version_of(request_id: int) -> int:
    from app.verification.models import VerificationRequest

    return db.session.get(VerificationRequest, request_id).version
