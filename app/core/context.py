"""Template context: the calendar alert, shown only to those who can edit the calendar and only
while open deadlines are provisional; the same as a to-do on their workbench."""

from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _

from app.core import calendar, roles
from app.core.workbench import Desk, Todo, register_todo
from app.extensions import appbuilder, db


def calendar_alert() -> str | None:
    """A warning when the calendar lacks a year that open deadlines already reach."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not appbuilder.sm.has_access("can_write", "Calendar"):
        return None
    missing = calendar.missing_years(db.session, calendar.today())
    if not missing:
        return None
    count = calendar.provisional_deadline_count(db.session)
    if not count:  # nothing depends on the missing year yet: the workbench's to-do says it
        return None
    years = "、".join(str(y) for y in missing)
    return _(
        "The working-day calendar does not know %(years)s yet: %(n)d open deadline(s) are "
        "provisional (weekdays only). Enter the official holiday schedule under Working calendar "
        "→ Calendar years.",
        years=years,
        n=count,
    )


def calendar_years_missing(desk: Desk) -> Todo | None:
    """The years the calendar must learn soon, counted as to-dos; none when it knows them."""
    missing = calendar.missing_years(desk.session, desk.today)
    if not missing:
        return None
    provisional = calendar.provisional_deadline_count(desk.session)
    return Todo(
        "calendar-years",
        _("Enter the official holiday schedule of %(years)s", years="、".join(map(str, missing))),
        len(missing),
        url_for("CalendarYearView.list"),
        provisional=bool(provisional),
        note=_("%(n)d open deadline(s) are provisional", n=provisional) if provisional else "",
    )


def register() -> None:
    register_todo(calendar_years_missing, for_roles={roles.PROVINCE_ADMIN})


def person_name(username: str | None) -> str:
    """A person's name (姓名) for a login name, as step histories show who acted; the system's
    own steps read 「系统」. Looked up once per request."""
    if not username:
        return ""
    if username == "system":
        return _("System")
    names: dict[str, str] = g.setdefault("zw_person_names", {})
    if username not in names:
        from sqlalchemy import select

        from app.core.models import AppUser

        row = db.session.execute(
            select(AppUser.first_name, AppUser.last_name).where(AppUser.username == username)
        ).first()
        names[username] = ((row[0] or "") + (row[1] or "")) if row else ""
    return names[username] or username
