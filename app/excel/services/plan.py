"""The plan a preview keeps beside the file: its record format and what its validity depends on."""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from app.core.actor import Actor
from app.excel.models import ImportBatch
from app.excel.services.files import stored_path
from app.excel.spec import ListSpec


class _Superseded(Exception):
    pass


def _plan_path(batch: ImportBatch) -> Path:
    return stored_path(f"{batch.stored_name.split('.')[0]}.plan")


PLAN_FORMAT = 2


def _put(handle: IO[bytes], data: Any) -> None:
    """One record of a plan file: its length, then the data (marshal: plain values only, and
    nothing on load can run code)."""
    blob = marshal.dumps(data)
    handle.write(len(blob).to_bytes(8, "little") + blob)


def _get(handle: IO[bytes]) -> Any:
    size = handle.read(8)
    if len(size) < 8:
        return None
    blob = handle.read(int.from_bytes(size, "little"))
    return marshal.loads(blob)  # noqa: S302 - our own file, under a generated name


def _context(
    session: Session, actor: Actor, spec: ListSpec, batch: ImportBatch
) -> tuple[Any, dict[str, Any]]:
    """What the rows of an import are checked against: the spec's context and closed lists."""
    context = spec.prepare(session, actor)
    if isinstance(context, dict):
        context["batch_id"] = batch.id
    elif hasattr(context, "batch_id"):  # a typed context (a dataclass with the field)
        context.batch_id = batch.id
    choices = {c.key: spec.choices(c, session) for c in spec.columns if c.kind == "choice"}
    return context, choices


def _global_token(actor: Actor, choices: dict[str, Any]) -> str:
    """What every row's checks depend on besides the stored records: who imports, with what
    reach, and the closed lists' values."""
    reach = actor.reach
    parts = (
        PLAN_FORMAT,
        actor.user_id,
        getattr(reach, "kind", None) and reach.kind.value,
        getattr(reach, "region_path", None),
        getattr(reach, "unit_id", None),
        sorted((key, list(values)) for key, values in choices.items()),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()
