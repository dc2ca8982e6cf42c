"""Versions and publication: an item's published snapshot, its version history and diffs, and
the public pages' read side (no login)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.catalogue.models import (
    AdjustmentRequest,
    BasicCatalogueEntry,
    ImplementationItem,
    ItemVersion,
)
from app.catalogue.services.items import STANDARDIZED_FIELDS, item_values
from app.catalogue.states import PUBLIC_STATUSES
from app.core import calendar
from app.core.actor import Actor
from app.core.audit import AuditAction, record
from app.core.models import Region, Unit, utcnow

# -- versions and publication -----------------------------------------------------------------


def item_snapshot(item: ImplementationItem) -> dict[str, Any]:
    """Everything a service guide shows, as plain JSON values."""
    data: dict[str, Any] = {
        "implementation_code": item.implementation_code,
        "status": item.status,
        "region_code": item.region.code,
        "region_name": item.region.name,
        "unit_name": item.unit.name,
        "unit_credit_code": item.unit.credit_code,
        "exercise_level": item.exercise_level,
    }
    for field in STANDARDIZED_FIELDS:
        data[field] = getattr(item, field)
    data["item_type_code"] = item.basic_entry.item_type.code
    data.update(item_values(item))
    # An approved suspension: announced before its first day, its resume date while it lasts
    # (only when there is one, so the snapshots of items never suspended stay as they were).
    if item.suspension_from is not None:
        data["suspension_from"] = item.suspension_from.isoformat()
    if item.resume_by is not None:
        data["resume_by"] = item.resume_by.isoformat()
    return data


def publish(
    session: Session,
    *,
    actor: Actor,
    item: ImplementationItem,
    adjustment: AdjustmentRequest | None = None,
    note: str = "",
) -> ItemVersion:
    """Freeze the item's current values as its next published version."""
    last = session.execute(
        select(func.max(ItemVersion.number)).where(ItemVersion.item_id == item.id)
    ).scalar()
    version = ItemVersion(
        item=item,
        number=(last or 0) + 1,
        published_at=utcnow(),
        snapshot=json.dumps(item_snapshot(item), ensure_ascii=False, sort_keys=True),
        adjustment_id=adjustment.id if adjustment is not None else None,
        note=note[:256],
    )
    session.add(version)
    session.flush()
    item.published_version = version
    record(
        session,
        AuditAction.TRANSITION,
        object_type="ImplementationItem",
        object_id=item.id,
        summary=f"publish v{version.number} {item.implementation_code}",
        after={"version": version.number, "status": item.status},
    )
    return version


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """Field-by-field differences between two value maps (keys of both, in a stable order)."""
    keys = list(old) + [k for k in new if k not in old]
    return [FieldChange(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def version_history(
    session: Session, item: ImplementationItem
) -> list[tuple[ItemVersion, list[FieldChange]]]:
    """Every published version, newest first, each with its diff against the one before."""
    versions = list(
        session.execute(
            select(ItemVersion).where(ItemVersion.item_id == item.id).order_by(ItemVersion.number)
        ).scalars()
    )
    history = []
    previous: dict[str, Any] = {}
    for version in versions:
        snapshot = json.loads(version.snapshot)
        history.append((version, diff(previous, snapshot) if previous else []))
        previous = snapshot
    return list(reversed(history))


# -- publication (read by the public pages, no login) --------------------------------------------


def public_versions_query(
    *,
    region_code: str | None = None,
    unit_credit_code: str | None = None,
    search: str | None = None,
) -> Select:
    """The one published version of every item in service (active or suspended).

    Only ``ItemVersion`` rows are read: a draft row or an unapproved proposal has none, so it
    cannot appear.
    """
    query = (
        select(ItemVersion, ImplementationItem)
        .join(ImplementationItem, ImplementationItem.published_version_id == ItemVersion.id)
        .join(BasicCatalogueEntry, ImplementationItem.basic_entry_id == BasicCatalogueEntry.id)
        .where(ImplementationItem.status.in_(PUBLIC_STATUSES))
        .order_by(ImplementationItem.implementation_code)
    )
    if region_code:
        region_path = select(Region.path).where(Region.code == region_code).scalar_subquery()
        subtree = Region.subtree(region_path)
        query = query.where(ImplementationItem.region_id.in_(subtree))
    if unit_credit_code:
        query = query.join(Unit, ImplementationItem.unit_id == Unit.id).where(
            Unit.credit_code == unit_credit_code
        )
    if search:
        term = search.strip()
        query = query.where(
            (BasicCatalogueEntry.name.contains(term, autoescape=True))
            | (ImplementationItem.implementation_code == term.upper())
            | (BasicCatalogueEntry.basic_code == term.upper())
        )
    return query


def public_item(session: Session, implementation_code: str) -> ItemVersion | None:
    """The published version of one item (including cancelled/terminated ones, which show
    their status), or None when it was never published."""
    return session.execute(
        select(ItemVersion)
        .join(ImplementationItem, ImplementationItem.published_version_id == ItemVersion.id)
        .where(ImplementationItem.implementation_code == implementation_code)
    ).scalar_one_or_none()


def public_payload(version: ItemVersion) -> dict[str, Any]:
    data = json.loads(version.snapshot)
    data["version"] = version.number
    # The province's local time with its offset (2026-03-09T07:30:00+08:00).
    data["published_at"] = calendar.to_local(version.published_at).isoformat(timespec="seconds")
    return data
