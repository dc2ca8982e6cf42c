"""Every rule of the catalogue domain (DOMAIN.md §2): basic codes, implementation-list rows,
the adjustment state machine, versions and publication, filing.

Functions take a ``session`` and a keyword-only ``actor`` and never read ``flask.request``, so the
views, the REST API, the Excel import and CLI jobs all go through the same checks. Errors are
domain errors (:mod:`app.core.errors`) that every caller renders the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from flask_babel import gettext as _
from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import InstanceState, Session

from app.catalogue import codes
from app.catalogue.models import (
    AdjustmentRequest,
    AdjustmentStep,
    BasicCatalogueEntry,
    Filing,
    ImplementationItem,
    ItemType,
    ItemVersion,
)
from app.catalogue.states import (
    ADJUSTMENT,
    FILING,
    FINAL_REVIEW_DAYS,
    GROUNDS_BY_KIND,
    KIND_FROM_STATUS,
    KIND_TO_STATUS,
    LEGALITY_REVIEW_DAYS,
    OPEN_STATES,
    PROPOSERS,
    PUBLIC_STATUSES,
    SUSPENSION_NOTICE_DAYS,
    AdjustmentGround,
    AdjustmentKind,
    AdjustmentState,
    CatalogueSource,
    EntryStatus,
    FilingState,
    HandlingType,
    ItemStatus,
    OnlineDepth,
)
from app.core import calendar, roles, workflow
from app.core.actor import Actor
from app.core.audit import AuditAction, record
from app.core.calendar import WorkingCalendar, schedule_deadline
from app.core.errors import Forbidden, InvalidTransition, ValidationError, join_messages
from app.core.models import Deadline, Region, Unit, utcnow
from app.core.services import check_version

# -- the item-type lookup -------------------------------------------------------------------------

# The common platform list (DOMAIN.md §2); the migration seeds it, the UI maintains it.
DEFAULT_ITEM_TYPES = [
    ("01", "行政许可", True),
    ("02", "行政处罚", False),
    ("03", "行政强制", False),
    ("04", "行政征收", False),
    ("05", "行政给付", True),
    ("06", "行政检查", False),
    ("07", "行政确认", True),
    ("08", "行政奖励", True),
    ("09", "行政裁决", True),
    ("20", "其他行政权力", True),
    ("21", "公共服务", True),
    ("22", "行政备案", False),
]


def ensure_item_types(session: Session) -> int:
    """Add the default item types that are missing (by code); return how many were added."""
    known = set(session.execute(select(ItemType.code)).scalars())
    added = 0
    for order, (code, name, driven) in enumerate(DEFAULT_ITEM_TYPES):
        if code not in known:
            session.add(ItemType(code=code, name=name, application_driven=driven, sort_order=order))
            added += 1
    session.flush()
    return added


# -- roles -------------------------------------------------------------------------------------


def require_role(actor: Actor, *allowed: str) -> None:
    if not roles.names_of(actor) & set(allowed):
        raise Forbidden()


# -- basic catalogue ---------------------------------------------------------------------------


def basic_code_message(code: str | None) -> str | None:
    """A translated message when ``code`` is not a valid basic code (see app.catalogue.codes)."""
    reason = codes.basic_code_error(code)
    if reason is None:
        return None
    return _(
        "The basic code must be 12 characters: 2 digits, then 7 digits or capital letters, "
        "then 3 digits (e.g. 511Z07001006); got “%(code)s”.",
        code=code or "",
    )


def validate_basic_entry(session: Session, entry: BasicCatalogueEntry) -> None:
    """Normalise and check a basic-catalogue entry before it is saved; raise ValidationError."""
    with session.no_autoflush:
        _validate_basic_entry(session, entry)


def _validate_basic_entry(session: Session, entry: BasicCatalogueEntry) -> None:
    errors: dict[str, str] = {}
    entry.basic_code = codes.normalise_basic_code(entry.basic_code)
    entry.name = (entry.name or "").strip()
    message = basic_code_message(entry.basic_code)
    if message:
        errors["basic_code"] = message
    else:
        clash = session.execute(
            select(BasicCatalogueEntry.id).where(
                BasicCatalogueEntry.basic_code == entry.basic_code,
                BasicCatalogueEntry.id != (entry.id or 0),
            )
        ).first()
        if clash:
            errors["basic_code"] = _("Another entry already has this basic code.")
    if not entry.name:
        errors["name"] = _("The item name is required.")
    item_type = entry.item_type or (
        session.get(ItemType, entry.item_type_id) if entry.item_type_id else None
    )
    if item_type is None:
        errors["item_type"] = _("Choose an item type.")
    elif not item_type.application_driven or not item_type.active:
        errors["item_type"] = _(
            "Only the application-driven powers and public services belong in the catalogue."
        )
    if entry.source not in {s.value for s in CatalogueSource}:
        errors["source"] = _("Choose national or provincial.")
    if entry.status not in {s.value for s in EntryStatus}:
        errors["status"] = _("Unknown status.")
    if entry.legal_time_limit_days is None or entry.legal_time_limit_days < 0:
        errors["legal_time_limit_days"] = _("The legal time limit is a number of working days.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))


def create_basic_entry(
    session: Session, *, actor: Actor, values: Mapping[str, Any]
) -> BasicCatalogueEntry:
    """Add a basic-catalogue entry (provincial administrator only)."""
    require_role(actor, roles.PROVINCE_ADMIN)
    entry = BasicCatalogueEntry(status=EntryStatus.ACTIVE.value, **dict(values))
    validate_basic_entry(session, entry)
    session.add(entry)
    session.flush()
    return entry


ENTRY_STANDARDIZED_COLUMNS = (
    "name",
    "item_type_id",
    "legal_basis",
    "acceptance_conditions",
    "application_materials",
    "legal_time_limit_days",
    "handling_process",
    "fee_standard",
    "complaint_phone",
    "form_content",
)


def standardized_elements_changed(entry: BasicCatalogueEntry) -> bool:
    """Whether an edit (not yet flushed) touches what the published service guides show."""
    state: InstanceState[BasicCatalogueEntry] = inspect(entry)
    return state.persistent and any(
        state.attrs[name].history.has_changes() for name in ENTRY_STANDARDIZED_COLUMNS
    )


def update_basic_entry(
    session: Session,
    entry: BasicCatalogueEntry,
    *,
    actor: Actor,
    version: int | str | None,
    changes: Mapping[str, Any] | None = None,
) -> int:
    """The province edits a basic-catalogue entry, as one use case in the caller's transaction.

    Role (provincial administrator, 403), reach (404) and the version the caller loaded (409)
    are checked, ``changes`` applied (a form or API body that already set them on ``entry``
    passes none), the entry's rules checked (422); when a standardized element changed, every
    published implementation item of the entry gets a new published version (seed 000 art. 8).
    The edit is audited at the flush, each publication by ``publish``. Returns how many items
    were republished; never commits, so a failing republication leaves the edit unsaved too.
    """
    require_role(actor, roles.PROVINCE_ADMIN)
    actor.reach.check(session, entry)
    check_version(entry, version, actor=actor)
    for name, value in (changes or {}).items():
        setattr(entry, name, value)
    validate_basic_entry(session, entry)
    if not standardized_elements_changed(entry):
        return 0
    return republish_entry_items(session, actor=actor, entry=entry)


def republish_entry_items(session: Session, *, actor: Actor, entry: BasicCatalogueEntry) -> int:
    """After the province changed an entry's standardized elements (seed 000 art. 8: the office
    adjusts the basic catalogue directly), publish a new version of every published row."""
    items = session.execute(
        select(ImplementationItem).where(
            ImplementationItem.basic_entry_id == entry.id,
            ImplementationItem.published_version_id.is_not(None),
        )
    ).scalars()
    count = 0
    for item in items:
        publish(session, actor=actor, item=item, note=_("Basic catalogue updated"))
        count += 1
    return count


# -- implementation items ----------------------------------------------------------------------

STANDARDIZED_FIELDS = (
    "item_name",
    "basic_code",
    "item_type_name",
    "legal_basis",
    "acceptance_conditions",
    "application_materials",
    "legal_time_limit_days",
    "handling_process",
    "fee_standard",
    "complaint_phone",
    "form_content",
)
PERSONALIZED_FIELDS = (
    "service_hours",
    "service_location",
    "consult_phone",
    "approver",
    "promised_time_limit_days",
    "handling_type",
    "onsite_visits",
    "online_depth",
    "fully_online",
    "faq",
    "result_sample",
)
INT_FIELDS = {"promised_time_limit_days", "onsite_visits"}
# A new item's personalized values where none is given (the template's instructions say the same:
# blank 办件类型 / 网办深度 / 到现场次数 mean 承诺件 / 一级 / 1).
ITEM_DEFAULTS: dict[str, Any] = {
    "service_hours": "",
    "service_location": "",
    "consult_phone": "",
    "approver": "",
    "promised_time_limit_days": None,
    "handling_type": HandlingType.PROMISED.value,
    "onsite_visits": 1,
    "online_depth": OnlineDepth.INFO.value,
    "fully_online": False,
    "faq": "",
    "result_sample": "",
}


def new_item_values(given: Mapping[str, Any]) -> dict[str, Any]:
    """A new item's personalized values: the given ones, :data:`ITEM_DEFAULTS` for the others
    (a value of None counts as not given). The form, the API and the import all start here."""
    values = dict(ITEM_DEFAULTS)
    for key, value in given.items():
        if value is not None:
            values[key] = value
    return values


def promised_limit_message(promised: int | None, legal: int | None) -> str | None:
    """承诺办结时限 must not exceed 法定办结时限 (seed 002 art. 16)."""
    if promised is None or legal is None:
        return None
    if promised > legal:
        return _(
            "The promised time limit (%(promised)s working days) exceeds the legal time limit "
            "(%(legal)s working days).",
            promised=promised,
            legal=legal,
        )
    return None


def clean_item_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Coerce personalized values (from a form, JSON or a spreadsheet); refuse any other key.

    A standardized element or identity column in ``values`` is refused: units may not alter
    them (seed 000 art. 11).
    """
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if key not in PERSONALIZED_FIELDS:
            errors[key] = (
                _("Standardized element: inherited from the basic catalogue, read-only.")
                if key in STANDARDIZED_FIELDS
                else _("Not a personalized element.")
            )
            continue
        if key in INT_FIELDS:
            if value in (None, ""):
                cleaned[key] = None if key == "promised_time_limit_days" else 0
                continue
            try:
                cleaned[key] = int(value)
            except (TypeError, ValueError):
                errors[key] = _("Enter a whole number.")
        elif key == "fully_online":
            cleaned[key] = value in (True, 1, "1", "true", "True", "y", "on", "是")
        else:
            cleaned[key] = "" if value is None else str(value).strip()
    if errors:
        raise ValidationError(
            errors=errors, message=join_messages(f"{k}: {v}" for k, v in errors.items())
        )
    return cleaned


def item_value_errors(values: Mapping[str, Any], *, legal_time_limit_days: int) -> dict[str, str]:
    """The rule violations of a complete set of personalized values (empty dict when valid)."""
    errors: dict[str, str] = {}
    promised = values.get("promised_time_limit_days")
    if promised is not None and promised < 0:
        errors["promised_time_limit_days"] = _("Enter a whole number.")
    else:
        message = promised_limit_message(promised, legal_time_limit_days)
        if message:
            errors["promised_time_limit_days"] = message
    if values.get("handling_type") not in {h.value for h in HandlingType}:
        errors["handling_type"] = _("Choose instant or promised.")
    if values.get("online_depth") not in {d.value for d in OnlineDepth}:
        errors["online_depth"] = _("Choose an online depth from 1 to 4.")
    visits = values.get("onsite_visits")
    if visits is None or visits < 0:
        errors["onsite_visits"] = _("Enter a whole number.")
    elif values.get("fully_online") and visits != 0:
        errors["onsite_visits"] = _("A fully online item needs no visit on site.")
    return errors


def item_values(item: ImplementationItem) -> dict[str, Any]:
    """The item's personalized values."""
    return {field: getattr(item, field) for field in PERSONALIZED_FIELDS}


def prepare_item_edit(session: Session, item: ImplementationItem, *, actor: Actor) -> None:
    """A proposer's direct save of a list row (form or API): only drafts are edited in place.

    A new row starts as a draft; a published row changes only through an adjustment request.
    """
    require_role(actor, *PROPOSERS)
    if item.id is None:
        item.status = ItemStatus.DRAFT.value
    elif item.status != ItemStatus.DRAFT.value:
        raise ValidationError(
            message=_("This item is published: propose a change adjustment to alter it.")
        )
    validate_item(session, item)


def validate_item(session: Session, item: ImplementationItem) -> None:
    """Derive the identity columns and check the personalized values; raise ValidationError."""
    with session.no_autoflush:
        _validate_item(session, item)


def _validate_item(session: Session, item: ImplementationItem) -> None:
    unit = item.unit or (session.get(Unit, item.unit_id) if item.unit_id else None)
    entry = item.basic_entry or (
        session.get(BasicCatalogueEntry, item.basic_entry_id) if item.basic_entry_id else None
    )
    errors: dict[str, str] = {}
    if unit is None:
        errors["unit"] = _("Choose the implementing unit.")
    if entry is None:
        errors["basic_entry"] = _("Choose a basic-catalogue entry.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))
    assert unit is not None and entry is not None
    derive_identity(item, unit=unit, entry=entry)
    if entry.status != EntryStatus.ACTIVE.value and item.status == ItemStatus.DRAFT.value:
        errors["basic_entry"] = _("This basic-catalogue entry is cancelled.")
    clash = session.execute(
        select(ImplementationItem.id).where(
            ImplementationItem.implementation_code == item.implementation_code,
            ImplementationItem.id != (item.id or 0),
        )
    ).first()
    if clash:
        errors["basic_entry"] = _("This unit already implements this item.")
    errors.update(
        item_value_errors(item_values(item), legal_time_limit_days=entry.legal_time_limit_days)
    )
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))


def derive_identity(item: ImplementationItem, *, unit: Unit, entry: BasicCatalogueEntry) -> None:
    """Region, exercise level and the 31-character implementation code come from unit + entry."""
    item.unit, item.basic_entry = unit, entry
    item.region_id = unit.region_id
    item.exercise_level = unit.exercise_level
    item.implementation_code = codes.implementation_code(
        unit.credit_code, unit.exercise_level, entry.basic_code
    )


def create_implementation_item(
    session: Session,
    *,
    actor: Actor,
    basic_entry: BasicCatalogueEntry,
    unit: Unit,
    values: Mapping[str, Any] | None = None,
) -> ImplementationItem:
    """Add a draft row to ``unit``'s implementation list (the unit must be in the actor's reach)."""
    require_role(actor, *PROPOSERS)
    actor.reach.one(session, Unit, unit.id)
    item = ImplementationItem(status=ItemStatus.DRAFT.value)
    for key, value in new_item_values(clean_item_values(values or {})).items():
        setattr(item, key, value)
    item.unit, item.basic_entry = unit, basic_entry
    validate_item(session, item)
    session.add(item)
    session.flush()
    return item


def update_implementation_item(
    session: Session,
    *,
    actor: Actor,
    item: ImplementationItem,
    values: Mapping[str, Any],
    version: int | None = None,
) -> ImplementationItem:
    """Change personalized values of a draft row. A published row changes only through an
    approved CHANGE adjustment (:func:`create_adjustment`)."""
    require_role(actor, *PROPOSERS)
    item = actor.reach.one(session, ImplementationItem, item.id)
    check_version(item, version, actor=actor)
    if item.status != ItemStatus.DRAFT.value:
        raise InvalidTransition(
            _("This item is published: propose a change adjustment to alter it.")
        )
    for key, value in clean_item_values(values).items():
        setattr(item, key, value)
    validate_item(session, item)
    session.flush()
    return item


def ensure_item_deletable(item: ImplementationItem) -> None:
    if item.status != ItemStatus.DRAFT.value or item.published_version_id is not None:
        raise InvalidTransition(
            _("Only an unpublished draft can be deleted; propose a cancellation instead.")
        )


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


# -- adjustments: creation ---------------------------------------------------------------------


def _open_adjustment_exists(session: Session, item_id: int, exclude: int | None = None) -> bool:
    query = select(AdjustmentRequest.id).where(
        AdjustmentRequest.item_id == item_id,
        AdjustmentRequest.state != AdjustmentState.APPLIED.value,
    )
    if exclude:
        query = query.where(AdjustmentRequest.id != exclude)
    return session.execute(query).first() is not None


def proposed(adjustment: AdjustmentRequest) -> dict[str, Any]:
    return json.loads(adjustment.proposed_values or "{}")


def validate_adjustment(
    session: Session, adjustment: AdjustmentRequest, *, basis_later: bool = False
) -> None:
    """The guards on an adjustment's content (creation and edits before submission).

    ``basis_later``: a draft proposed by a bulk import, whose unit states the legal basis
    before it submits (submission checks it again without this exemption)."""
    with session.no_autoflush:
        _validate_adjustment(session, adjustment, basis_later=basis_later)


def _validate_adjustment(
    session: Session, adjustment: AdjustmentRequest, *, basis_later: bool = False
) -> None:
    item = adjustment.item or session.get(ImplementationItem, adjustment.item_id)
    errors: dict[str, str] = {}
    if item is None:
        raise ValidationError(errors={"item": _("Choose an item.")}, message=_("Choose an item."))
    adjustment.item = item
    adjustment.region_id, adjustment.unit_id = item.region_id, item.unit_id
    if adjustment.kind not in GROUNDS_BY_KIND:
        errors["kind"] = _("Unknown kind of adjustment.")
    else:
        if adjustment.ground not in GROUNDS_BY_KIND[adjustment.kind]:
            errors["ground"] = _(
                "Choose a ground from the closed list for this kind: %(grounds)s.",
                grounds="; ".join(
                    AdjustmentGround.label_of(g) for g in GROUNDS_BY_KIND[adjustment.kind]
                ),
            )
        if item.status not in KIND_FROM_STATUS[adjustment.kind]:
            errors["kind"] = _(
                "A “%(kind)s” adjustment is not possible for an item that is “%(status)s”.",
                kind=AdjustmentKind.label_of(adjustment.kind),
                status=ItemStatus.label_of(item.status),
            )
    if not basis_later and not (adjustment.legal_basis or "").strip():
        errors["legal_basis"] = _("State the legal basis of the adjustment.")
    if adjustment.kind == AdjustmentKind.CHANGE.value:
        values = proposed(adjustment)
        try:
            values = clean_item_values(values)
        except ValidationError as error:
            errors.update(error.errors)
        else:
            adjustment.proposed_values = json.dumps(values, ensure_ascii=False, sort_keys=True)
            if not diff(item_values(item), {**item_values(item), **values}):
                errors["proposed_values"] = _("The proposal changes nothing.")
            errors.update(
                item_value_errors(
                    {**item_values(item), **values},
                    legal_time_limit_days=item.basic_entry.legal_time_limit_days,
                )
            )
    elif adjustment.proposed_values not in (None, "", "{}"):
        adjustment.proposed_values = "{}"
    if adjustment.kind == AdjustmentKind.SUSPEND.value and adjustment.planned_start is None:
        errors["planned_start"] = _("Give the planned first day of the suspension.")
    if adjustment.kind != AdjustmentKind.SUSPEND.value:
        adjustment.urgent = False
    if _open_adjustment_exists(session, item.id, exclude=adjustment.id):
        errors["item"] = _("This item already has an adjustment in progress.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))


def create_adjustment(
    session: Session,
    *,
    actor: Actor,
    item: ImplementationItem,
    kind: str,
    ground: str,
    legal_basis: str,
    explanation: str = "",
    proposed_values: Mapping[str, Any] | None = None,
    planned_start: dt.date | None = None,
    urgent: bool = False,
) -> AdjustmentRequest:
    """A draft adjustment request. Unit operators propose for their unit, coordinators for their
    region (reach decides), the provincial administrator for any item."""
    adjustment = new_adjustment(
        session,
        actor=actor,
        item_id=item.id,
        kind=kind,
        ground=ground,
        legal_basis=legal_basis,
        explanation=explanation,
        proposed_values=proposed_values,
        planned_start=planned_start,
        urgent=urgent,
    )
    validate_adjustment(session, adjustment)
    session.add(adjustment)
    session.flush()
    return adjustment


def new_adjustment(
    session: Session,
    *,
    actor: Actor,
    item_id: int,
    kind: str,
    ground: str,
    legal_basis: str,
    explanation: str = "",
    proposed_values: Mapping[str, Any] | None = None,
    planned_start: dt.date | None = None,
    urgent: bool = False,
) -> AdjustmentRequest:
    """A draft adjustment request, not yet validated nor added (role and reach checked)."""
    require_role(actor, *PROPOSERS)
    item = actor.reach.one(session, ImplementationItem, item_id)
    return AdjustmentRequest(
        kind=kind,
        state=AdjustmentState.DRAFT.value,
        item=item,
        ground=ground,
        legal_basis=legal_basis or "",
        explanation=explanation or "",
        proposed_values=json.dumps(dict(proposed_values or {}), ensure_ascii=False),
        planned_start=planned_start,
        urgent=bool(urgent),
        created_by=actor.username,
        created_at=utcnow(),
    )


def adjustment_changes(adjustment: AdjustmentRequest) -> list[FieldChange]:
    """What approval would change, field by field: against the values frozen at submission
    (``baseline_values``), or today's values while still a draft."""
    item = adjustment.item
    baseline = json.loads(adjustment.baseline_values or "{}") or {
        **item_values(item),
        "status": item.status,
    }
    target = dict(baseline)
    if adjustment.kind == AdjustmentKind.CHANGE.value:
        target.update(proposed(adjustment))
    new_status = KIND_TO_STATUS.get(adjustment.kind)
    if new_status:
        target["status"] = new_status
    return diff(baseline, target)


# -- adjustments: the state machine ------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    return today or calendar.today()


def _moment(today: dt.date | None) -> dt.datetime:
    """Now, or the given (province) day at the province's current time of day, as stored (UTC):
    jobs and tests that act on a past day."""
    return utcnow() if today is None else calendar.at_local_time(today)


def _step(
    session: Session,
    adjustment: AdjustmentRequest,
    moved: workflow.Moved,
    *,
    actor: Actor,
    reason: str,
    today: dt.date | None,
) -> None:
    """The adjustment's own history row of a step just taken (``workflow.apply``)."""
    session.add(
        AdjustmentStep(
            adjustment=adjustment,
            step=moved.before,
            decision=moved.transition.name,
            actor_id=actor.user_id,
            actor_name=actor.username,
            at=_moment(today),
            reason=reason,
            overdue=moved.overdue,
        )
    )
    session.flush()


def _move(
    session: Session,
    adjustment: AdjustmentRequest,
    name: str,
    *,
    actor: Actor,
    version: int | str | None,
    reason: str = "",
    today: dt.date | None = None,
    checked: bool = False,
    next_deadline: Deadline | None = None,
) -> workflow.Moved:
    """Take the step (closing the running step's deadline, ``next_deadline`` running next) and
    record it as a step row."""
    moved = workflow.apply(
        session,
        adjustment,
        ADJUSTMENT[name],
        actor=actor,
        version=version,
        reason=reason,
        at=_moment(today),
        summary=f"{name}: {adjustment.item.implementation_code}",
        after={"reason": reason} if reason else None,
        checked=checked,
    )
    adjustment.deadline = next_deadline
    _step(session, adjustment, moved, actor=actor, reason=reason, today=today)
    return moved


def suspension_notice_days(session: Session, adjustment: AdjustmentRequest, today: dt.date) -> int:
    """Working days between filing (today) and the planned first day of the suspension."""
    if adjustment.planned_start is None:
        return 0
    return WorkingCalendar.load(session).working_days_between(today, adjustment.planned_start)


def submit(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """draft / returned → legality review, with a deadline of 1 working day (seed 002 art. 12)."""
    adjustment = actor.reach.one(session, AdjustmentRequest, adjustment.id)
    workflow.check(session, adjustment, ADJUSTMENT["submit"], actor=actor, version=version)
    today = _today(today)
    validate_adjustment(session, adjustment)
    if adjustment.kind == AdjustmentKind.SUSPEND.value:
        if adjustment.planned_start is not None and adjustment.planned_start < today:
            raise ValidationError(
                errors={"planned_start": _("The planned first day is in the past.")},
                message=_("The planned first day is in the past."),
            )
        notice = suspension_notice_days(session, adjustment, today)
        if notice < SUSPENSION_NOTICE_DAYS and not adjustment.urgent:
            message = _(
                "A planned suspension must be filed at least %(days)s working days ahead "
                "(only %(notice)s left); mark it urgent if it cannot wait.",
                days=SUSPENSION_NOTICE_DAYS,
                notice=notice,
            )
            raise ValidationError(errors={"planned_start": message}, message=message)
    item = adjustment.item
    adjustment.baseline_values = json.dumps(
        {**item_values(item), "status": item.status}, ensure_ascii=False, sort_keys=True
    )
    adjustment.submitted_at = _moment(today)
    deadline = schedule_deadline(session, today, LEGALITY_REVIEW_DAYS, "adjustment.legality_review")
    adjustment.legality_deadline, adjustment.final_deadline = deadline, None
    _move(
        session,
        adjustment,
        "submit",
        actor=actor,
        version=version,
        today=today,
        checked=True,
        next_deadline=deadline,
    )
    return adjustment


def pass_legality(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    reason: str = "",
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """Legality review passed (司法局) → final review with a deadline of 3 working days."""
    adjustment = actor.reach.one(session, AdjustmentRequest, adjustment.id)
    today = _today(today)
    workflow.check(session, adjustment, ADJUSTMENT["pass_legality"], actor=actor, version=version)
    deadline = schedule_deadline(session, today, FINAL_REVIEW_DAYS, "adjustment.final_review")
    adjustment.final_deadline = deadline
    _move(
        session,
        adjustment,
        "pass_legality",
        actor=actor,
        version=version,
        reason=reason,
        today=today,
        checked=True,
        next_deadline=deadline,
    )
    return adjustment


def reject(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    reason: str,
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """Either review step rejects → returned; the reason is required."""
    adjustment = actor.reach.one(session, AdjustmentRequest, adjustment.id)
    name = _reject_step(adjustment)
    reason = (reason or "").strip()
    workflow.check(
        session, adjustment, ADJUSTMENT[name], actor=actor, version=version, reason=reason
    )
    adjustment.last_reason = reason
    adjustment.decided_at = _moment(today)
    _move(
        session,
        adjustment,
        name,
        actor=actor,
        version=version,
        reason=reason,
        today=today,
        checked=True,
    )
    return adjustment


def _reject_step(adjustment: AdjustmentRequest) -> str:
    """ "Reject" is the legality reviewer's step during legality review, else the final one."""
    if adjustment.state == AdjustmentState.LEGALITY_REVIEW.value:
        return "reject_legality"
    return "reject_final"


def approve(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    reason: str = "",
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """Final review approves: the change is applied and published as a new version."""
    adjustment = actor.reach.one(session, AdjustmentRequest, adjustment.id)
    workflow.check(session, adjustment, ADJUSTMENT["approve"], actor=actor, version=version)
    item = adjustment.item
    if adjustment.kind == AdjustmentKind.CHANGE.value:
        values = clean_item_values(proposed(adjustment))
        errors = item_value_errors(
            {**item_values(item), **values},
            legal_time_limit_days=item.basic_entry.legal_time_limit_days,
        )
        if errors:
            raise ValidationError(errors=errors, message=join_messages(errors.values()))
        for key, value in values.items():
            setattr(item, key, value)
    new_status = KIND_TO_STATUS[adjustment.kind]
    if new_status:
        item.status = new_status
    adjustment.decided_at = _moment(today)
    adjustment.last_reason = reason
    _move(
        session,
        adjustment,
        "approve",
        actor=actor,
        version=version,
        reason=reason,
        today=today,
        checked=True,
    )
    version_row = publish(
        session,
        actor=actor,
        item=item,
        adjustment=adjustment,
        note=AdjustmentKind.label_of(adjustment.kind),
    )
    adjustment.applied_version_id = version_row.id
    session.flush()
    return adjustment


class _StepArguments(TypedDict):
    actor: Actor
    adjustment: AdjustmentRequest
    today: dt.date | None
    version: int | str | None


def transition(
    session: Session,
    *,
    actor: Actor,
    adjustment: AdjustmentRequest,
    name: str,
    reason: str = "",
    today: dt.date | None = None,
    version: int | str | None = None,
) -> AdjustmentRequest:
    """Run a transition by name (the UI's buttons and the REST API use this)."""
    common: _StepArguments = {
        "actor": actor,
        "adjustment": adjustment,
        "today": today,
        "version": version,
    }
    if name == "submit":
        return submit(session, **common)
    if name == "pass_legality":
        return pass_legality(session, reason=reason, **common)
    if name in ("reject", "reject_legality", "reject_final"):
        return reject(session, reason=reason, **common)
    if name == "approve":
        return approve(session, reason=reason, **common)
    raise InvalidTransition(_("Unknown step “%(name)s”.", name=name))


def available_transitions(
    actor: Actor, adjustment: AdjustmentRequest, session: Session | None = None
) -> list[workflow.Transition]:
    """The buttons to show this actor: exactly the steps ``workflow.guard`` would let through."""
    return ADJUSTMENT.allowed(actor, adjustment, session)


# -- overdue and queues ------------------------------------------------------------------------


def overdue_adjustments_query(today: dt.date | None = None) -> Select:
    """Adjustments whose running review step is past its deadline (reusable by assessment:
    wrap it with ``reach.scope`` or add region/unit filters, then count)."""
    return (
        select(AdjustmentRequest)
        .join(Deadline, AdjustmentRequest.deadline_id == Deadline.id)
        .where(
            AdjustmentRequest.state.in_(OPEN_STATES),
            Deadline.completed_at.is_(None),
            Deadline.due_date < _today(today),
        )
    )


def count_overdue_adjustments(
    session: Session, *, actor: Actor | None = None, today: dt.date | None = None
) -> int:
    query = overdue_adjustments_query(today)
    if actor is not None:
        query = actor.reach.scope(query, AdjustmentRequest)
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def review_steps_timeliness(
    session: Session, *, start: dt.datetime, end: dt.datetime, actor: Actor | None = None
) -> tuple[int, int]:
    """(on time, late) review decisions taken in [start, end): for the assessment indicator
    "adjustments reviewed on time"."""
    query = (
        select(AdjustmentStep.overdue, func.count())
        .join(AdjustmentRequest, AdjustmentStep.adjustment_id == AdjustmentRequest.id)
        .where(
            AdjustmentStep.step.in_(OPEN_STATES),
            AdjustmentStep.at >= start,
            AdjustmentStep.at < end,
        )
        .group_by(AdjustmentStep.overdue)
    )
    if actor is not None:
        query = actor.reach.scope(query, AdjustmentRequest)
    counts = dict(session.execute(query).all())
    return counts.get(False, 0), counts.get(True, 0)


@dataclass(frozen=True)
class QueueEntry:
    adjustment: AdjustmentRequest
    due_date: dt.date | None
    provisional: bool
    working_days_left: int | None

    @property
    def overdue(self) -> bool:
        return self.working_days_left is not None and self.working_days_left < 0


def my_queue(session: Session, *, actor: Actor, today: dt.date | None = None) -> list[QueueEntry]:
    """What waits for this reviewer, oldest first, with working days left (negative = overdue)."""
    names = roles.names_of(actor)
    states = []
    if roles.LEGAL_REVIEWER in names:
        states.append(AdjustmentState.LEGALITY_REVIEW.value)
    if roles.PROVINCE_ADMIN in names:
        states.append(AdjustmentState.FINAL_REVIEW.value)
    if not states:
        return []
    query = (
        select(AdjustmentRequest)
        .where(AdjustmentRequest.state.in_(states))
        .order_by(AdjustmentRequest.submitted_at, AdjustmentRequest.id)
    )
    query = actor.reach.scope(query, AdjustmentRequest)
    calendar = WorkingCalendar.load(session)
    today = _today(today)
    entries = []
    for adjustment in session.execute(query).scalars():
        deadline = adjustment.deadline
        left = None
        if deadline is not None:
            left = calendar.working_days_between(today, deadline.due_date)
            if deadline.due_date < today:
                left = min(left, -1)
        entries.append(
            QueueEntry(
                adjustment,
                deadline.due_date if deadline else None,
                bool(deadline and deadline.provisional),
                left,
            )
        )
    return entries


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
