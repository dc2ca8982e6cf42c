"""Rules for regions and implementing units (plain functions, no Flask request)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, inspect, select
from sqlalchemy.orm import Session

from app.core.codes import credit_code_error, is_well_formed_region_code
from app.core.errors import DomainError, StaleRecord, ValidationError, join_messages
from app.core.models import AppUser, Region, Unit
from app.core.states import ExerciseLevel, RegionLevel

if TYPE_CHECKING:
    from app.core.actor import Actor

CREDIT_CODE_MESSAGES = {
    "empty": _l("Enter the unified social credit code."),
    "length": _l("A unified social credit code has exactly 18 characters."),
    "alphabet": _l(
        "A unified social credit code uses only digits and capital letters other "
        "than I, O, Z, S and V."
    ),
    "check": _l(
        "The check character (the 18th) does not match: this is not a valid unified "
        "social credit code (GB 32100-2015)."
    ),
}


def credit_code_message(code: str | None) -> str | None:
    """The translated reason why ``code`` is not a valid credit code, or None if it is."""
    reason = credit_code_error(code)
    return str(CREDIT_CODE_MESSAGES[reason]) if reason else None


def region_code_message(code: str | None, level: str | None, parent: Region | None) -> str | None:
    """The translated reason why a region's code, level and parent do not fit, or None."""
    if not is_well_formed_region_code(code):
        return _(
            "A region code has 6 digits (province, city, county), 9 (township) or 12 (village)."
        )
    try:
        level_enum = RegionLevel(level)
    except ValueError:
        return _("Choose the region's level.")
    if len(code) != level_enum.code_length:
        return _(
            "A region of level %(level)s has a %(n)d-digit code.",
            level=level_enum.label,
            n=level_enum.code_length,
        )
    padding = code[level_enum.prefix_length :]
    if level_enum.code_length == 6 and padding.strip("0"):
        return _(
            "The code of a %(level)s ends in zeros after its first %(n)d digits.",
            level=level_enum.label,
            n=level_enum.prefix_length,
        )
    if level_enum is RegionLevel.PROVINCE:
        return _("A province has no parent region.") if parent is not None else None
    if parent is None:
        return _("Choose the parent region.")
    parent_level = RegionLevel(parent.level)
    allowed_depth = {level_enum.depth - 1}
    if level_enum is RegionLevel.COUNTY:
        # County-level cities directly under a province (Hainan's 4690xx).
        allowed_depth.add(RegionLevel.PROVINCE.depth)
    if level_enum is RegionLevel.TOWNSHIP:
        # Prefecture cities without districts (儋州, 东莞, 中山, 嘉峪关) have townships directly.
        allowed_depth.add(RegionLevel.CITY.depth)
    if parent_level.depth not in allowed_depth:
        return _(
            "A %(level)s cannot sit under a %(parent)s.",
            level=level_enum.label,
            parent=parent_level.label,
        )
    prefix = parent.code[: parent_level.prefix_length]
    if not code.startswith(prefix):
        return _("The code must start with its parent's prefix %(prefix)s.", prefix=prefix)
    return None


def prepare_region(session: Session, region: Region) -> None:
    """Validate a new or edited region and compute its path; raise ValidationError."""
    with session.no_autoflush:
        _prepare_region(session, region)


def _prepare_region(session: Session, region: Region) -> None:
    parent = region.parent
    if parent is None and region.parent_id is not None:
        parent = session.get(Region, region.parent_id)
    message = region_code_message(region.code, region.level, parent)
    if message:
        raise ValidationError({"code": message}, message)
    duplicate = session.execute(
        select(Region.id).where(Region.code == region.code, Region.id != (region.id or 0))
    ).first()
    if duplicate:
        message = _("Region code %(code)s already exists.", code=region.code)
        raise ValidationError({"code": message}, message)
    new_path = (parent.path if parent else "/") + region.code + "/"
    if region.id and region.path and region.path != new_path and _has_children(session, region):
        message = _("A region that has sub-regions keeps its code and parent.")
        raise ValidationError({"code": message}, message)
    region.path = new_path


def _has_children(session: Session, region: Region) -> bool:
    return bool(session.execute(select(exists().where(Region.parent_id == region.id))).scalar())


def ensure_region_deletable(session: Session, region: Region) -> None:
    in_use = (
        _has_children(session, region)
        or session.execute(select(exists().where(Unit.region_id == region.id))).scalar()
        or session.execute(select(exists().where(AppUser.region_id == region.id))).scalar()
    )
    if in_use:
        raise DomainError(
            _("This region still has sub-regions, units or users and cannot be deleted.")
        )


def prepare_unit(session: Session, unit: Unit) -> None:
    """Validate a new or edited unit; derive its exercise level from its region."""
    with session.no_autoflush:
        _prepare_unit(session, unit)


def exercise_level_of(region_level: str) -> str:
    """A unit's exercise level when none is given: the one its region's level implies."""
    return ExerciseLevel.for_region_level(RegionLevel(region_level)).value


def _prepare_unit(session: Session, unit: Unit) -> None:
    errors = {}
    if unit.credit_code:
        unit.credit_code = unit.credit_code.strip().upper()
    message = credit_code_message(unit.credit_code)
    if message:
        errors["credit_code"] = message
    elif session.execute(
        select(Unit.id).where(Unit.credit_code == unit.credit_code, Unit.id != (unit.id or 0))
    ).first():
        errors["credit_code"] = _(
            "Another unit already has credit code %(code)s.", code=unit.credit_code
        )
    region = unit.region or (session.get(Region, unit.region_id) if unit.region_id else None)
    if region is None:
        errors["region"] = _("Choose the unit's region.")
    elif not unit.exercise_level:
        unit.exercise_level = exercise_level_of(region.level)
    if not (unit.name or "").strip():
        errors["name"] = _("Enter the unit's name.")
    if errors:
        raise ValidationError(errors, join_messages(errors.values()))


def region_subtree_count(session: Session, region: Region) -> int:
    return session.execute(
        select(func.count()).where(Region.id.in_(Region.subtree(region.path)))
    ).scalar_one()


def check_version(obj: Any, version: int | str | None, *, actor: Actor | None = None) -> None:
    """Optimistic locking, the one check for forms, APIs and services: ``version`` is the one
    the caller loaded; refused (StaleRecord, 409) unless it is the stored one, also when missing
    (only the system ``actor``, a job or CLI command acting on fresh data, may send none).

    A form or API body that sets ``obj.version`` itself (FAB copies it before the hooks run) is
    judged against the stored value, which is then put back for the version counter.
    """
    if version is None or version == "":
        if actor is not None and actor.is_system:
            return
        raise StaleRecord(MISSING_VERSION)
    history = inspect(obj).attrs.version.history
    stored = history.deleted[0] if history.deleted else obj.version
    try:
        current = int(version) == stored
    except (TypeError, ValueError):
        raise StaleRecord() from None
    if not current:
        raise StaleRecord()
    if history.deleted:
        obj.version = stored


MISSING_VERSION = _l('Send the record\'s current "version" with every update (optimistic locking).')
