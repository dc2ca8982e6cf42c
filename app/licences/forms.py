"""Form fields of the licence views (select lists from the domain's closed lists)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FileField


def sample_field() -> FileField:
    return FileField(
        _l("Sample file"),
        description=_l("PDF, PNG or JPEG; the content is checked, not only the name."),
    )


def published_entries() -> Any:
    """The published catalogue, for choosing a licence type in another unit's catalogue."""
    from app.extensions import db
    from app.licences.services import published_entries_query

    return db.session.execute(published_entries_query()).scalars().all()
