"""The catalogue's tiles on the workbench (app.core.workbench): review queues, requests
returned to their proposer, drafts, filings to acknowledge; items by status and the on-time
review rate as figures."""

from __future__ import annotations

import datetime as dt

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.catalogue.models import AdjustmentRequest, Filing, ImplementationItem
from app.catalogue.services.queries import review_steps_timeliness
from app.catalogue.states import PROPOSERS, AdjustmentState, FilingState, ItemStatus
from app.core import calendar, roles
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

#: The period of the on-time review rate on the workbench.
REVIEW_RATE_DAYS = 90


def _list_url(endpoint: str, **filters: str) -> str:
    """The list filtered like the tile counts: ``_flt_0_`` (starts with) on a state,
    ``_flt_3_`` (equal to: FAB's order for text) on a login name."""
    query = "&".join(
        f"_flt_{3 if name == 'created_by' else 0}_{name}={value}" for name, value in filters.items()
    )
    return f"{url_for(endpoint)}?{query}"


def review_queue(desk: Desk) -> list[Todo]:
    """The steps waiting for this reviewer (the same states and reach as ``my_queue``)."""
    steps = []
    if roles.LEGAL_REVIEWER in desk.roles:
        steps.append((AdjustmentState.LEGALITY_REVIEW, _("Adjustments awaiting legality review")))
    if roles.PROVINCE_ADMIN in desk.roles:
        steps.append((AdjustmentState.FINAL_REVIEW, _("Adjustments awaiting final review")))
    return [
        count_todo(
            desk,
            AdjustmentRequest,
            AdjustmentRequest.state == state.value,
            key=f"adjustment-{state.value}",
            label=label,
            url=url_for("AdjustmentView.queue"),
            deadline=AdjustmentRequest.deadline_id,
            urgent=AdjustmentRequest.urgent,
        )
        for state, label in steps
    ]


def my_requests(desk: Desk) -> list[Todo]:
    """The proposer's own requests: returned by a reviewer, and drafts not yet submitted."""
    mine = AdjustmentRequest.created_by == desk.actor.username
    return [
        count_todo(
            desk,
            AdjustmentRequest,
            mine,
            AdjustmentRequest.state == AdjustmentState.RETURNED.value,
            key="adjustment-returned",
            label=_("My adjustment requests returned to me"),
            url=_list_url(
                "AdjustmentView.list",
                state=AdjustmentState.RETURNED.value,
                created_by=desk.actor.username,
            ),
            note=_("revise and submit again"),
        ),
        count_todo(
            desk,
            AdjustmentRequest,
            mine,
            AdjustmentRequest.state == AdjustmentState.DRAFT.value,
            key="adjustment-draft",
            label=_("My draft adjustment requests not yet submitted"),
            url=_list_url(
                "AdjustmentView.list",
                state=AdjustmentState.DRAFT.value,
                created_by=desk.actor.username,
            ),
        ),
    ]


def filings_to_acknowledge(desk: Desk) -> Todo:
    return count_todo(
        desk,
        Filing,
        Filing.state == FilingState.FILED.value,
        key="filing-filed",
        label=_("Filed lists to acknowledge"),
        url=_list_url("FilingView.list", state=FilingState.FILED.value),
    )


def items_by_status(desk: Desk) -> Figure:
    query = desk.actor.reach.scope(
        select(ImplementationItem.status, func.count()).group_by(ImplementationItem.status),
        ImplementationItem,
    )
    counts = dict(desk.session.execute(query).all())
    bars = [
        Bar(status.label, counts.get(status.value, 0))
        for status in ItemStatus
        if counts.get(status.value)
    ]
    return Figure(
        "items-by-status",
        _("Implementation items by status"),
        headline=_("%(n)d in all", n=sum(counts.values())),
        bars=bars,
        url=url_for("ImplementationItemView.list"),
    )


def on_time_review_rate(desk: Desk) -> Figure:
    """Review decisions (both steps, within reach) taken on time in the last 90 days."""
    # The province's midnights, as stored instants.
    tomorrow = desk.today + dt.timedelta(days=1)
    end = calendar.to_utc(dt.datetime.combine(tomorrow, dt.time()))
    start = calendar.to_utc(
        dt.datetime.combine(tomorrow - dt.timedelta(REVIEW_RATE_DAYS), dt.time())
    )
    on_time, late = review_steps_timeliness(desk.session, start=start, end=end, actor=desk.actor)
    rate = on_time / (on_time + late) if on_time + late else None
    return Figure(
        "review-on-time",
        _("Reviews on time (last %(n)d days)", n=REVIEW_RATE_DAYS),
        headline=percent(rate),
        bars=[Bar(_("On time"), on_time), Bar(_("Late"), late)],
        url=url_for("AdjustmentView.queue"),
    )


def register() -> None:
    register_todo(review_queue, for_roles={roles.LEGAL_REVIEWER, roles.PROVINCE_ADMIN})
    register_todo(my_requests, for_roles=PROPOSERS)
    register_todo(filings_to_acknowledge, for_roles={roles.PROVINCE_ADMIN})
    register_figure(items_by_status, for_roles={roles.COUNTY_COORDINATOR, roles.PROVINCE_ADMIN})
    register_figure(on_time_review_rate, for_roles={roles.LEGAL_REVIEWER, roles.PROVINCE_ADMIN})
