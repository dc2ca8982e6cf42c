"""Uploaded files checked by content and stored beside the transaction, outside the web root.

One mechanism for every domain that keeps uploaded files (licence samples, rating evidence):
the name and the content (PDF, PNG, JPEG by their magic bytes) are checked before anything is
written; the file is written under a random name in a configured folder that is never
web-served; it stays only if the transaction commits and is removed otherwise.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.core.errors import ValidationError

# extension → (MIME type, magic prefixes)
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}

#: Word documents (the circulated notice, 通报): a ZIP container; what is inside is the
#: caller's to check. Accepted only where a caller passes ``types=DOCX_TYPES``.
DOCX_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
}

_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(pdf|png|jpg|docx)")


def name_message(
    filename: str | None,
    *,
    type_message: str | None = None,
    types: dict[str, tuple[str, tuple[bytes, ...]]] | None = None,
) -> str | None:
    """Why ``filename`` is refused: empty, path parts, control characters, bad extension
    (``type_message``: the domain's words for the last)."""
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
    if Path(name).suffix.lower() not in (types or FILE_TYPES):
        return type_message or _("The file must be a PDF, PNG or JPEG file.")
    return None


def check_file(
    filename: str | None,
    data: bytes,
    max_bytes: int,
    *,
    field: str = "file",
    type_message: str | None = None,
    types: dict[str, tuple[str, tuple[bytes, ...]]] | None = None,
) -> tuple[str, str]:
    """Refuse a bad file (name, size, content) as a ValidationError on ``field``; return its
    extension and MIME type. Nothing is written. ``types``: the accepted types (default
    :data:`FILE_TYPES`)."""
    extension = mimetype = ""
    message = name_message(filename, type_message=type_message, types=types)
    if message is None and len(data) > max_bytes:
        message = _("The file is larger than %(mb).1f MB.", mb=max_bytes / (1024 * 1024))
    if message is None and not data:
        message = _("The file is empty.")
    if message is None:
        extension = Path(filename or "").suffix.lower()
        mimetype, magics = (types or FILE_TYPES)[extension]
        if not data.startswith(magics):
            message = _("The file's content is not a %(ext)s file.", ext=extension[1:].upper())
    if message:
        raise ValidationError(errors={field: message}, message=message)
    return extension, mimetype


def write_file(directory: str, extension: str, data: bytes) -> Path:
    """Write checked ``data`` under a new random name in ``directory``; the caller settles it
    with :func:`settle_files` at once."""
    stored = secrets.token_hex(16) + (".jpg" if extension == ".jpeg" else extension)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored
    with open(path, "xb") as handle:
        handle.write(data)
    return path


def stored_path(directory: str, name: str | None) -> Path | None:
    """The stored file's path, or None (a stored name is ours: hex + extension)."""
    if not name or not _STORED_NAME.fullmatch(name):
        return None
    path = Path(directory) / name
    return path if path.is_file() else None


def settle_files(session: Session, *, on_commit: Path | None, on_rollback: Path) -> None:
    """After the transaction: on commit delete the replaced file (``on_commit``), otherwise
    (rolled back, or closed without a commit after an unexpected error) the new one, so the
    folder holds exactly the files that rows point at. Listeners go on this thread's Session
    object (not the scoped registry, which would reach other requests' sessions)."""
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
