"""Licence sample files: names, types, storage beside the transaction."""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.core import files
from app.core.actor import Actor
from app.core.errors import InvalidTransition
from app.core.services import check_version
from app.licences.models import LicenceEntry
from app.licences.services.registration import _revise_if_rejected
from app.licences.states import EDITABLE_STATES, ReviewState

# -- sample files ----------------------------------------------------------------------------

# The generic checks and storage are app.core.files; these names keep the domain's words.
SAMPLE_TYPES = files.FILE_TYPES
_settle_files = files.settle_files


def sample_name_message(filename: str | None) -> str | None:
    """Why ``filename`` is refused: empty, path parts, control characters, bad extension."""
    return files.name_message(
        filename, type_message=_("The sample must be a PDF, PNG or JPEG file.")
    )


def attach_sample(
    session: Session,
    entry: LicenceEntry,
    *,
    actor: Actor,
    version: int | str | None,
    filename: str | None,
    data: bytes,
    directory: str,
    max_bytes: int,
) -> None:
    """Attach (or replace) the sample file of a new or editable entry, in the caller's
    transaction: reach (404), the version the caller loaded (409; a new entry has none), the
    state (409) and the file (422) are checked, then the file is stored under a generated name
    in ``directory`` (not web-served). It stays only if the transaction commits (the replaced
    file is deleted then); when the transaction is rolled back or abandoned it is removed."""
    actor.reach.check(session, entry)
    if inspect(entry).persistent:
        check_version(entry, version, actor=actor)
    if ReviewState(entry.state or ReviewState.DRAFT.value) not in EDITABLE_STATES:
        raise InvalidTransition(_("A submitted, published or deprecated entry cannot be edited."))
    extension, mimetype = check_sample(filename, data, max_bytes)
    written = files.write_file(directory, extension, data)
    _settle_files(session, on_commit=sample_path(entry, directory), on_rollback=written)
    entry.sample_stored_name = written.name
    entry.sample_filename = filename
    entry.sample_mimetype = mimetype
    entry.sample_size = len(data)
    _revise_if_rejected(session, entry, actor=actor)


def check_sample(filename: str | None, data: bytes, max_bytes: int) -> tuple[str, str]:
    """Refuse a bad sample (name, size, content); return its extension and MIME type."""
    return files.check_file(
        filename,
        data,
        max_bytes,
        field="sample",
        type_message=_("The sample must be a PDF, PNG or JPEG file."),
    )


def sample_path(entry: LicenceEntry, directory: str) -> Path | None:
    """The stored sample's path, or None (the stored name is ours: hex + extension)."""
    return files.stored_path(directory, entry.sample_stored_name)
