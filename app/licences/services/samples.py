"""Licence sample files: names, types, storage beside the transaction."""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.core.actor import Actor
from app.core.errors import InvalidTransition, ValidationError
from app.core.services import check_version
from app.licences.models import LicenceEntry
from app.licences.services.registration import _revise_if_rejected
from app.licences.states import EDITABLE_STATES, ReviewState

# -- sample files ----------------------------------------------------------------------------

# extension → (MIME type, magic prefixes)
SAMPLE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


def sample_name_message(filename: str | None) -> str | None:
    """Why ``filename`` is refused: empty, path parts, control characters, bad extension."""
    name = filename or ""
    if not name.strip():
        return _("Choose a file.")
    if (
        "/" in name
        or "\\" in name
        or ".." in name
        or name.startswith(".")
        or ":" in name
        or any(unicodedata.category(ch).startswith("C") for ch in name)
        or len(name) > 128
    ):
        return _("The file name must be a plain name without folders or special characters.")
    if Path(name).suffix.lower() not in SAMPLE_TYPES:
        return _("The sample must be a PDF, PNG or JPEG file.")
    return None


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
    stored = secrets.token_hex(16) + (".jpg" if extension == ".jpeg" else extension)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / stored, "xb") as handle:
        handle.write(data)
    _settle_files(session, on_commit=sample_path(entry, directory), on_rollback=folder / stored)
    entry.sample_stored_name = stored
    entry.sample_filename = filename
    entry.sample_mimetype = mimetype
    entry.sample_size = len(data)
    _revise_if_rejected(session, entry, actor=actor)


def _settle_files(session: Session, *, on_commit: Path | None, on_rollback: Path) -> None:
    """After the transaction: on commit delete the replaced sample, otherwise (rolled back, or
    closed without a commit after an unexpected error) the new one, so the folder holds exactly
    the files that rows point at. Listeners go on this thread's Session object (not the scoped
    registry, which would reach other requests' sessions)."""
    from sqlalchemy import event
    from sqlalchemy.orm import scoped_session

    target = session() if isinstance(session, scoped_session) else session
    settled: list[bool] = []

    def _committed(_session: Session) -> None:
        if settled or _session.in_nested_transaction():  # a savepoint commits nothing yet
            return
        settled.append(True)
        event.remove(target, "after_transaction_end", _ended)
        if on_commit is not None:
            on_commit.unlink(missing_ok=True)

    def _ended(_session: Session, transaction: Any) -> None:
        # Not removed here (SQLAlchemy is iterating these listeners): it stays a no-op until
        # the Session object is discarded, as a ``once=True`` listener would.
        if settled or transaction.parent is not None:  # a savepoint: the outer one decides
            return
        settled.append(False)
        event.remove(target, "after_commit", _committed)
        on_rollback.unlink(missing_ok=True)

    event.listen(target, "after_commit", _committed)
    event.listen(target, "after_transaction_end", _ended)


def check_sample(filename: str | None, data: bytes, max_bytes: int) -> tuple[str, str]:
    """Refuse a bad sample (name, size, content); return its extension and MIME type."""
    extension = mimetype = ""
    message = sample_name_message(filename)
    if message is None and len(data) > max_bytes:
        message = _("The file is larger than %(mb).1f MB.", mb=max_bytes / (1024 * 1024))
    if message is None and not data:
        message = _("The file is empty.")
    if message is None:
        extension = Path(filename or "").suffix.lower()
        mimetype, magics = SAMPLE_TYPES[extension]
        if not data.startswith(magics):
            message = _("The file's content is not a %(ext)s file.", ext=extension[1:].upper())
    if message:
        raise ValidationError(errors={"sample": message}, message=message)
    return extension, mimetype


def sample_path(entry: LicenceEntry, directory: str) -> Path | None:
    """The stored sample's path, or None (the stored name is ours: hex + extension)."""
    name = entry.sample_stored_name
    if not name or not re.fullmatch(r"[0-9a-f]{32}\.(pdf|png|jpg)", name):
        return None
    path = Path(directory) / name
    return path if path.is_file() else None
