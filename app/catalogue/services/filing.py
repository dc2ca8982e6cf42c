"""Filing (备案) of a region's implementation list and the changes since the last acknowledged
filing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.models import Filing, ImplementationItem
from app.catalogue.services.items import PERSONALIZED_FIELDS, item_values
from app.catalogue.services.publication import FieldChange, diff
from app.catalogue.states import FILING, FilingState, ItemStatus
from app.core import workflow
from app.core.actor import Actor
from app.core.errors import InvalidTransition, ValidationError
from app.core.models import Region, utcnow

# -- filing ------------------------------------------------------------------------------------

FILING_FIELDS = ("implementation_code", "item_name", "basic_code", "unit_name", "status") + tuple(
    PERSONALIZED_FIELDS
)


def _filing_rows(session: Session, region: Region) -> list[dict[str, Any]]:
    subtree = Region.subtree(region.path)
    items = session.execute(
        select(ImplementationItem)
        .where(
            ImplementationItem.region_id.in_(subtree),
            ImplementationItem.status != ItemStatus.DRAFT.value,
        )
        .order_by(ImplementationItem.implementation_code)
    ).scalars()
    rows = []
    for item in items:
        row = {
            "implementation_code": item.implementation_code,
            "item_name": item.item_name,
            "basic_code": item.basic_code,
            "unit_name": item.unit.name,
            "status": item.status,
        }
        row.update(item_values(item))
        rows.append(row)
    return rows


def content_hash(rows: Iterable[Mapping[str, Any]]) -> str:
    canonical = json.dumps(list(rows), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def file_list(session: Session, *, actor: Actor, region: Region, note: str = "") -> Filing:
    """A coordinator files the region's whole list: the rows are frozen with their hash."""
    region = actor.reach.one(session, Region, region.id)
    workflow.guard(actor, FILING["file"], region, session)
    pending = session.execute(
        select(Filing.id).where(
            Filing.region_id == region.id, Filing.state == FilingState.FILED.value
        )
    ).first()
    if pending:
        raise InvalidTransition(_("A filing of this region is still awaiting acknowledgement."))
    rows = _filing_rows(session, region)
    if not rows:
        raise ValidationError(message=_("The region has no published items to file."))
    filing = Filing(
        region=region,
        filed_at=utcnow(),
        filed_by=actor.username,
        row_count=len(rows),
        content_hash=content_hash(rows),
        snapshot=json.dumps(rows, ensure_ascii=False, sort_keys=True),
        note=note or "",
    )
    session.add(filing)
    workflow.apply(
        session,
        filing,
        FILING["file"],
        actor=actor,
        version=None,
        checked=True,
        summary=f"file {region.code}: {len(rows)} rows",
        after={"hash": filing.content_hash},
    )
    return filing


def filing_rows(filing: Filing) -> list[dict[str, Any]]:
    return json.loads(filing.snapshot)


def filing_intact(filing: Filing) -> bool:
    """Whether the frozen snapshot still matches its content hash."""
    return content_hash(filing_rows(filing)) == filing.content_hash


def decide_filing(
    session: Session,
    *,
    actor: Actor,
    filing: Filing,
    acknowledge: bool,
    reason: str = "",
    version: int | str | None = None,
) -> Filing:
    """The provincial administrator acknowledges a filing, or returns it with reasons."""
    filing = actor.reach.one(session, Filing, filing.id)
    reason = (reason or "").strip()
    step = FILING["acknowledge" if acknowledge else "return"]
    workflow.check(session, filing, step, actor=actor, version=version, reason=reason)
    filing.decided_at = utcnow()
    filing.decided_by = actor.username
    filing.decision_reason = reason
    workflow.apply(
        session,
        filing,
        step,
        actor=actor,
        version=version,
        checked=True,
        summary=f"{step.target} filing {filing.id}",
        after={"reason": reason},
    )
    session.flush()
    return filing


@dataclass
class ListChanges:
    since: Filing | None
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[tuple[dict[str, Any], list[FieldChange]]]


def changes_since_acknowledged(session: Session, *, actor: Actor, region: Region) -> ListChanges:
    """What differs between today's list and the last acknowledged filing of the region."""
    region = actor.reach.one(session, Region, region.id)
    last = session.execute(
        select(Filing)
        .where(Filing.region_id == region.id, Filing.state == FilingState.ACKNOWLEDGED.value)
        .order_by(Filing.filed_at.desc(), Filing.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    before = {row["implementation_code"]: row for row in (filing_rows(last) if last else [])}
    now = {row["implementation_code"]: row for row in _filing_rows(session, region)}
    return ListChanges(
        since=last,
        added=[now[c] for c in now if c not in before],
        removed=[before[c] for c in before if c not in now],
        changed=[
            (now[c], diff(before[c], now[c]))
            for c in now
            if c in before and diff(before[c], now[c])
        ],
    )
