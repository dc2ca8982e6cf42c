"""The implementation list's rows against the catalogue: what an import looks up (units in
reach, basic-catalogue entries, stored items), the catalogue's rules applied to every row, and
the write through the catalogue's bulk services. The sheet itself (its columns, keys, closed
lists and export) is :mod:`app.catalogue.spreadsheet`.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue import bulk
from app.catalogue import services as catalogue
from app.catalogue.codes import implementation_code, parse_implementation_code
from app.catalogue.models import (
    AdjustmentRequest,
    BasicCatalogueEntry,
    ImplementationItem,
    ItemType,
)
from app.catalogue.states import (
    DEPTH_LABELS,
    HANDLING_LABELS,
    STATUS_LABELS,
    AdjustmentState,
    EntryStatus,
    ItemStatus,
)
from app.core.actor import Actor
from app.core.bulk import one_of
from app.core.models import Region, Unit
from app.core.states import LEVEL_LABELS
from app.excel.spec import ListSpec, Row, digest

HANDLING_VALUES = {v: k for k, v in HANDLING_LABELS.items()}
DEPTH_VALUES = {v: k for k, v in DEPTH_LABELS.items()}
# Standardized elements in this sheet: key → the basic-catalogue attribute they must equal.
STANDARDIZED = {
    "item_name": "name",
    "item_type": "item_type",
    "legal_time_limit_days": "legal_time_limit_days",
    "legal_basis": "legal_basis",
    "acceptance_conditions": "acceptance_conditions",
    "fee_standard": "fee_standard",
    "complaint_phone": "complaint_phone",
}
PERSONALIZED = catalogue.PERSONALIZED_FIELDS
_PERSONALIZED = frozenset(PERSONALIZED)
PUBLISHED = (ItemStatus.ACTIVE.value, ItemStatus.SUSPENDED.value)
# What app.catalogue.services.item_value_errors looks at.
RULE_INPUTS = (
    "promised_time_limit_days",
    "handling_type",
    "online_depth",
    "onsite_visits",
    "fully_online",
)
_rule_inputs = operator.itemgetter(*RULE_INPUTS)


@dataclass(frozen=True, slots=True)
class KnownUnit(bulk.NewItemUnit):
    """An implementing unit as the rows of an import name it."""

    name: str
    path: str  # its region's path (reach)


@dataclass(frozen=True, slots=True)
class KnownEntry:
    """A basic-catalogue entry as the rows of an import are checked against it."""

    id: int
    status: str
    name: str
    item_type: str
    legal_time_limit_days: int
    legal_basis: str
    acceptance_conditions: str
    fee_standard: str
    complaint_phone: str


@dataclass(frozen=True, slots=True)
class StoredItem:
    """What the checks and the write need of a stored item besides its sheet values."""

    id: int
    status: str
    code: str
    open_adjustment: bool
    read: tuple[Any, ...]  # what the checks read of it, for the plan's fingerprint
    # The adjustment request in progress on it, if any: its number and the sheet values it
    # proposes (a re-import of the file that proposed it is unchanged, not refused).
    pending: int | None = None
    proposed: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ImportContext:
    """What the rows of one import are checked against, loaded once and remembered."""

    session: Session
    by_code: dict[str, KnownUnit]
    by_name: dict[str, list[KnownUnit]]
    batch_id: int | None = None  # the engine sets it
    entries: dict[str, KnownEntry | None] = field(default_factory=dict)
    # Rows repeat their codes, units, standardized elements and rule inputs: answers per import
    # (messages are in its language).
    code_messages: dict[str | None, str | None] = field(default_factory=dict)
    unit_reach: dict[int, bool] = field(default_factory=dict)
    unit_tokens: dict[str, tuple[KnownUnit | None, str | None]] = field(default_factory=dict)
    standardized: dict[str, dict[str, Any]] = field(default_factory=dict)
    standardized_errors: dict[tuple[Any, ...], dict[str, str]] = field(default_factory=dict)
    rules: dict[tuple[Any, ...], dict[str, str]] = field(default_factory=dict)


class ImplementationRows(ListSpec):
    """The hooks of the implementation list that read and write the catalogue."""

    # -- lookups ----------------------------------------------------------------------------

    def prepare(self, session: Session, actor: Actor) -> dict[str, Any]:
        units = session.execute(
            select(
                Unit.id,
                Unit.name,
                Unit.credit_code,
                Unit.exercise_level,
                Unit.region_id,
                Region.path,
            ).join(Region, Unit.region_id == Region.id)
        ).all()
        by_code: dict[str, KnownUnit] = {}
        by_name: dict[str, list[KnownUnit]] = {}
        for row in units:
            info = KnownUnit(
                id=row.id,
                region_id=row.region_id,
                credit_code=row.credit_code,
                exercise_level=row.exercise_level,
                name=row.name,
                path=row.path,
            )
            by_code[row.credit_code] = info
            by_name.setdefault(row.name, []).append(info)
        return ImportContext(session=session, by_code=by_code, by_name=by_name)

    @staticmethod
    def _unit_in_reach(actor: Actor, unit: KnownUnit, context: ImportContext) -> bool:
        known = context.unit_reach
        if unit.id not in known:
            known[unit.id] = actor.reach.contains(unit.path, unit.id)
        return known[unit.id]

    def _unit_of_key(
        self, key: tuple[Any, ...], context: ImportContext
    ) -> tuple[KnownUnit | None, str | None]:
        """The unit a key's second part names, or (None, reason); remembered per import."""
        known = context.unit_tokens
        token = key[1]
        if token not in known:
            known[token] = self._unit(self._key_values(key), context)
        return known[token]

    def _unit(
        self, values: dict[str, Any], context: ImportContext
    ) -> tuple[KnownUnit | None, str | None]:
        """The unit a row names, or (None, reason)."""
        code, name = values.get("unit_code"), values.get("unit_name")
        if code:
            unit = context.by_code.get(code)
            if unit is None:
                return None, _(
                    "There is no implementing unit with credit code %(code)s.", code=code
                )
            if name and name != unit.name:
                return None, _(
                    "The credit code %(code)s belongs to “%(name)s”, not to “%(given)s”.",
                    code=code,
                    name=unit.name,
                    given=name,
                )
            return unit, None
        if not name:
            return None, _("Give the implementing unit (its credit code or its name).")
        matches = context.by_name.get(name, [])
        if not matches:
            return None, _("There is no implementing unit named “%(name)s”.", name=name)
        if len(matches) > 1:
            return None, _("Several units are named “%(name)s”: give the credit code.", name=name)
        return matches[0], None

    def _load_entries(self, session: Session, codes: set[str], context: ImportContext) -> None:
        missing = [c for c in codes if c and c not in context.entries]
        if not missing:
            return
        rows = session.execute(
            select(BasicCatalogueEntry, ItemType.name)
            .join(ItemType, BasicCatalogueEntry.item_type_id == ItemType.id)
            .where(BasicCatalogueEntry.basic_code.in_(missing))
        ).all()
        for entry, type_name in rows:
            context.entries[entry.basic_code] = KnownEntry(
                id=entry.id,
                status=entry.status,
                name=entry.name,
                item_type=type_name,
                legal_time_limit_days=entry.legal_time_limit_days,
                legal_basis=entry.legal_basis,
                acceptance_conditions=entry.acceptance_conditions,
                fee_standard=entry.fee_standard,
                complaint_phone=entry.complaint_phone,
            )
        for code in missing:
            context.entries.setdefault(code, None)

    def existing(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        self._load_entries(session, {k[0] for k in keys}, context)
        wanted: dict[str, tuple[Any, ...]] = {}
        for key in keys:
            unit, _reason = self._unit_of_key(key, context)
            if unit is None:
                continue
            try:
                code = implementation_code(unit.credit_code, unit.exercise_level, key[0])
            except ValueError:
                continue  # no such item can be stored; check() says why
            wanted[code] = key
        if not wanted:
            return {}
        items, units, regions = (
            ImplementationItem.__table__,
            Unit.__table__,
            Region.__table__,
        )
        # Core rows, not ORM objects: nothing piles up in the session's identity map, and no
        # ORM result processing for up to 100,000 rows per import.
        rows = (
            session.connection()
            .execute(
                select(
                    *[items.c[name] for name in _STORED_COLUMNS],
                    units.c.name,
                    units.c.credit_code,
                    regions.c.path,
                )
                .join(units, items.c.unit_id == units.c.id)
                .join(regions, items.c.region_id == regions.c.id)
                .where(one_of(session, items.c.implementation_code, list(wanted)))
            )
            .all()
        )
        open_items: dict[int, tuple[int, str]] = {}
        if rows:
            open_items = {
                item_id: (number, proposed)
                for item_id, number, proposed in session.execute(
                    select(
                        AdjustmentRequest.item_id,
                        AdjustmentRequest.id,
                        AdjustmentRequest.proposed_values,
                    ).where(
                        one_of(session, AdjustmentRequest.item_id, [r[0] for r in rows]),
                        AdjustmentRequest.state != AdjustmentState.APPLIED.value,
                    )
                )
            }
        result = {}
        standardized = context.standardized
        for row in rows:
            item_id, code, level, status, _version, unit_id = row[:6]
            unit_name, credit_code, path = row[-3:]
            basic_code = code[-12:]
            values = dict(zip(PERSONALIZED, row[6:-3], strict=True))
            pending = open_items.get(item_id)
            values["handling_type"] = HANDLING_LABELS.get(
                values["handling_type"], values["handling_type"]
            )
            values["online_depth"] = DEPTH_LABELS.get(
                values["online_depth"], values["online_depth"]
            )
            if basic_code not in standardized:
                standardized[basic_code] = _standardized(context.entries.get(basic_code))
            values.update(standardized[basic_code])
            in_reach = actor.reach.contains(path, unit_id)
            values.update(
                basic_code=basic_code,
                unit_name=unit_name,
                unit_code=credit_code,
                implementation_code=code,
                exercise_level=LEVEL_LABELS.get(level, level),
                status=STATUS_LABELS.get(status, status),
                # The engine's private entries (ListSpec.existing), then this list's own.
                _id=item_id,
                _in_reach=in_reach,
                _item=StoredItem(
                    id=item_id,
                    status=status,
                    code=code,
                    open_adjustment=pending is not None,
                    read=(tuple(row), pending, in_reach),
                    pending=pending[0] if pending is not None else None,
                    proposed=_proposed_values(pending[1]) if pending is not None else {},
                ),
            )
            result[wanted[code]] = values
        return result

    def refresh_references(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> None:
        self._load_entries(session, {k[0] for k in keys}, context)

    def fingerprint(
        self,
        keys: Sequence[tuple[Any, ...]],
        stored: dict[tuple[Any, ...], dict[str, Any]],
        context: Any,
    ) -> str | None:
        """check() reads, per row, the stored item, the unit the key names (name, code, level,
        region) and the basic-catalogue entry of its code: the digest covers exactly these."""
        parts, units, codes = [], {}, set()
        for key in keys:
            unit, reason = self._unit_of_key(key, context)
            if unit is not None and unit.id not in units:  # many rows name one unit
                units[unit.id] = _plain(unit)
            codes.add(key[0])
            record = stored.get(key)
            parts.append((key, record and record["_item"].read, unit and unit.id, reason))
        entries = sorted((code, _plain(context.entries.get(code))) for code in codes)
        return digest((parts, sorted(units.items()), entries))

    @staticmethod
    def _key_values(key: tuple[Any, ...]) -> dict[str, Any]:
        basic_code, token = key
        if token.startswith("名:"):
            return {"basic_code": basic_code, "unit_name": token[2:]}
        return {"basic_code": basic_code, "unit_code": token}

    # -- rules ------------------------------------------------------------------------------

    def check(
        self, row: Row, stored: dict[str, Any] | None, context: ImportContext, actor: Actor
    ) -> None:
        values, errors = row.values, row.errors
        code = values.get("basic_code")
        messages = context.code_messages  # rows repeat their codes: check each once
        message = (
            messages[code]
            if code in messages
            else messages.setdefault(code, catalogue.basic_code_message(code))
        )
        entry = None
        if message:
            errors["basic_code"] = message
        else:
            if code not in context.entries:  # a row without a unit was not looked up yet
                self._load_entries(context.session, {code}, context)
            entry = context.entries.get(code)
            if entry is None:
                errors["basic_code"] = _(
                    "Basic code %(code)s is not in the basic catalogue.", code=code
                )
        unit, reason = self._unit(values, context)
        unit_column = "unit_code" if values.get("unit_code") else "unit_name"
        if reason:
            errors[unit_column] = reason
        elif unit is not None and not self._unit_in_reach(actor, unit, context):
            errors[unit_column] = _(
                "“%(name)s” is outside your reach: you may import only your own units' items.",
                name=unit.name,
            )
        if errors or entry is None or unit is None:
            return
        try:
            derived = implementation_code(unit.credit_code, unit.exercise_level, code)
        except ValueError:  # a unit without its exercise level: no 31-character code
            errors[unit_column] = _(
                "“%(name)s” has no exercise level; set it on the unit before importing its items.",
                name=unit.name,
            )
            return
        if not names_item(values.get("implementation_code"), derived):
            errors["implementation_code"] = _(
                "The implementation code is derived (%(code)s), not typed.", code=derived
            )
        # Identity helpers are not compared; blank personalized cells keep today's values.
        for key in ("unit_name", "unit_code", "implementation_code"):
            values.pop(key, None)
        if stored is None:
            model = self._check_new(row, entry, unit, context)
            if not errors:
                row.plan = bulk.new_item_row(entry.id, code, unit, model)
        else:
            self._check_existing(row, stored, entry, context)

    def _check_new(
        self, row: Row, entry: KnownEntry, unit: KnownUnit, context: ImportContext
    ) -> dict[str, Any]:
        """Check a new row; its item's personalized values (the catalogue's defaults for
        blank cells)."""
        values, errors = row.values, row.errors
        if entry.status != EntryStatus.ACTIVE.value:
            errors["basic_code"] = _(
                "Basic-catalogue entry %(code)s is cancelled.", code=values["basic_code"]
            )
        # Rows of one entry repeat its standardized elements: compare each variant once.
        given = tuple(map(values.get, STANDARDIZED))  # a sheet may leave some out
        known = context.standardized_errors
        found = known.get((entry.id, given))
        if found is None:
            found = {
                key: _(
                    "“%(column)s” is a standardized element and cannot be changed here "
                    "(stored: %(old)s).",
                    column=self.column(key).header,
                    old=getattr(entry, attribute),
                )
                for (key, attribute), value in zip(STANDARDIZED.items(), given, strict=True)
                if value not in (None, "") and not _same(value, getattr(entry, attribute))
            }
            if len(known) < 100_000:
                known[(entry.id, given)] = found
        if found:
            errors.update(found)
        given_level = values.pop("exercise_level", None)
        if given_level not in (None, LEVEL_LABELS.get(unit.exercise_level)):
            errors["exercise_level"] = _(
                "The exercise level comes from the unit (%(level)s).",
                level=LEVEL_LABELS.get(unit.exercise_level),
            )
        values.pop("status", None)
        model = _new_model(values)
        self._rules(row, model, entry, context)
        return model

    def _check_existing(
        self, row: Row, stored: dict[str, Any], entry: KnownEntry, context: ImportContext
    ) -> None:
        values, errors = row.values, row.errors
        for key in PERSONALIZED:
            if values.get(key) is None and key in (
                "handling_type",
                "online_depth",
                "fully_online",
                "onsite_visits",
            ):
                values.pop(key, None)
        changes = {
            k: v for k, v in values.items() if k in _PERSONALIZED and not _same(stored[k], v)
        }
        if not changes:
            return
        item: StoredItem = stored["_item"]
        if item.status not in (ItemStatus.DRAFT.value, *PUBLISHED):
            errors[next(iter(changes))] = _(
                "This item is “%(status)s” and can no longer be changed.",
                status=STATUS_LABELS.get(item.status, item.status),
            )
            return
        if item.status in PUBLISHED and item.open_adjustment:
            if all(k in item.proposed and _same(item.proposed[k], v) for k, v in changes.items()):
                # The file that proposed the request in progress: nothing new (unchanged_note).
                values.update({k: stored[k] for k in changes})
                return
            errors[next(iter(changes))] = _(
                "This item already has an adjustment in progress; finish it before importing "
                "changes."
            )
            return
        current = {k: stored[k] for k in PERSONALIZED}
        model = catalogue.new_item_values(_model_changes({**current, **changes}))
        self._rules(row, model, entry, context)

    def _rules(
        self, row: Row, model: dict[str, Any], entry: KnownEntry, context: ImportContext
    ) -> None:
        # The catalogue's rules read only these values: rows repeat them, so remember results.
        key = (_rule_inputs(model), entry.legal_time_limit_days)
        cache = context.rules
        errors = cache.get(key)
        if errors is None:
            errors = catalogue.item_value_errors(
                model, legal_time_limit_days=entry.legal_time_limit_days
            )
            if len(cache) < 100_000:
                cache[key] = errors
        for column, message in errors.items():
            row.errors.setdefault(column, message)

    # -- writing ----------------------------------------------------------------------------

    def write(
        self,
        session: Session,
        actor: Actor,
        creates: list[tuple[Any, ...]],
        updates: list[tuple[dict[str, Any], dict[str, Any]]],
        context: ImportContext,
    ) -> None:
        """Through the catalogue's bulk services: new drafts, drafts changed in place, and
        CHANGE adjustment requests for published items."""
        bulk.create_draft_items(session, creates, actor=actor, import_id=context.batch_id)
        drafts, proposals = [], []
        for stored, changes in updates:
            item: StoredItem = stored["_item"]
            model_changes = _model_changes(changes)
            if item.status == ItemStatus.DRAFT.value:
                drafts.append(
                    bulk.DraftChange(
                        item_id=item.id,
                        implementation_code=item.code,
                        values=model_changes,
                        before={k: stored.get(k) for k in changes},
                        after=changes,
                    )
                )
            else:
                proposals.append((item.id, model_changes))
        bulk.update_drafts(session, drafts, actor=actor)
        bulk.propose_changes(session, proposals, actor=actor)

    def unchanged_note(self, stored: dict[str, Any]) -> str | None:
        pending = stored["_item"].pending
        if pending is None:
            return None
        return _("Unchanged — a change request is already pending (#%(number)s).", number=pending)

    def change_note(self, stored: dict[str, Any]) -> str | None:
        if stored["_item"].status in PUBLISHED:
            return _("Published: becomes a change adjustment request (draft) for review.")
        return None


_STORED_COLUMNS = (
    "id",
    "implementation_code",
    "exercise_level",
    "status",
    "version",
    "unit_id",
    *PERSONALIZED,
)


def names_item(given: str | None, derived: str) -> bool:
    """Whether an implementation code met in a file names the item whose national code is
    ``derived``: blank, the national form itself, or another form (the dashed codes some
    provinces publish) whose credit code and basic code are the item's."""
    if given in (None, "", derived):
        return True
    parsed = parse_implementation_code(given)
    if parsed is None or len(given or "") == 31:
        return False
    credit, level, basic = parsed
    return (credit, basic) == (derived[:18], derived[19:]) and level in (None, derived[18])


def _proposed_values(text: str) -> dict[str, Any]:
    """An open request's proposed personalized values (stored JSON), as the sheet shows them."""
    try:
        values = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(values, dict):
        return {}
    shown = {k: v for k, v in values.items() if k in _PERSONALIZED}
    if "handling_type" in shown:
        shown["handling_type"] = HANDLING_LABELS.get(shown["handling_type"], shown["handling_type"])
    if "online_depth" in shown:
        shown["online_depth"] = DEPTH_LABELS.get(shown["online_depth"], shown["online_depth"])
    return shown


def _standardized(entry: KnownEntry | None) -> dict[str, Any]:
    """A stored item's standardized elements, as the sheet shows them: its entry's."""
    return {key: getattr(entry, attribute, None) for key, attribute in STANDARDIZED.items()}


def _plain(record: Any) -> Any:
    """A typed record as plain values (what a fingerprint digests). The records hold plain
    values only, so a shallow tuple is enough (``dataclasses.astuple`` deep-copies each value:
    it cost a fifth of a 100,000-row preview)."""
    if record is None:
        return None
    return tuple(getattr(record, field.name) for field in dataclasses.fields(record))


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        return old.strip() == new.strip()
    if old in (None, "") and new in (None, ""):
        return True
    return old == new


def _new_model(values: dict[str, Any]) -> dict[str, Any]:
    """A new row's personalized values as the item's columns: the labels as the catalogue's
    values, the catalogue's defaults (services.new_item_values) for blank cells."""
    get = values.get
    handling, depth = get("handling_type"), get("online_depth")
    model = dict(_PLAIN_DEFAULTS)
    for key in _PLAIN_KEYS:
        value = get(key)
        if value is not None:
            model[key] = value
    model["handling_type"] = None if handling is None else HANDLING_VALUES.get(handling, handling)
    model["online_depth"] = None if depth is None else DEPTH_VALUES.get(depth, depth)
    return catalogue.new_item_values(model)


# Personalized columns whose cells are the item's values as they are (no label to translate).
_PLAIN_KEYS = tuple(k for k in PERSONALIZED if k not in ("handling_type", "online_depth"))
_PLAIN_DEFAULTS = dict.fromkeys(PERSONALIZED)


def _model_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Changed cells as the item's column values (labels translated, blanks as the catalogue's
    defaults; a blank 办件类型 / 网办深度 keeps today's value)."""
    model = {}
    for key, value in changes.items():
        if key not in PERSONALIZED:
            continue
        if value is None and key in ("handling_type", "online_depth"):
            continue
        if key == "handling_type":
            value = HANDLING_VALUES.get(value, value)
        elif key == "online_depth":
            value = DEPTH_VALUES.get(value, value)
        elif key == "fully_online":
            value = bool(value)
        elif key == "promised_time_limit_days" and value == "":
            value = None
        elif value is None:
            value = catalogue.ITEM_DEFAULTS[key]
        model[key] = value
    return model
