"""Template context: the calendar alert shown to those who can edit the calendar."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from app.core import calendar
from app.extensions import appbuilder, db


def calendar_alert() -> str | None:
    """A warning when the calendar lacks a year that deadlines already (or soon) reach."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not appbuilder.sm.has_access("can_write", "Calendar"):
        return None
    missing = calendar.missing_years(db.session, calendar.today())
    if not missing:
        return None
    count = calendar.provisional_deadline_count(db.session)
    years = "、".join(str(y) for y in missing)
    return _(
        "The working-day calendar does not know %(years)s yet: %(n)d open deadline(s) are "
        "provisional (weekdays only). Enter the official holiday schedule under Working calendar "
        "→ Calendar years.",
        years=years,
        n=count,
    )
