"""The catalogue's demo data reads like Hainan's: items implemented by the kind of unit that
implements them, real statutes as legal bases, Hainan codes, nothing left of the Sichuan source."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.catalogue import demo, demo_tables
from app.catalogue.models import BasicCatalogueEntry, ImplementationItem
from app.core import demo as core_demo
from app.core.actor import system_actor
from app.core.models import Unit
from app.core.unit_of_work import unit_of_work
from app.extensions import db


def _seed(app) -> None:
    with app.app_context(), unit_of_work(db.session, system_actor()):
        core_demo.seed_regions(db.session, core_demo.DEMO_PROVINCE, with_townships=False)
        core_demo.seed_demo_units(db.session)
        from app.catalogue import services

        services.ensure_item_types(db.session)
        demo._rows(db.session, demo._entries(db.session))


def test_every_item_is_implemented_by_a_unit_of_its_kind(app, world):
    _seed(app)
    with app.app_context():
        rows = db.session.execute(
            select(Unit.name, BasicCatalogueEntry.name, BasicCatalogueEntry.competent_department)
            .select_from(ImplementationItem)
            .join(Unit, ImplementationItem.unit_id == Unit.id)
            .join(BasicCatalogueEntry, ImplementationItem.basic_entry_id == BasicCatalogueEntry.id)
            .where(Unit.name.in_([n for units in core_demo.DEMO_UNITS_BY_REGION.values()
                                  for n, _kind in units]))
        ).all()  # fmt: skip
    assert len(rows) > 500
    for unit, item, competent in rows:
        kind = demo_tables.unit_kind(unit)
        assert demo_tables.COMPETENT[kind] == competent, (unit, item)
    fireworks = {unit for unit, item, _c in rows if item == "烟花爆竹道路运输许可"}
    assert fireworks and all("公安" in unit for unit in fireworks)


def test_legal_bases_name_real_statutes_and_codes_are_hainan_codes(app, world):
    _seed(app)
    with app.app_context():
        entries = db.session.execute(select(BasicCatalogueEntry)).scalars().all()
        assert len(entries) > 300
        for entry in entries:
            assert entry.basic_code.startswith("46"), entry.basic_code
            assert re.fullmatch(r"《[^《》]+》第[一二三四五六七八九十]+条", entry.legal_basis)
            assert "相关法律法规" not in entry.legal_basis
            for leftover in ("成都", "四川", "广安"):
                assert leftover not in entry.name
        codes = db.session.execute(select(ImplementationItem.implementation_code)).scalars()
        assert not any(code.startswith("511") for code in codes)


def test_service_centre_and_big_data_bureau_implement_no_items(app, world):
    _seed(app)
    with app.app_context():
        names = db.session.execute(
            select(Unit.name).join(ImplementationItem, ImplementationItem.unit_id == Unit.id)
        ).scalars()
        assert not {"海南省人民政府政务服务中心", "海南省大数据管理局"} & set(names)


def test_names_lose_the_source_provinces_notes():
    assert (
        demo_tables.clean_name(
            "生产建设项目水土保持方案审批（新办）（据省政府令第349号,部分省级权限下放成都等８市)"
        )
        == "生产建设项目水土保持方案审批（新办）"
    )
    assert demo_tables.clean_name("申领《四川省老年人优待证》") == "申领《海南省老年人优待证》"
    assert demo_tables.chinese_number(35) == "三十五"
    assert demo_tables.chinese_number(12) == "十二"
