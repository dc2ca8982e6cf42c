"""Seeding: the region tree of a province from the shipped division tables, and the demo province.

Everything here is idempotent: rows are looked up by their natural keys (division code, credit
code, user name) and only missing ones are created.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import roles, services
from app.core.codes import make_credit_code
from app.core.models import AppUser, Region, Unit
from app.core.states import RegionLevel, UnitKind

DATA_DIR = Path(__file__).with_name("data")
# Prefecture rows that are statistical groupings, not regions (their counties hang on the province).
GROUPING_NAMES = {"市辖区", "省直辖县级行政区划", "县", "自治区直辖县级行政区划"}


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def seed_regions(session: Session, province_code: str, with_townships: bool = True) -> int:
    """Create the province's tree (province → city → county → township); return rows added."""
    existing = {code: region for code, region in session.execute(select(Region.code, Region)).all()}
    added = 0

    def ensure(code: str, name: str, level: RegionLevel, parent: Region | None) -> Region:
        nonlocal added
        region = existing.get(code)
        if region is None:
            region = Region(code=code, name=name, level=level.value, parent=parent)
            services.prepare_region(session, region)
            session.add(region)
            session.flush()
            existing[code] = region
            added += 1
        return region

    province_row = next(r for r in _rows("provinces.csv") if r["code"] == province_code)
    province = ensure(province_code + "0000", province_row["name"], RegionLevel.PROVINCE, None)
    cities: dict[str, Region] = {}
    for row in _rows("cities.csv"):
        if row["provinceCode"] != province_code:
            continue
        if row["name"] in GROUPING_NAMES:
            cities[row["code"]] = province
        else:
            cities[row["code"]] = ensure(
                row["code"] + "00", row["name"], RegionLevel.CITY, province
            )
    counties: dict[str, Region] = {}
    for row in _rows("areas.csv"):
        if row["provinceCode"] != province_code:
            continue
        parent = cities[row["cityCode"]]
        if row["code"] == parent.code:  # a city without districts lists itself
            counties[row["code"]] = parent
            continue
        counties[row["code"]] = ensure(row["code"], row["name"], RegionLevel.COUNTY, parent)
    if with_townships:
        for row in _rows("streets.csv"):
            if row["provinceCode"] == province_code and row["areaCode"] in counties:
                ensure(row["code"], row["name"], RegionLevel.TOWNSHIP, counties[row["areaCode"]])
    return added


# -- the demo province: Hainan ------------------------------------------------------------------

DEMO_PROVINCE = "46"
# Each unit is named as the real one is, so that an item is implemented by the kind of unit that
# implements it in Hainan (app.catalogue.demo matches items to units by these names). The two
# first units implement no items: the service centre and the big-data bureau run the system.
PROVINCE_UNITS = [
    ("海南省人民政府政务服务中心", UnitKind.AGENCY),
    ("海南省大数据管理局", UnitKind.PUBLIC_INSTITUTION),
    ("海南省司法厅", UnitKind.DEPARTMENT),
    ("海南省市场监督管理局", UnitKind.DEPARTMENT),
    ("海南省交通运输厅", UnitKind.DEPARTMENT),
    ("海南省公安厅", UnitKind.DEPARTMENT),
    ("海南省人力资源和社会保障厅", UnitKind.DEPARTMENT),
    ("海南省教育厅", UnitKind.DEPARTMENT),
    ("海南省民政厅", UnitKind.DEPARTMENT),
    ("海南省卫生健康委员会", UnitKind.DEPARTMENT),
    ("海南省生态环境厅", UnitKind.DEPARTMENT),
]
# City departments after the city's name (海口市 + 市场监督管理局).
CITY_DEPARTMENTS = [
    "市场监督管理局",
    "行政审批服务局",
    "司法局",
    "教育局",
    "人力资源和社会保障局",
    "公安局",
    "自然资源和规划局",
    "医疗保障局",
    "旅游和文化广电体育局",
]
# County (district) departments after the district's full name (海口市秀英区 + 教育局); the
# district's public-security bureau is a branch of the city's (海口市公安局秀英分局).
COUNTY_DEPARTMENTS = [
    "市场监督管理局",
    "教育局",
    "民政局",
    "人力资源和社会保障局",
    "卫生健康委员会",
    "住房和城乡建设局",
    "交通运输局",
    "司法局",
    "农业农村局",
    "应急管理局",
]


def _county(city: str, district: str, departments: list[str]) -> list[tuple[str, UnitKind]]:
    units = [(city + district + d, UnitKind.DEPARTMENT) for d in departments]
    return [*units, (city + "公安局" + district.removesuffix("区") + "分局", UnitKind.DEPARTMENT)]


DEMO_UNITS_BY_REGION = {
    "460000": list(PROVINCE_UNITS),
    "460100": [("海口市" + d, UnitKind.DEPARTMENT) for d in CITY_DEPARTMENTS],
    "460105": _county("海口市", "秀英区", COUNTY_DEPARTMENTS),
    "460106": _county("海口市", "龙华区", COUNTY_DEPARTMENTS[:5]),
    "460200": [("三亚市" + d, UnitKind.DEPARTMENT) for d in CITY_DEPARTMENTS[:6]],
    "460202": _county("三亚市", "海棠区", COUNTY_DEPARTMENTS),
    "460203": _county("三亚市", "吉阳区", COUNTY_DEPARTMENTS[:4]),
}

# (user name, role, region code, unit name or None, display name)
DEMO_USERS = [
    ("province_admin", roles.PROVINCE_ADMIN, "460000", "海南省人民政府政务服务中心", "省级管理员"),
    ("county_coordinator", roles.COUNTY_COORDINATOR, "460105", None, "秀英区协调员"),
    ("county_coordinator2", roles.COUNTY_COORDINATOR, "460202", None, "海棠区协调员"),
    (
        "unit_operator",
        roles.UNIT_OPERATOR,
        "460105",
        "海口市秀英区市场监督管理局",
        "秀英区市监局经办人",
    ),
    ("legal_reviewer", roles.LEGAL_REVIEWER, "460100", "海口市司法局", "海口市司法局审核员"),
    ("licence_reviewer", roles.LICENCE_REVIEWER, "460000", "海南省大数据管理局", "大数据局审核员"),
    # A second licence reviewer, of another unit: the big-data bureau's own registrations need one.
    (
        "licence_reviewer2",
        roles.LICENCE_REVIEWER,
        "460000",
        "海南省人民政府政务服务中心",
        "政务服务中心证照审核员",
    ),
    ("supervisor", roles.SUPERVISOR, "460000", "海南省人民政府政务服务中心", "省政务服务监督员"),
    ("window_staff", roles.WINDOW_STAFF, "460105", "海口市秀英区市场监督管理局", "秀英区窗口人员"),
    ("sys_admin", roles.SYS_ADMIN, "460000", None, "系统管理员"),
    ("security_admin", roles.SECURITY_ADMIN, "460000", None, "安全管理员"),
    ("audit_admin", roles.AUDIT_ADMIN, "460000", None, "审计管理员"),
]


def demo_credit_code(name: str, region_code: str, kind: UnitKind) -> str:
    """A valid, stable credit code for a demo unit (机关 11 / 事业单位 12)."""
    digest = int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16)
    org8 = f"{digest % 10**8:08d}"
    prefix = "12" if kind is UnitKind.PUBLIC_INSTITUTION else "11"
    return make_credit_code(prefix, region_code, org8)


def seed_demo_units(session: Session) -> int:
    regions = {r.code: r for r in session.execute(select(Region)).scalars()}
    known = set(session.execute(select(Unit.credit_code)).scalars())
    added = 0
    for region_code, units in DEMO_UNITS_BY_REGION.items():
        for name, kind in units:
            code = demo_credit_code(name, region_code, kind)
            if code in known:
                continue
            unit = Unit(
                name=name,
                credit_code=code,
                region=regions[region_code],
                kind=kind.value,
                liaison_name=None,
                active=True,
            )
            services.prepare_unit(session, unit)
            session.add(unit)
            known.add(code)
            added += 1
    session.flush()
    return added


def seed_demo_users(session: Session, security_manager: Any, password: str) -> list[str]:
    created = []
    regions = {r.code: r for r in session.execute(select(Region)).scalars()}
    units = {u.name: u for u in session.execute(select(Unit)).scalars()}
    for username, role_name, region_code, unit_name, display in DEMO_USERS:
        if security_manager.find_user(username=username) is not None:
            continue
        role = security_manager.find_role(role_name)
        user = security_manager.add_user(
            username=username,
            first_name=display,
            last_name="",
            email=f"{username}@demo.zwfw.hainan.gov.cn",
            role=[role],
            password=password,
        )
        if not user:
            raise RuntimeError(f"could not create demo user {username}")
        user = session.get(AppUser, user.id)
        assert user is not None  # added just above
        user.region = regions[region_code]
        user.unit = units.get(unit_name) if unit_name else None
        created.append(username)
    session.flush()
    return created
