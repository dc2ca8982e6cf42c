"""The basic catalogue: basic codes, the entry's rules, creating and editing an entry, and the
republication of its items when a standardized element changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.orm import InstanceState, Session

from app.catalogue import codes
from app.catalogue.models import GUIDE_ELEMENTS, BasicCatalogueEntry, ImplementationItem, ItemType
from app.catalogue.services.items import require_role
from app.catalogue.services.publication import publish
from app.catalogue.states import CatalogueSource, EntryStatus
from app.core import roles
from app.core.actor import Actor
from app.core.errors import ValidationError, join_messages
from app.core.services import check_version

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
    *GUIDE_ELEMENTS,
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
