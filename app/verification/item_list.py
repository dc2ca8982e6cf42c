"""Every rule about a unit's 免证办 item list (seed 003 art. 9, 11 (三)): which of the unit's
items accept which documents without the paper, kept by the unit and filed with the office,
which acknowledges the filing or returns it for correction (as implementation lists are).

Services take a keyword-only ``actor`` and never commit.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.models import ImplementationItem
from app.core import roles, workflow
from app.core.actor import Actor
from app.core.errors import Forbidden, InvalidTransition, ValidationError
from app.core.models import Unit, utcnow
from app.verification.models import FreeListEntry, FreeListFiling
from app.verification.states import LIST_FILING, LIST_KEEPERS, ListFilingState, MaterialKind


def _keeper_unit(session: Session, actor: Actor) -> Unit:
    """The unit whose list the actor keeps: a unit operator's own."""
    unit_id = getattr(actor.user, "unit_id", None)
    unit = session.get(Unit, unit_id) if unit_id else None
    if unit is None or not (roles.names_of(actor) & LIST_KEEPERS):
        raise Forbidden(_("Only the unit's operator (单位经办人) keeps its list."))
    return unit


def entries(session: Session, *, actor: Actor, unit_id: int | None = None) -> list[FreeListEntry]:
    """The list lines within reach (of one unit when given), by item code."""
    query = select(FreeListEntry).join(ImplementationItem)
    if unit_id is not None:
        query = query.where(FreeListEntry.unit_id == unit_id)
    query = actor.reach.scope(query, FreeListEntry).order_by(
        ImplementationItem.implementation_code, FreeListEntry.material_name
    )
    return list(session.execute(query).scalars())


def add_entry(
    session: Session, *, item_id: Any, material_kind: str, material_name: str, actor: Actor
) -> FreeListEntry:
    """Add a line: one of the unit's own items (404 for another unit's) and the document."""
    unit = _keeper_unit(session, actor)
    item = actor.reach.one(session, ImplementationItem, item_id)
    errors = {}
    if item.unit_id != unit.id:
        errors["item_id"] = _("Choose one of your unit's items.")
    if material_kind not in {kind.value for kind in MaterialKind}:
        errors["material_kind"] = _("Choose what is to be verified.")
    name = material_name.strip()
    if not name:
        errors["material_name"] = _("Name the document to verify.")
    elif session.execute(
        select(FreeListEntry.id).where(
            FreeListEntry.item_id == item.id, FreeListEntry.material_name == name
        )
    ).first():
        errors["material_name"] = _("This document is already on the list for the item.")
    if errors:
        raise ValidationError(errors)
    entry = FreeListEntry(
        unit_id=unit.id,
        region_id=unit.region_id,
        item_id=item.id,
        material_kind=material_kind,
        material_name=name,
    )
    session.add(entry)
    session.flush()
    return entry


def remove_entry(session: Session, entry_id: Any, *, actor: Actor) -> None:
    """Take a line off the unit's list (within reach, else 404)."""
    _keeper_unit(session, actor)
    entry = actor.reach.one(session, FreeListEntry, entry_id)
    session.delete(entry)
    session.flush()


def snapshot_rows(session: Session, unit_id: int) -> list[dict[str, str]]:
    """The list as filed: item code and name, kind and document, in a stable order."""
    rows = session.execute(
        select(FreeListEntry).join(ImplementationItem).where(FreeListEntry.unit_id == unit_id)
    ).scalars()
    return sorted(
        (
            {
                "implementation_code": row.item.implementation_code,
                "item_name": row.item.item_name,
                "material_kind": row.material_kind,
                "material_name": row.material_name,
            }
            for row in rows
        ),
        key=lambda r: (r["implementation_code"], r["material_name"]),
    )


def _hash(rows: list[dict[str, str]]) -> str:
    canonical = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def file_list(session: Session, *, note: str = "", actor: Actor) -> FreeListFiling:
    """备案: freeze the unit's list (snapshot and hash) and file it with the office; refused
    while an earlier filing awaits acknowledgement, or for a list that is empty."""
    workflow.guard(actor, LIST_FILING["file"], None, session)
    unit = _keeper_unit(session, actor)
    waiting = session.execute(
        select(FreeListFiling.id).where(
            FreeListFiling.unit_id == unit.id,
            FreeListFiling.state == ListFilingState.FILED.value,
        )
    ).first()
    if waiting:
        raise InvalidTransition(_("The previous filing still awaits the office's answer."))
    rows = snapshot_rows(session, unit.id)
    if not rows:
        raise ValidationError(message=_("The list is empty: add its items first."))
    filing = FreeListFiling(
        unit_id=unit.id,
        region_id=unit.region_id,
        row_count=len(rows),
        content_hash=_hash(rows),
        snapshot=json.dumps(rows, ensure_ascii=False),
        note=note.strip(),
        filed_by_id=actor.user_id,
        filed_at=utcnow(),
    )
    session.add(filing)
    workflow.apply(
        session,
        filing,
        LIST_FILING["file"],
        actor=actor,
        version=None,
        checked=True,
        summary=f"免证办 list filed: unit #{unit.id}, {len(rows)} rows",
        after={"content_hash": filing.content_hash, "row_count": filing.row_count},
    )
    return filing


def decide_filing(
    session: Session,
    filing_id: Any,
    *,
    acknowledge: bool,
    reason: str = "",
    version: int | str | None,
    actor: Actor,
) -> FreeListFiling:
    """The office acknowledges the filing, or returns it with what to correct."""
    filing = actor.reach.one(session, FreeListFiling, filing_id)
    step = LIST_FILING["acknowledge" if acknowledge else "return_filing"]
    workflow.check(session, filing, step, actor=actor, version=version, reason=reason)
    filing.decided_by_id = actor.user_id
    filing.decided_at = utcnow()
    filing.decision_reason = reason.strip()
    workflow.apply(
        session,
        filing,
        step,
        actor=actor,
        version=version,
        checked=True,
        reason=reason,
        summary=f"免证办 list filing #{filing.id}: {step.name}",
    )
    return filing


def filings(session: Session, *, actor: Actor) -> list[FreeListFiling]:
    """The filings within reach, the newest first."""
    query = actor.reach.scope(select(FreeListFiling), FreeListFiling).order_by(
        FreeListFiling.filed_at.desc(), FreeListFiling.id.desc()
    )
    return list(session.execute(query).scalars())


def snapshot_of(filing: FreeListFiling) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = json.loads(filing.snapshot)
    return rows
