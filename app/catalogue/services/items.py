"""Implementation items (DOMAIN.md §2): the item-type lookup, who may propose, the standardized
and personalized values of a row, their checks and defaults, creating and editing an item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue import codes
from app.catalogue.models import GUIDE_ELEMENTS, BasicCatalogueEntry, ImplementationItem, ItemType
from app.catalogue.states import PROPOSERS, EntryStatus, HandlingType, ItemStatus, OnlineDepth
from app.core import roles
from app.core.actor import Actor
from app.core.errors import Forbidden, InvalidTransition, ValidationError, join_messages
from app.core.models import Unit
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


# -- implementation items ----------------------------------------------------------------------

STANDARDIZED_FIELDS = (
    "item_name",
    "basic_code",
    "item_type_name",
    *GUIDE_ELEMENTS,
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


def item_editable(item: ImplementationItem) -> bool:
    """Whether a list row is saved in place: drafts only (a published row takes an adjustment).
    The save checks it, and the list offers its edit button by it."""
    return item.status == ItemStatus.DRAFT.value


def item_deletable(item: ImplementationItem) -> bool:
    """Whether a list row may be deleted: an unpublished draft only (else: a cancellation)."""
    return item.status == ItemStatus.DRAFT.value and item.published_version_id is None


def prepare_item_edit(session: Session, item: ImplementationItem, *, actor: Actor) -> None:
    """A proposer's direct save of a list row (form or API): only drafts are edited in place.

    A new row starts as a draft; a published row changes only through an adjustment request.
    """
    require_role(actor, *PROPOSERS)
    if item.id is None:
        item.status = ItemStatus.DRAFT.value
    elif not item_editable(item):
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
    if not item_deletable(item):
        raise InvalidTransition(
            _("Only an unpublished draft can be deleted; propose a cancellation instead.")
        )
