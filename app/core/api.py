"""REST APIs of the core domain (FAB ModelRestApi under the same reach rules as the views)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext as _

from app.core import calendar, services
from app.core.actor import current_actor
from app.core.base_views import ZwModelRestApi
from app.core.models import CalendarDay, CalendarYear, Region, Unit
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db


class RegionApi(ZwModelRestApi):
    resource_name = "region"
    class_permission_name = "Regions"
    datamodel = ReachInterface(Region)
    list_columns = ["id", "code", "name", "level", "parent_id", "path"]
    show_columns = ["id", "code", "name", "level", "parent_id", "path", "version"]
    add_columns = ["code", "name", "level", "parent"]
    edit_columns = ["code", "name", "level", "parent", "version"]
    order_columns = ["code", "name", "path"]
    search_columns = ["code", "name", "level", "parent"]
    base_order = ("path", "asc")

    def validate(self, item: Region) -> None:
        services.prepare_region(db.session, item)

    def pre_delete(self, item: Region) -> None:
        services.ensure_region_deletable(db.session, item)


class UnitApi(ZwModelRestApi):
    resource_name = "unit"
    class_permission_name = "Units"
    datamodel = ReachInterface(Unit)
    include_route_methods = {"get", "get_list", "info", "post", "put"}
    list_columns = [
        "id",
        "name",
        "credit_code",
        "region_id",
        "region.name",
        "kind",
        "exercise_level",
        "active",
    ]
    show_columns = [
        "id",
        "name",
        "credit_code",
        "region_id",
        "kind",
        "exercise_level",
        "liaison_name",
        "liaison_phone",
        "active",
        "version",
    ]
    add_columns = [
        "name",
        "credit_code",
        "region",
        "kind",
        "exercise_level",
        "liaison_name",
        "liaison_phone",
        "active",
    ]
    edit_columns = add_columns + ["version"]
    order_columns = ["name", "credit_code"]
    search_columns = ["name", "credit_code", "region", "kind", "active"]
    base_order = ("name", "asc")

    def validate(self, item: Unit) -> None:
        services.prepare_unit(db.session, item)


class CalendarDayApi(ZwModelRestApi):
    resource_name = "calendar_day"
    class_permission_name = "Calendar"
    datamodel = ReachInterface(CalendarDay)
    list_columns = ["day", "is_working_day", "name", "source"]
    show_columns = list_columns
    add_columns = ["day", "is_working_day", "name"]
    edit_columns = ["is_working_day", "name"]
    order_columns = ["day"]
    search_columns = ["day", "is_working_day", "name"]
    base_order = ("day", "asc")

    def validate(self, item: CalendarDay) -> None:
        from app.core.errors import ValidationError

        if db.session.get(CalendarYear, item.day.year) is None:
            raise ValidationError(
                message=_(
                    "The calendar does not know %(year)d yet: enter the year first.",
                    year=item.day.year,
                )
            )

    def post_add(self, item: CalendarDay) -> None:
        # After FAB's commit of the day (a hook after the save): its own unit of work.
        with unit_of_work(db.session, current_actor()):
            calendar.recompute_deadlines(db.session, since=item.day)

    post_update = post_add

    def post_delete(self, item: CalendarDay) -> None:
        with unit_of_work(db.session, current_actor()):
            calendar.recompute_deadlines(db.session, since=item.day)


class CalendarYearApi(ZwModelRestApi):
    """The years the calendar has (read-only): ``complete`` once the administrator has entered
    the whole schedule; until then deadlines reaching the year are provisional."""

    resource_name = "calendar_year"
    class_permission_name = "Calendar"
    datamodel = ReachInterface(CalendarYear)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["year", "complete", "source", "note"]
    show_columns = list_columns
    order_columns = ["year"]
    search_columns = ["year", "complete", "source"]
    base_order = ("year", "desc")


#: Bounds of the working-day API: dates in these years, at most this many working days ahead,
#: a between-range of at most this many days (ten years). Beyond them the answer is 400.
WORKING_DAYS_YEARS = (1990, 2100)
WORKING_DAYS_MAX_N = 1000
WORKING_DAYS_MAX_SPAN = 3660


class WorkingDayApi(BaseApi):
    """Working-day arithmetic for integrators: the same service the product uses."""

    resource_name = "working_days"
    class_permission_name = "Calendar"
    method_permission_name = {**METHOD_PERMISSIONS, "compute": "read"}
    allow_browser_login = True
    openapi_spec_tag = "Working days"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def compute(self) -> Any:
        """Working-day arithmetic.
        ---
        get:
          summary: add_working_days, working_days_between and is_working_day in one call
          parameters:
          - {in: query, name: start, required: true, schema: {type: string, format: date}}
          - {in: query, name: n, schema: {type: integer, minimum: 0, maximum: 1000}}
          - {in: query, name: end, schema: {type: string, format: date}}
          responses:
            200:
              description: the results; provisional is true where a year the calendar
                does not know was involved
            400:
              description: bad parameters
        """
        try:
            start = dt.date.fromisoformat(request.args["start"])
            n = int(request.args["n"]) if "n" in request.args else None
            end = dt.date.fromisoformat(request.args["end"]) if "end" in request.args else None
        except (KeyError, ValueError):
            return self.response_400(message=_("Give start=YYYY-MM-DD and n or end."))
        if n is not None and n < 0:
            return self.response_400(message=_("n must not be negative."))
        if n is not None and n > WORKING_DAYS_MAX_N:
            return self.response_400(
                message=_("n must be at most %(max)d working days.", max=WORKING_DAYS_MAX_N)
            )
        first, last = WORKING_DAYS_YEARS
        if any(d is not None and not first <= d.year <= last for d in (start, end)):
            return self.response_400(
                message=_(
                    "Dates must lie in the years %(first)d to %(last)d.", first=first, last=last
                )
            )
        if end is not None and abs((end - start).days) > WORKING_DAYS_MAX_SPAN:
            return self.response_400(message=_("start and end must be at most ten years apart."))
        cal = calendar.WorkingCalendar.load(db.session)
        result: dict[str, Any] = {
            "start": start.isoformat(),
            "is_working_day": cal.is_working_day(start),
        }
        if n is not None:
            due = cal.add_working_days(start, n)
            result.update(n=n, date=due.date.isoformat(), provisional=due.provisional)
        if end is not None:
            result.update(
                end=end.isoformat(),
                working_days_between=cal.working_days_between(start, end),
                provisional=result.get("provisional", False)
                or cal.range_is_provisional(start, end),
            )
        return self.response(200, result=result)
