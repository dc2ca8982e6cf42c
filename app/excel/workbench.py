"""The spreadsheet engine's tile on the workbench (app.core.workbench): the actor's own imports
that wait for the column mapping or for confirmation, one tile per list."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import roles
from app.core.workbench import Desk, Todo, register_todo
from app.excel.models import ImportBatch
from app.excel.services.files import specs
from app.excel.states import ImportStatus

WAITING = (ImportStatus.UPLOADED.value, ImportStatus.PREVIEWED.value)


def imports_waiting(desk: Desk) -> list[Todo]:
    query = (
        select(ImportBatch.list_name, func.count(), func.max(ImportBatch.id))
        .where(
            ImportBatch.created_by_id == desk.actor.user_id,
            ImportBatch.status.in_(WAITING),
        )
        .group_by(ImportBatch.list_name)
    )
    known = specs()
    todos = []
    for name, count, newest in desk.session.execute(desk.actor.reach.scope(query, ImportBatch)):
        spec = known.get(name)
        title = (spec.title if spec is not None else "") or name
        # One import: straight to it; several: the list's import page with its history.
        url = f"/excel/{name}/{newest}" if count == 1 else f"/excel/{name}/"
        todos.append(
            Todo(
                f"imports-{name}",
                _("Imports waiting for confirmation: %(list)s", list=title),
                int(count),
                url,
            )
        )
    return todos


def register() -> None:
    register_todo(imports_waiting, for_roles=set(roles.ROLE_REACH))
