"""Factories of the catalogue domain: entries, items, adjustments, actors."""

from __future__ import annotations

from typing import Any

from app.catalogue import services
from app.catalogue.models import BasicCatalogueEntry, ImplementationItem, ItemType
from app.core.actor import Actor, actor_for_user, system_actor
from app.core.models import AppUser, Unit
from app.extensions import db


def actor(username: str) -> Actor:
    user = db.session.query(AppUser).filter_by(username=username).one()
    return actor_for_user(user)


def item_type(code: str = "01") -> ItemType:
    services.ensure_item_types(db.session)
    return db.session.query(ItemType).filter_by(code=code).one()


def basic_entry(
    code: str = "460105001000", name: str = "食品经营许可", **values: Any
) -> BasicCatalogueEntry:
    entry = BasicCatalogueEntry(
        basic_code=code,
        name=name,
        item_type=item_type(values.pop("type_code", "01")),
        source="national",
        status="active",
        legal_basis="《中华人民共和国食品安全法》第三十五条",
        acceptance_conditions="具备经营场所",
        application_materials="申请书",
        legal_time_limit_days=values.pop("legal_time_limit_days", 20),
        handling_process="受理—审查—决定",
        fee_standard="不收费",
        complaint_phone="12345",
        form_content="申请表",
        **values,
    )
    services.validate_basic_entry(db.session, entry)
    db.session.add(entry)
    db.session.flush()
    return entry


def item(
    world: Any,
    unit_key: str = "xiuying_market",
    entry: BasicCatalogueEntry | None = None,
    *,
    published: bool = False,
    **values: Any,
) -> ImplementationItem:
    entry = entry or basic_entry()
    unit = db.session.get(Unit, world.unit(unit_key))
    values.setdefault("promised_time_limit_days", 10)
    values.setdefault("service_location", "政务服务中心一楼")
    row = services.create_implementation_item(
        db.session, actor=system_actor(), basic_entry=entry, unit=unit, values=values
    )
    if published:
        row.status = "active"
        services.publish(db.session, actor=system_actor(), item=row, note="test")
    db.session.flush()
    return row
