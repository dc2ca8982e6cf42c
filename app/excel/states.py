"""The states of an import, with translated labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.states import LabelledEnum


class ImportStatus(LabelledEnum):
    """uploaded → (mapping confirmed) previewing → previewed → confirming → applied.

    ``rejected``: the file is unreadable or its preview has errors (nothing can be applied);
    ``failed``: the confirm step stopped (an error, a crash): nothing was changed.
    """

    UPLOADED = "uploaded", _l("Waiting for the column mapping")
    PREVIEWING = "previewing", _l("Checking the rows")
    PREVIEWED = "previewed", _l("Ready to confirm")
    REJECTED = "rejected", _l("Has errors")
    CONFIRMING = "confirming", _l("Applying")
    APPLIED = "applied", _l("Applied (imported)")
    FAILED = "failed", _l("Failed, nothing changed")
    SUPERSEDED = "superseded", _l("Stale, re-check needed")

    @property
    def busy(self) -> bool:
        return self in (ImportStatus.PREVIEWING, ImportStatus.CONFIRMING)
