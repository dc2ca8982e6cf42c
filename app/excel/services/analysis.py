"""The analysis of an import's rows: read, convert, check and compare them with the stored
records (and write them, or apply a previewed plan), noting errors and changes."""

from __future__ import annotations

import hashlib
import io
import json
import marshal
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import jobs
from app.core.actor import Actor
from app.excel import reader
from app.excel.models import ImportBatch
from app.excel.reader import BadFile, SheetLayout
from app.excel.services.files import (
    _limits,
    _max_cells,
    read_stored,
    reader_source,
    write_stored,
)
from app.excel.services.plan import (
    PLAN_FORMAT,
    _context,
    _get,
    _global_token,
    _plan_path,
    _put,
    _Superseded,
)
from app.excel.spec import TEXT, CellError, ListSpec, Row, cell_converter, clean_text, convert
from app.excel.writer import write_annotated

BATCH_ROWS = 2000
SHOWN_ERRORS = 500
SHOWN_CHANGES = 500
ANNOTATED_ERRORS = 100_000


# -- the analysis -------------------------------------------------------------------------------


@dataclass
class Analysis:
    total: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)  # unchanged rows with a note
    annotations: dict[tuple[str, int], dict[int, str]] = field(default_factory=dict)
    plan_hash: str = ""
    error_count: int = 0

    def store_on(self, batch: ImportBatch) -> None:
        batch.total_rows, batch.new_rows, batch.changed_rows = self.total, self.new, self.changed
        batch.unchanged_rows, batch.invalid_rows = self.unchanged, self.invalid
        batch.plan_hash = self.plan_hash
        batch.preview = json.dumps(
            {
                "errors": self.errors,
                "error_count": self.error_count,
                "changes": self.changes,
                "created": self.created,
                "notes": self.notes,
            },
            ensure_ascii=False,
            default=str,
        )


def _equal(old: Any, new: Any) -> bool:
    if old in ("", None) and new in ("", None):
        return True
    if isinstance(old, str) and isinstance(new, str):
        return old.strip() == new.strip()  # spreadsheet programs trim what they keep
    return old == new


def analyse(
    session: Session, *, actor: Actor, batch: ImportBatch, spec: ListSpec, apply: bool
) -> Analysis:
    """Read, convert, check and compare every row of the selected sheets; with ``apply``, also
    write them batch by batch (the caller commits or rolls back the one transaction).

    Without ``apply`` (the preview), the plan — per batch of rows: the keys, a fingerprint of
    the stored data its checks read, the records to create and the changes — is kept beside
    the file, so that the confirm can apply it without reading and checking every row again
    (:func:`apply_plan`).
    """
    path = reader_source(spec, batch.stored_name)
    layouts = [SheetLayout.from_dict(d) for d in batch.layout_data() if d.get("selected")]
    context, choices = _context(session, actor, spec, batch)
    headers = {c.key: c.header for c in spec.columns}
    result = Analysis()
    digest = hashlib.sha256()
    seen: dict[tuple[Any, ...], tuple[str, int]] = {}
    max_rows = int(current_app.config.get("IMPORT_MAX_ROWS", 300_000))
    plan_path = _plan_path(batch)
    partial = plan_path.with_suffix(".partial")
    # A sealed list's plan (it holds the rows' values) is made in memory and written sealed.
    plan: IO[bytes] | None = (
        None if apply else io.BytesIO() if spec.sealed else open(partial, "wb")  # noqa: SIM115
    )
    keeps_plan = plan is not None
    try:
        if plan is not None:
            _put(plan, {"format": PLAN_FORMAT, "token": _global_token(actor, choices)})

        def flush(chunk: list[Row]) -> None:
            nonlocal keeps_plan
            keys, stored, planned = _process(
                session, actor, spec, chunk, context, seen, result, digest, headers, apply
            )
            if plan is None:
                return
            fingerprint = (
                spec.fingerprint(keys, stored, context)
                if keeps_plan and not result.invalid
                else None
            )
            if fingerprint is None:  # this list (or a file with errors) keeps no plan
                keeps_plan = False
                return
            _put(
                plan,
                {
                    "keys": keys,
                    "fingerprint": fingerprint,
                    "planned": planned,
                    "stored": bool(stored),
                },
            )

        chunk: list[Row] = []
        for row, fraction in _read_rows(path, batch.file_kind, spec, layouts, choices):
            result.total += 1
            if result.total > max_rows:
                raise BadFile(_("The file has more than %(n)d rows; split it.") % {"n": max_rows})
            chunk.append(row)
            if len(chunk) >= BATCH_ROWS:
                flush(chunk)
                chunk = []
                jobs.report_progress(0.95 * fraction, _("%(n)d rows checked", n=result.total))
        if chunk:
            flush(chunk)
        if apply and not result.invalid:
            spec.finish(session, actor, context)
    except BaseException:
        if plan is not None:
            plan.close()
            partial.unlink(missing_ok=True)
        raise
    if plan is not None:
        if spec.sealed and keeps_plan and not result.invalid:
            assert isinstance(plan, io.BytesIO)
            write_stored(spec, plan_path.name, plan.getvalue())
        plan.close()
        if keeps_plan and not result.invalid:
            if not spec.sealed:
                os.replace(partial, plan_path)
        else:
            partial.unlink(missing_ok=True)
            plan_path.unlink(missing_ok=True)
    if result.total == 0:
        raise BadFile(_("The selected sheets have no data rows."))
    result.plan_hash = digest.hexdigest()
    return result


def apply_plan(
    session: Session, *, actor: Actor, batch: ImportBatch, spec: ListSpec, plan: Path
) -> Analysis:
    """Apply the previewed plan batch by batch, after making sure that nothing its checks read
    has changed since: the same importer and reach, the same closed lists, and per batch the
    same stored records, units and catalogue entries (the spec's fingerprint). A batch whose
    keys had no stored record at the preview reads none now: a record created under one of
    them since is refused by the table's unique key. Anything else means the preview no longer
    holds: :class:`_Superseded`, nothing written."""
    context, choices = _context(session, actor, spec, batch)
    result = Analysis(total=batch.total_rows or 0, unchanged=batch.unchanged_rows or 0)
    opened = io.BytesIO(read_stored(spec, plan.name)) if spec.sealed else open(plan, "rb")  # noqa: SIM115
    size = max(plan.stat().st_size, 1)
    with opened as handle:
        header = _get(handle)
        if header is None or header.get("token") != _global_token(actor, choices):
            raise _Superseded()
        while (part := _get(handle)) is not None:
            keys = [tuple(key) for key in part["keys"]]
            stored: dict[tuple[Any, ...], dict[str, Any]] = {}
            if keys and part.get("stored", True):
                stored = spec.existing(session, actor, keys, context)
            elif keys:  # nothing was stored under these keys: what they refer to may have changed
                spec.refresh_references(session, actor, keys, context)
            if spec.fingerprint(keys, stored, context) != part["fingerprint"]:
                raise _Superseded()
            creates, updates = [], []
            for sign, key, values in marshal.loads(part["planned"]):  # noqa: S302 - as _get
                if sign == "+":
                    creates.append(values)
                else:
                    updates.append((stored[key], values))
            if creates or updates:
                try:
                    spec.write(session, actor, creates, updates, context)
                except IntegrityError:  # e.g. the same record created since the preview
                    raise _Superseded() from None
            result.new += len(creates)
            result.changed += len(updates)
            jobs.report_progress(
                0.95 * handle.tell() / size, _("%(n)d rows applied", n=result.new + result.changed)
            )
    if (result.new, result.changed) != (batch.new_rows or 0, batch.changed_rows or 0):
        raise _Superseded()
    spec.finish(session, actor, context)
    return result


def _read_rows(
    path: reader.Source,
    kind: str,
    spec: ListSpec,
    layouts: list[SheetLayout],
    choices: dict[str, Any],
) -> Iterator[tuple[Row, float]]:
    """Converted rows of the selected sheets with the fraction of the work done."""
    facts = reader.FileFacts(kind)
    cap, max_cells = _limits()["max_uncompressed"], _max_cells()
    parts: dict[str, Any] = {}
    for position, layout in enumerate(layouts):
        convert_row = _row_converter(spec, layout, choices)
        rows = reader.data_rows(path, facts, layout, cap=cap, max_cells=max_cells, parts=parts)
        for number, cells, formulas, done in rows:
            row = convert_row(number, cells, formulas)
            if row is not None:
                yield row, (position + done) / len(layouts)


def _row_converter(
    spec: ListSpec, layout: SheetLayout, choices: dict[str, Any]
) -> Callable[[int, list[Any], set[tuple[int, int]]], Row | None]:
    """A function turning one sheet row (its cells as calamine reads them) into a :class:`Row`,
    or None for a row with nothing in the mapped columns. Made once per sheet: text cells of
    text columns (most cells) take a short path, every other cell goes through ``convert``."""
    plan = [
        (index, key, spec.column(key), choices.get(key))
        for index, key in sorted(layout.mapping.items())
    ]
    texts = [
        (i, key, column.max_length or 0, column.keeps_lines)
        for i, key, column, _c in plan
        if column.kind == TEXT
    ]
    others = [
        (i, key, cell_converter(column, allowed))
        for i, key, column, allowed in plan
        if column.kind != TEXT
    ]
    positions = {key: index for index, key, _column, _allowed in plan}  # shared, read-only
    width = max(positions.values(), default=-1) + 1
    sheet, normalise, padding = layout.name, spec.normalise, [None] * width
    order = [key for _index, key, _column, _allowed in plan]  # values keep the sheet's order
    too_long = {
        key: _("At most %(n)d characters.", n=limit) for _i, key, limit, _lines in texts if limit
    }

    def convert_row(number: int, cells: list[Any], formulas: set[tuple[int, int]]) -> Row | None:
        if len(cells) < width:
            cells = cells + padding[len(cells) :]
        values: dict[str, Any] = dict.fromkeys(order)
        errors: dict[str, str] = {}
        filled = False
        for index, key, limit, lines in texts:
            value = cells[index]
            if value.__class__ is str:
                # (the common case inline: no call per cell)
                value = value.strip() if value.isprintable() else clean_text(value, multiline=lines)
                if not value:
                    continue
                if limit and len(value) > limit:
                    errors[key] = too_long[key]
                else:
                    values[key] = value
                    filled = True
            elif value is not None:
                try:
                    values[key] = value = convert(spec.column(key), value)
                except CellError as error:
                    errors[key] = str(error)
                else:
                    filled = filled or value is not None
        for index, key, converter in others:
            value = cells[index]
            if value is None:
                continue
            try:
                values[key] = value = converter(value)
            except CellError as error:
                errors[key] = str(error)
            else:
                filled = filled or value is not None
        if formulas:
            for key, index in positions.items():
                if (number - 1, index) in formulas:
                    values[key] = None
                    errors[key] = _("The cell holds a formula; enter the value itself.")
        if not filled and not errors:
            return None  # blank, or content only in unmapped columns (e.g. a notes column)
        normalise(values)
        return Row(sheet, number, values, positions, errors)

    return convert_row


def _process(
    session: Session,
    actor: Actor,
    spec: ListSpec,
    chunk: list[Row],
    context: Any,
    seen: dict[tuple[Any, ...], tuple[str, int]],
    result: Analysis,
    digest: Any,
    headers: dict[str, str],
    apply: bool,
) -> tuple[list[tuple[Any, ...]], dict[tuple[Any, ...], dict[str, Any]], bytes]:
    """Check one batch of rows; returns its keys, the stored records and its plan: marshalled
    ("+", key, what to create) and ("~", key, changes) in file order. With ``apply``, writes
    them."""
    keys: list[tuple[Any, ...]] = []
    required = [c.key for c in spec.columns if c.required]
    for row in chunk:
        for name in required:
            if name not in row.errors and row.values.get(name) in (None, ""):
                row.errors[name] = _("Required.")
        key = spec.key_of(row.values)
        row.key = key  # type: ignore[attr-defined]
        if key is None:
            continue
        if key in seen:
            sheet, number = seen[key]
            row.errors[spec.key[0]] = _(
                "The same record is already in sheet “%(sheet)s” row %(row)d.",
                sheet=sheet,
                row=number,
            )
        else:
            seen[key] = (row.sheet, row.number)
            keys.append(key)
    stored_by_key = spec.existing(session, actor, keys, context) if keys else {}
    creates: list[dict[str, Any]] = []
    updates: list[tuple[tuple[Any, ...], dict[str, Any], dict[str, Any]]] = []
    planned: list[tuple[str, Any, Any]] = []
    for row in chunk:
        key = row.key  # type: ignore[attr-defined]
        stored = stored_by_key.get(key) if key is not None else None
        if stored is not None and not stored.get("_in_reach", True):
            row.errors.setdefault(
                spec.key[0], _("This record belongs to a region or unit outside your reach.")
            )
        if not row.errors:
            spec.check(row, stored, context, actor)
        changes: dict[str, Any] = {}
        if not row.errors and stored is not None:
            for column_key, value in row.values.items():
                old = stored.get(column_key)
                if old == value or column_key[0] == "_" or _equal(old, value):
                    continue  # the same (most cells), or the spec's private notes (ids)
                column = spec.column(column_key)
                if column.readonly:
                    if value not in (None, ""):
                        row.errors[column_key] = _(
                            "“%(column)s” is a standardized element and cannot be changed here "
                            "(stored: %(old)s).",
                            column=column.header,
                            old=old or "",
                        )
                    continue
                changes[column_key] = value
        if row.errors:
            result.invalid += 1
            _note_errors(spec, row, result, headers)
            continue
        if stored is None:
            result.new += 1
            creates.append(
                row.plan if row.plan is not None else spec.plan_values(row.values, context)
            )
            planned.append(("+", key, creates[-1]))
            if len(result.created) < SHOWN_CHANGES:
                result.created.append(
                    {"sheet": row.sheet, "row": row.number, "key": " / ".join(map(str, key))}
                )
        elif changes:
            result.changed += 1
            updates.append((key, stored, changes))
            planned.append(("~", key, changes))
            if len(result.changes) < SHOWN_CHANGES:
                result.changes.append(
                    {
                        "sheet": row.sheet,
                        "row": row.number,
                        "key": " / ".join(map(str, key)),
                        "note": spec.change_note(stored),
                        "fields": [
                            {
                                "column": headers[k],
                                "old": _shown(spec, k, stored.get(k)),
                                "new": _shown(spec, k, v),
                            }
                            for k, v in changes.items()
                        ],
                    }
                )
        else:
            result.unchanged += 1
            note = spec.unchanged_note(stored) if stored is not None else None
            if note and len(result.notes) < SHOWN_CHANGES:
                key_text = " / ".join(map(str, key))
                result.notes.append(
                    {"sheet": row.sheet, "row": row.number, "key": key_text, "note": note}
                )
    # The plan in file order; marshal version 2 writes equal values as equal bytes (no
    # back-references that depend on which objects happen to be shared).
    blob = marshal.dumps(planned, 2)
    digest.update(blob)
    if apply and result.invalid:
        raise _Superseded()  # nothing of this transaction will be committed: stop early
    if apply and (creates or updates):
        spec.write(session, actor, creates, [(old, new) for _k, old, new in updates], context)
    return keys, stored_by_key, blob


def _shown(spec: ListSpec, key: str, value: Any) -> Any:
    column = spec.column(key)
    if column.kind == "boolean" and value is not None:
        return "是" if value else "否"
    return value


def _note_errors(spec: ListSpec, row: Row, result: Analysis, headers: dict[str, str]) -> None:
    for key, message in row.errors.items():
        result.error_count += 1
        column = headers.get(key, "")
        if len(result.errors) < SHOWN_ERRORS:
            result.errors.append(
                {"sheet": row.sheet, "row": row.number, "column": column, "message": message}
            )
        if result.error_count <= ANNOTATED_ERRORS:  # (counted above: O(1), not a sum per error)
            index = row.cells.get(key)
            if index is None:
                index = min(row.cells.values(), default=0)
            cell_messages = result.annotations.setdefault((row.sheet, row.number), {})
            text = f"「{column}」{message}" if column else message
            cell_messages[index] = (cell_messages.get(index, "") + " " + text).strip()


def error_text(error: dict[str, Any]) -> str:
    """One error as the user reads it: 工作表「许可」第 37 行「承诺办结时限」：……"""
    return _(
        "Sheet “%(sheet)s” row %(row)d “%(column)s”: %(message)s",
        sheet=error["sheet"],
        row=error["row"],
        column=error["column"],
        message=error["message"],
    )


def _write_annotated_copy(batch: ImportBatch, spec: ListSpec, result: Analysis) -> str:
    path = reader_source(spec, batch.stored_name)
    layouts = [SheetLayout.from_dict(d) for d in batch.layout_data() if d.get("selected")]
    facts = reader.FileFacts(batch.file_kind)
    cap, max_cells = _limits()["max_uncompressed"], _max_cells()
    parts: dict[str, Any] = {}

    def sheets() -> Iterator[tuple[str, Iterator[list[Any]]]]:
        for layout in layouts:
            rows = reader.sheet_rows(
                path, facts, layout.name, cap=cap, max_cells=max_cells, parts=parts
            )
            yield layout.name, _absolute_rows(rows)

    output = write_annotated(sheets(), result.annotations, in_memory=spec.sealed)
    name = f"{batch.stored_name.split('.')[0]}-errors.xlsx"
    try:
        write_stored(spec, name, output.read())
    finally:
        output.close()
    return name


def _absolute_rows(rows: Iterator[tuple[int, list[Any], Any, float]]) -> Iterator[list[Any]]:
    """A sheet's rows from row 1 (blank rows where the sheet has none)."""
    expected = 0
    for index, cells, _formulas, _done in rows:
        while expected < index:
            yield []
            expected += 1
        yield cells
        expected += 1
