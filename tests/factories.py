"""Factories: a small province to test reach against, with one user per role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core import roles, services
from app.core.demo import demo_credit_code
from app.core.models import AppUser, Region, Unit
from app.core.states import RegionLevel, UnitKind

PASSWORD = "Test@pass2026"


@dataclass
class World:
    """Ids of what :func:`build_world` created: region code → id, unit key → id, user → id."""

    regions: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    def region(self, code: str) -> int:
        return self.regions[code]

    def unit(self, key: str) -> int:
        return self.units[key]

    def user(self, username: str) -> int:
        return self.users[username]


REGIONS = [
    ("460000", "海南省", RegionLevel.PROVINCE, None),
    ("460100", "海口市", RegionLevel.CITY, "460000"),
    ("460105", "秀英区", RegionLevel.COUNTY, "460100"),
    ("460106", "龙华区", RegionLevel.COUNTY, "460100"),
    ("460105001", "秀英街道", RegionLevel.TOWNSHIP, "460105"),
    ("460200", "三亚市", RegionLevel.CITY, "460000"),
    ("460202", "海棠区", RegionLevel.COUNTY, "460200"),
]
# key → (name, region code)
UNITS = {
    "province": ("海南省人民政府政务服务中心", "460000"),
    "xiuying_market": ("海口市秀英区市场监督管理局", "460105"),
    "xiuying_edu": ("海口市秀英区教育局", "460105"),
    "longhua_market": ("海口市龙华区市场监督管理局", "460106"),
    "haitang_market": ("三亚市海棠区市场监督管理局", "460202"),
}
# user name → (role, region code, unit key)
USERS = {
    "province_admin": (roles.PROVINCE_ADMIN, "460000", "province"),
    "county_coordinator": (roles.COUNTY_COORDINATOR, "460105", None),
    "county_coordinator2": (roles.COUNTY_COORDINATOR, "460202", None),
    "city_coordinator": (roles.COUNTY_COORDINATOR, "460100", None),
    "unit_operator": (roles.UNIT_OPERATOR, "460105", "xiuying_market"),
    "unit_operator2": (roles.UNIT_OPERATOR, "460202", "haitang_market"),
    "legal_reviewer": (roles.LEGAL_REVIEWER, "460100", None),
    "licence_reviewer": (roles.LICENCE_REVIEWER, "460000", None),
    "supervisor": (roles.SUPERVISOR, "460000", None),
    "window_staff": (roles.WINDOW_STAFF, "460105", "xiuying_market"),
    "sys_admin": (roles.SYS_ADMIN, "460000", None),
    "security_admin": (roles.SECURITY_ADMIN, "460000", None),
    "audit_admin": (roles.AUDIT_ADMIN, "460000", None),
}


def build_world(app: Any) -> World:
    with app.app_context():
        return _build_world()


def _build_world() -> World:
    from app.extensions import appbuilder, db

    world = World()
    regions: dict[str, Region] = {}
    units: dict[str, Unit] = {}
    session = db.session
    for code, name, level, parent_code in REGIONS:
        region = Region(
            code=code,
            name=name,
            level=level.value,
            parent=regions.get(parent_code) if parent_code else None,
        )
        services.prepare_region(session, region)
        session.add(region)
        regions[code] = region
    session.flush()
    for key, (name, region_code) in UNITS.items():
        unit = Unit(
            name=name,
            region=regions[region_code],
            kind=UnitKind.DEPARTMENT.value,
            credit_code=demo_credit_code(name, region_code, UnitKind.DEPARTMENT),
        )
        services.prepare_unit(session, unit)
        session.add(unit)
        units[key] = unit
    session.commit()
    world.regions = {code: region.id for code, region in regions.items()}
    world.units = {key: unit.id for key, unit in units.items()}
    sm = appbuilder.sm
    for username, (role_name, region_code, unit_key) in USERS.items():
        user = sm.add_user(
            username=username,
            first_name=username,
            last_name="",
            email=f"{username}@test.example",
            role=[sm.find_role(role_name)],
            password=PASSWORD,
        )
        assert user, username
        user = session.get(AppUser, user.id)
        user.region_id = world.regions[region_code]
        user.unit_id = world.units[unit_key] if unit_key else None
        world.users[username] = user.id
    session.commit()
    return world
