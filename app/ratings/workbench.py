"""The ratings domain's tile and figure on the workbench (app.core.workbench): open poor-rating
tickets with their deadlines; 好评率 and overdue tickets of the unit (or region)."""

from __future__ import annotations

import datetime as dt

from flask import url_for
from flask_babel import gettext as _

from app.core import roles
from app.core.workbench import (
    Bar,
    Desk,
    Figure,
    Todo,
    count_todo,
    percent,
    register_figure,
    register_todo,
)
from app.ratings import figures
from app.ratings.models import RectificationTicket

#: The period of the workbench's 好评率.
GOOD_RATE_DAYS = 30


def open_tickets(desk: Desk) -> Todo:
    """The same tickets as the queue: open, within reach, with their running deadline."""
    return count_todo(
        desk,
        RectificationTicket,
        RectificationTicket.closed_at.is_(None),
        key="rating-tickets",
        label=_("Poor-rating tickets to handle"),
        url=url_for("RectificationTicketView.queue"),
        deadline=RectificationTicket.deadline_id,
    )


def good_rate(desk: Desk) -> Figure:
    start = desk.today - dt.timedelta(days=GOOD_RATE_DAYS - 1)
    _rows, total = figures.compute(
        desk.session, actor=desk.actor, start=start, end=desk.today, group_by="channel"
    )
    overdue = sum(figures.overdue_by_unit(desk.session, actor=desk.actor).values())
    return Figure(
        "ratings",
        _("Ratings (last %(n)d days)", n=GOOD_RATE_DAYS),
        headline=_("Good-rating rate %(rate)s", rate=percent(total.good_rate)),
        bars=[
            Bar(_("Good-rating rate"), total.good_rate or 0, percent(total.good_rate)),
            Bar(_("Rectified on time"), total.on_time_rate or 0, percent(total.on_time_rate)),
            Bar(_("Called back"), total.call_back_rate or 0, percent(total.call_back_rate)),
        ],
        scale="percent",
        note=_("%(n)d ratings counted; %(o)d open ticket(s) overdue", n=total.counted, o=overdue),
        url=url_for("RatingFiguresView.show"),
    )


def register() -> None:
    handlers = {roles.UNIT_OPERATOR, roles.COUNTY_COORDINATOR}
    register_todo(open_tickets, for_roles=handlers)
    register_figure(good_rate, for_roles=handlers | {roles.PROVINCE_ADMIN, roles.SUPERVISOR})
