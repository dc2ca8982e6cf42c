"""The steps of an import: upload, mapping, preview and confirm (background jobs), and the
batch's state as its job left it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.core import jobs
from app.core.actor import Actor
from app.core.audit import AuditAction, record
from app.core.bulk import rare_collections
from app.core.errors import DomainError, InvalidTransition, ValidationError
from app.core.models import AppUser, utcnow
from app.core.unit_of_work import on_commit, unit_of_work
from app.excel import reader
from app.excel.models import ImportBatch
from app.excel.reader import BadFile, SheetLayout
from app.excel.services.analysis import Analysis, _write_annotated_copy, analyse, apply_plan
from app.excel.services.files import (
    _limits,
    _max_cells,
    _store,
    spec_for,
    stored_path,
    write_stored,
)
from app.excel.services.plan import _plan_path, _Superseded
from app.excel.spec import ListSpec, clean_text
from app.excel.states import ImportStatus

# -- step 1: upload -----------------------------------------------------------------------------


def upload(
    session: Session, *, actor: Actor, spec: ListSpec, file_name: str, stream: IO[bytes]
) -> ImportBatch:
    """Store the file, check it and propose the mapping. Bad files raise :class:`BadFile`
    and leave nothing behind but the audit record of the refused attempt, added to the session:
    the caller commits it (its unit of work catches the error inside the block)."""
    limits = _limits()
    file_name = clean_text(file_name or "")  # shown in the history and the audit log
    temporary, size, sha256, content = _store(stream, limits["max_bytes"], in_memory=spec.sealed)
    path = stored_path(temporary)
    source = content if content is not None else str(path)
    try:
        facts = reader.inspect_file(source, **limits)
        layouts = reader.detect_layouts(
            source, spec, facts, cap=limits["max_uncompressed"], max_cells=_max_cells()
        )
        _check_layouts(spec, layouts)
    except BaseException as error:
        path.unlink(missing_ok=True)
        if not isinstance(error, DomainError):
            raise
        record(
            session,
            AuditAction.IMPORT,
            object_type=spec.object_type,
            summary=_("Import of %(file)s refused: %(reason)s", file=file_name, reason=str(error))[
                :256
            ],
        )
        session.flush()
        raise
    stored_name = f"{temporary.split('.')[0]}.{facts.kind}"
    if content is not None:  # a sealed list: its file is written only sealed
        write_stored(spec, stored_name, content)
    else:
        os.replace(path, stored_path(stored_name))
    user = session.get(AppUser, actor.user_id) if actor.user_id else None
    batch = ImportBatch(
        list_name=spec.name,
        file_name=(file_name or "upload")[:255],
        stored_name=stored_name,
        file_kind=facts.kind,
        file_size=size,
        file_sha256=sha256,
        status=ImportStatus.UPLOADED.value,
        created_by_id=actor.user_id,
        created_by_name=actor.username,
        region_id=(user.region_id or (user.unit.region_id if user.unit else None))
        if user
        else None,
        unit_id=user.unit_id if user and actor.reach and actor.reach.unit_id else None,
    )
    _select_default_sheets(layouts)
    batch.layouts = json.dumps([_layout_dict(layout) for layout in layouts], ensure_ascii=False)
    session.add(batch)
    session.flush()
    record(
        session,
        AuditAction.IMPORT,
        object_type=spec.object_type,
        object_id=batch.id,
        summary=_("Uploaded %(file)s for import", file=batch.file_name)[:256],
        after={"import": batch.id, "sha256": sha256, "size": size},
    )
    return batch


def _layout_dict(layout: SheetLayout) -> dict[str, Any]:
    data = layout.as_dict()
    data["selected"] = getattr(layout, "selected", False)
    return data


def _select_default_sheets(layouts: list[SheetLayout]) -> None:
    for layout in layouts:
        layout.selected = (  # type: ignore[attr-defined]
            not layout.hidden and not layout.empty and layout.header_row is not None
        )


def _check_layouts(spec: ListSpec, layouts: list[SheetLayout]) -> None:
    if not layouts or all(layout.empty for layout in layouts):
        raise BadFile(_("The workbook has no rows."))
    usable = [
        layout
        for layout in layouts
        if not layout.empty and not layout.hidden and layout.header_row is not None
    ]
    if not usable:
        expected = "、".join(c.header for c in spec.columns if c.required)
        raise BadFile(
            _(
                "No sheet has the header of this list (wrong template?). The header row must "
                "name the columns, at least: %(columns)s."
            )
            % {"columns": expected}
        )


# -- step 2: mapping ----------------------------------------------------------------------------


@dataclass
class MappingReport:
    """What the mapping page and the API show before the preview."""

    sheets: list[dict[str, Any]]
    missing: list[str]  # "sheet: column" of required columns not mapped
    unmapped: list[str]  # "sheet: header" of source columns that will not be imported
    notes: list[str]  # sheets not read, and why

    @property
    def ok(self) -> bool:
        return not self.missing


def mapping_report(batch: ImportBatch, spec: ListSpec) -> MappingReport:
    sheets = batch.layout_data()
    missing: list[str] = []
    unmapped: list[str] = []
    notes: list[str] = []
    for data in sheets:
        layout = SheetLayout.from_dict(data)
        if not data.get("selected"):
            if layout.empty:
                notes.append(_("Sheet “%(sheet)s” is empty.", sheet=layout.name))
            elif layout.hidden:
                notes.append(_("Sheet “%(sheet)s” is hidden and was not read.", sheet=layout.name))
            elif layout.header_row is None:
                notes.append(_("Sheet “%(sheet)s” has no header of this list.", sheet=layout.name))
            else:
                notes.append(_("Sheet “%(sheet)s” was not selected.", sheet=layout.name))
            continue
        missing.extend(
            f"{sheet}：{column.header}" for sheet, column in reader.missing_required(spec, [layout])
        )
        for index, header in enumerate(layout.headers):
            if header and index not in layout.mapping:
                unmapped.append(f"{layout.name}：{header}")
    if not any(data.get("selected") for data in sheets):
        missing.append(_("Select at least one sheet."))
    return MappingReport(sheets, missing, unmapped, notes)


def set_mapping(
    session: Session,
    *,
    actor: Actor,
    batch: ImportBatch,
    spec: ListSpec,
    selected: list[str] | None = None,
    mapping: dict[str, dict[int, str | None]] | None = None,
) -> MappingReport:
    """Apply the user's choice of sheets and corrections of the mapping (sheet → column index →
    column key, or None to ignore the column). A column key may be mapped once per sheet."""
    settle(session, batch)
    _require(
        batch,
        ImportStatus.UPLOADED,
        ImportStatus.PREVIEWED,
        ImportStatus.REJECTED,
        ImportStatus.SUPERSEDED,
        ImportStatus.FAILED,
    )
    keys = {c.key for c in spec.columns}
    sheets = batch.layout_data()
    for data in sheets:
        if selected is not None:
            data["selected"] = data["name"] in selected and data.get("header_row") is not None
        for index, key in (mapping or {}).get(data["name"], {}).items():
            if key and key not in keys:
                raise ValidationError(message=_("Unknown column “%(key)s”.", key=key))
            if key:
                data["mapping"] = {k: v for k, v in data["mapping"].items() if v != key}
                data["mapping"][str(index)] = key
            else:
                data["mapping"].pop(str(index), None)
    batch.layouts = json.dumps(sheets, ensure_ascii=False)
    batch.status = ImportStatus.UPLOADED.value
    session.flush()
    return mapping_report(batch, spec)


# -- step 3: preview (a background job) ---------------------------------------------------------


def start_preview(session: Session, *, actor: Actor, batch: ImportBatch, spec: ListSpec) -> str:
    settle(session, batch)
    _require(
        batch,
        ImportStatus.UPLOADED,
        ImportStatus.PREVIEWED,
        ImportStatus.REJECTED,
        ImportStatus.SUPERSEDED,
        ImportStatus.FAILED,
    )
    report = mapping_report(batch, spec)
    if not report.ok:
        raise ValidationError(
            message=_(
                "Map the required columns first: %(columns)s", columns="、".join(report.missing)
            )
        )
    batch.status = ImportStatus.PREVIEWING.value
    batch.message = None
    return _enqueue(session, actor, batch, "app.excel.services.preview_job")


def start_confirm(session: Session, *, actor: Actor, batch: ImportBatch) -> str:
    settle(session, batch)
    _require(batch, ImportStatus.PREVIEWED)
    if batch.invalid_rows:
        raise InvalidTransition(_("Correct the rows with errors first: nothing can be applied."))
    batch.status = ImportStatus.CONFIRMING.value
    return _enqueue(session, actor, batch, "app.excel.services.confirm_job")


def _enqueue(session: Session, actor: Actor, batch: ImportBatch, job: str) -> str:
    """Store the job id with the import (in the caller's transaction, with its new status);
    the job starts once that transaction has committed (it reads the committed import)."""
    batch.job_id = job_id = jobs.new_job_id()
    batch_id = batch.id
    session.flush()
    on_commit(session, lambda: jobs.enqueue(job, actor=actor, job_id=job_id, batch_id=batch_id))
    return job_id


def _require(batch: ImportBatch, *states: ImportStatus) -> None:
    if ImportStatus(batch.status) not in states:
        raise InvalidTransition(
            _(
                "This import is “%(state)s”; that step is not possible now.",
                state=batch.status_label,
            )
        )


def preview_job(batch_id: int, *, actor: Actor) -> None:
    """Check every row and keep the counts, errors, changes and plan fingerprint.

    A job (a use-case boundary): the analysis runs as ``actor`` in a dry run (nothing of it
    may stay), its outcome is written in one unit of work."""
    from app.extensions import db

    session = db.session
    try:
        with unit_of_work(session, actor, dry_run=True), rare_collections():
            batch = session.get(ImportBatch, batch_id)
            spec = spec_for(batch.list_name)
            result = analyse(session, actor=actor, batch=batch, spec=spec, apply=False)
    except DomainError as error:
        with unit_of_work(session, actor):
            batch = session.get(ImportBatch, batch_id)
            batch.status, batch.message = ImportStatus.REJECTED.value, str(error)[:500]
        return
    with unit_of_work(session, actor):
        _store_preview(session, batch_id, spec, result)


def _store_preview(session: Session, batch_id: int, spec: ListSpec, result: Analysis) -> None:
    batch = session.get_one(ImportBatch, batch_id)
    result.store_on(batch)
    batch.status = (ImportStatus.REJECTED if result.invalid else ImportStatus.PREVIEWED).value
    batch.previewed_at = utcnow()
    if result.annotations:
        batch.annotated_name = _write_annotated_copy(batch, spec, result)
    record(
        session,
        AuditAction.IMPORT,
        object_type=spec.object_type,
        object_id=batch.id,
        summary=_(
            "Checked import %(file)s: %(new)d new, %(changed)d changed, %(unchanged)d "
            "unchanged, %(invalid)d with errors",
            file=batch.file_name,
            new=result.new,
            changed=result.changed,
            unchanged=result.unchanged,
            invalid=result.invalid,
        )[:256],
    )


def confirm_job(batch_id: int, *, actor: Actor) -> None:
    """Apply the import in ONE transaction (one unit of work, as ``actor``), or nothing; a
    failure is then recorded on the import in a unit of work of its own."""
    from app.extensions import db

    session = db.session
    batch = session.get(ImportBatch, batch_id)
    spec = spec_for(batch.list_name)
    previewed_hash = batch.plan_hash
    plan = _plan_path(batch)
    try:
        with unit_of_work(session, actor):
            with rare_collections():
                if plan.exists():
                    result = apply_plan(session, actor=actor, batch=batch, spec=spec, plan=plan)
                else:  # no plan kept (or the list checks every row again): analyse the file again
                    result = analyse(session, actor=actor, batch=batch, spec=spec, apply=True)
                    if result.plan_hash != previewed_hash:
                        raise _Superseded()
            if result.invalid:
                raise _Superseded()
            batch = session.get(ImportBatch, batch_id)
            batch.status = ImportStatus.APPLIED.value
            batch.confirmed_at = utcnow()
            batch.message = None
            record(
                session,
                AuditAction.IMPORT,
                object_type=spec.object_type,
                object_id=batch.id,
                summary=_(
                    "Applied import %(file)s: %(new)d new, %(changed)d changed",
                    file=batch.file_name,
                    new=result.new,
                    changed=result.changed,
                )[:256],
                after={
                    "import": batch.id,
                    "new": result.new,
                    "changed": result.changed,
                    "unchanged": result.unchanged,
                },
            )
            on_commit(session, lambda: plan.unlink(missing_ok=True))
    except _Superseded:
        with unit_of_work(session, actor):
            _mark(
                session,
                batch_id,
                ImportStatus.SUPERSEDED,
                _(
                    "The data changed after the preview (or the file now has errors); nothing "
                    "was applied. Check the file again."
                ),
            )
    except Exception as error:
        with unit_of_work(session, actor):
            _mark(
                session,
                batch_id,
                ImportStatus.FAILED,
                _(
                    "The import stopped and nothing was applied: %(reason)s",
                    reason=str(error)[:300],
                ),
            )
        if not isinstance(error, DomainError):
            raise


def _mark(session: Session, batch_id: int, status: ImportStatus, message: str) -> None:
    batch = session.get_one(ImportBatch, batch_id)
    batch.status, batch.message = status.value, message[:500]


def _dead_job(batch: ImportBatch) -> tuple[bool, jobs.JobStatus | None]:
    """Whether ``batch`` is busy with a job that died (or is unknown), and that job's state."""
    state = jobs.status(batch.job_id)
    busy = ImportStatus(batch.status).busy
    return busy and (state is None or state.state == jobs.FAILED), state


def refresh(session: Session, batch: ImportBatch) -> jobs.JobStatus | None:
    """The job's progress, for a status poll: it reads only. A busy import whose job died is
    reported as a failed job (see :func:`settled`); the next step the user takes settles it
    (:func:`settle`)."""
    dead, state = _dead_job(batch)
    if dead and state is None:
        return jobs.JobStatus(batch.job_id or "", jobs.FAILED, error=_("lost"))
    return state


def settled(batch: ImportBatch, state: jobs.JobStatus | None) -> tuple[ImportStatus, str] | None:
    """The status and message of a busy import whose job (``state``) died, as :func:`settle`
    will store them (a poll shows them without writing); None while the job lives."""
    if not ImportStatus(batch.status).busy or (state is not None and state.state != jobs.FAILED):
        return None
    status = (
        ImportStatus.FAILED
        if batch.status == ImportStatus.CONFIRMING.value
        else ImportStatus.UPLOADED
    )
    message = _(
        "The background job stopped (%(reason)s); nothing was applied.",
        reason=(state.error if state else "") or _("lost"),
    )[:500]
    return status, message


def settle(session: Session, batch: ImportBatch) -> None:
    """Mark a busy import whose job died as failed (nothing was applied), so that the user can
    go on; called by the steps that change an import (in their unit of work), never by a poll."""
    dead, _state = _dead_job(batch)
    if not dead:
        return
    session.refresh(batch)
    outcome = settled(batch, jobs.status(batch.job_id))
    if outcome is not None:
        batch.status, batch.message = outcome[0].value, outcome[1]
        session.flush()
