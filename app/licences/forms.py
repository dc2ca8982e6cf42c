"""Form fields of the licence views (select lists from the domain's closed lists)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FileField


def sample_field() -> FileField:
    return FileField(
        _l("Sample file"),
        description=_l("PDF, PNG or JPEG; the content is checked, not only the name."),
    )
