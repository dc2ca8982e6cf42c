"""Views of the core domain: regions, units, the working-day calendar, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, flash, redirect
from flask_appbuilder.actions import action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fieldwidgets import DateTimePickerWidget, Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterGreater,
    FilterNotEqual,
    FilterSmaller,
    FilterStartsWith,
    set_value_to_type,
)
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import DateTimeField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError as FormValidationError

from app.core import audit_display, calendar, services
from app.core.actor import current_actor
from app.core.base_views import ZwModelView, enum_select
from app.core.models import AuditLog, CalendarDay, CalendarYear, Region, Unit
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.states import ExerciseLevel, RegionLevel, UnitKind
from app.core.unit_of_work import unit_of_work
from app.extensions import db


def credit_code_validator(form: Any, field: Any) -> None:
    message = services.credit_code_message((field.data or "").strip().upper())
    if message:
        raise FormValidationError(message)


class RegionView(ZwModelView):
    datamodel = ReachInterface(Region)
    class_permission_name = "Regions"
    list_title = show_title = add_title = edit_title = _l("Regions")
    list_columns = ["code", "name", "level_label", "parent"]
    search_columns = ["code", "name", "level", "parent"]
    add_columns = edit_columns = ["code", "name", "level", "parent"]
    show_columns = ["code", "name", "level_label", "parent", "path"]
    base_order = ("path", "asc")
    label_columns = {
        "code": _l("Division code"),
        "name": _l("Name"),
        "level": _l("Level"),
        "level_label": _l("Level"),
        "parent": _l("Parent region"),
        "path": _l("Path"),
    }
    description_columns = {
        "code": _l(
            "6 digits down to county level (e.g. 460105), 9 for a township, 12 for a "
            "village; it starts with the parent's prefix."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        self.add_form_extra_fields = {
            "level": SelectField(_l("Level"), choices=RegionLevel.choices())
        }
        self.edit_form_extra_fields = dict(self.add_form_extra_fields)
        super().__init__(**kwargs)

    def validate(self, item: Region) -> None:
        services.prepare_region(db.session, item)

    def pre_delete(self, item: Region) -> None:
        services.ensure_region_deletable(db.session, item)


class UnitView(ZwModelView):
    datamodel = ReachInterface(Unit)
    class_permission_name = "Units"
    list_title = show_title = add_title = edit_title = _l("Implementing units")
    list_columns = [
        "name",
        "credit_code",
        "region",
        "kind_label",
        "exercise_level_label",
        "liaison_name",
        "active",
    ]
    search_columns = ["name", "credit_code", "region", "kind", "active"]
    add_columns = edit_columns = [
        "name",
        "credit_code",
        "region",
        "kind",
        "exercise_level",
        "liaison_name",
        "liaison_phone",
        "active",
    ]
    show_columns = [
        "name",
        "credit_code",
        "region",
        "kind_label",
        "exercise_level_label",
        "liaison_name",
        "liaison_phone",
        "active",
    ]
    base_order = ("name", "asc")
    # Units are deactivated, never deleted: the audit trail keeps their names.
    include_route_methods = {"list", "show", "add", "edit", "action", "action_post", "api_read"}
    label_columns = {
        "name": _l("Unit name"),
        "credit_code": _l("Unified social credit code"),
        "region": _l("Region"),
        "kind": _l("Kind"),
        "kind_label": _l("Kind"),
        "exercise_level": _l("Exercise level"),
        "exercise_level_label": _l("Exercise level"),
        "liaison_name": _l("Liaison"),
        "liaison_phone": _l("Liaison phone"),
        "active": _l("Active"),
    }
    validators_columns = {"credit_code": [credit_code_validator]}
    search_filters = {"credit_code": [FilterEqual, FilterStartsWith]}

    def __init__(self, **kwargs: Any) -> None:
        fields = {
            "kind": enum_select(_l("Kind"), UnitKind),
            "exercise_level": SelectField(
                _l("Exercise level"),
                choices=[SelectChoice("", _l("From the region")), *ExerciseLevel.choices()],
                widget=Select2Widget(),
            ),
        }
        self.add_form_extra_fields = dict(fields)
        self.edit_form_extra_fields = dict(fields)
        super().__init__(**kwargs)

    def validate(self, item: Unit) -> None:
        services.prepare_unit(db.session, item)

    @action("deactivate", _l("Deactivate"), _l("Deactivate the selected units?"), "fa-ban")
    def deactivate(self, items: Any) -> Any:
        items = items if isinstance(items, list) else [items]
        with unit_of_work(db.session, current_actor()):
            for item in items:
                item.active = False
        flash(_("%(n)d unit(s) deactivated.", n=len(items)), "success")
        return redirect(self.get_redirect())


# Where a calendar row came from (``source``): the seeded official schedule or an administrator.
CALENDAR_SOURCES = {
    "chinese-calendar": _l("Official schedule (seeded)"),
    "manual": _l("Entered by an administrator"),
    "notice": _l("Entered from the State Council's notice"),
}


def calendar_source_label(source: str | None) -> str:
    label = CALENDAR_SOURCES.get(source or "")
    return str(label) if label is not None else source or ""


class CalendarDayView(ZwModelView):
    datamodel = ReachInterface(CalendarDay)
    class_permission_name = "Calendar"
    list_title = show_title = add_title = edit_title = _l("Holidays and make-up working days")
    list_columns = ["day", "is_working_day", "name", "source"]
    add_columns = edit_columns = ["day", "is_working_day", "name"]
    search_columns = ["day", "is_working_day", "name", "source"]
    base_order = ("day", "desc")
    label_columns = {
        "day": _l("Date"),
        "is_working_day": _l("Working day"),
        "name": _l("Name"),
        "source": _l("Source"),
    }
    formatters_columns = {"source": calendar_source_label}
    description_columns = {
        "is_working_day": _l(
            "Tick for a make-up working day (调休) on a weekend; leave empty for a holiday."
        ),
    }

    def validate(self, item: CalendarDay) -> None:
        if db.session.get(CalendarYear, item.day.year) is None:
            from app.core.errors import ValidationError

            raise ValidationError(
                message=_(
                    "The calendar does not know %(year)d yet: enter the year first.",
                    year=item.day.year,
                )
            )

    def post_add(self, item: CalendarDay) -> None:
        self._recompute(item.day)

    def post_update(self, item: CalendarDay) -> None:
        self._recompute(item.day)

    def post_delete(self, item: CalendarDay) -> None:
        self._recompute(item.day)

    def _recompute(self, since: dt.date) -> None:
        # After FAB's commit of the day (a hook after the save): its own unit of work.
        with unit_of_work(db.session, current_actor()):
            changed = calendar.recompute_deadlines(db.session, since=since)
        if changed:
            flash(_("%(n)d open deadline(s) were recomputed.", n=changed), "info")


class CalendarYearView(ZwModelView):
    datamodel = ReachInterface(CalendarYear)
    class_permission_name = "Calendar"
    method_permission_name = {**METHOD_PERMISSIONS, "notice": "write"}
    list_title = show_title = add_title = edit_title = _l("Calendar years")
    list_columns = ["year", "complete", "source", "note"]
    add_columns = ["year", "note"]
    edit_columns = ["note"]
    base_order = ("year", "desc")
    include_route_methods = {"list", "show", "add", "edit", "api_read", "notice"}
    label_columns = {
        "year": _l("Year"),
        "source": _l("Source"),
        "note": _l("Note"),
        "complete": _l("Complete"),
    }
    formatters_columns = {
        "year": lambda year: Markup('<a href="{}" class="notice-link">{}</a>').format(
            f"/calendaryearview/notice/{year}", year
        ),
        "source": calendar_source_label,
    }
    description_columns = {
        "year": _l(
            "Enter a year once the State Council has announced its schedule, then open it "
            "(its number in the list) to enter the notice's holidays and make-up working days "
            "and mark it complete: deadlines reaching it stay provisional until then, and are "
            "recomputed then."
        ),
    }

    def validate(self, item: CalendarYear) -> None:
        from app.core.errors import ValidationError

        if not item.year or not 2000 <= item.year <= 2100:
            raise ValidationError(message=_("Enter a year between 2000 and 2100."))

    def post_add(self, item: CalendarYear) -> None:
        # The row alone says nothing of the year's holidays: it is not complete yet.
        flash(
            _(
                "Enter %(year)d's holidays and make-up working days, then mark the year "
                "complete; deadlines reaching it stay provisional until then.",
                year=item.year,
            ),
            "info",
        )

    @expose("/notice/<int:year>", methods=["GET", "POST"])
    @has_access
    def notice(self, year: int) -> Any:
        """A year as the State Council's notice reads: ranges typed or pasted, previewed, saved
        (replacing the year's days), then the year marked complete (deadlines recomputed)."""
        from flask import request, url_for

        from app.core.errors import DomainError, flash_domain_error

        if not 2000 <= year <= 2100:
            flash(_("Enter a year between 2000 and 2100."), "danger")
            return redirect(url_for("CalendarYearView.list"))
        here = url_for("CalendarYearView.notice", year=year)
        text, step = request.form.get("text", ""), request.form.get("step", "")
        preview: list[tuple[dt.date, bool, str]] = []
        upload = request.files.get("notice_file")
        try:
            if upload is not None and upload.filename and step == "preview":
                data = upload.read(calendar.NOTICE_FILE_MAX_BYTES + 1)
                text = calendar.notice_text_from_file(data)  # shown in the form to save
            if step in ("preview", "save"):
                preview = calendar.notice_days(calendar.parse_notice(year, text))
            if step == "save":
                with unit_of_work(db.session, current_actor()):
                    changed = calendar.save_year_days(
                        db.session, year, calendar.parse_notice(year, text)
                    )
                flash(_("%(n)d day(s) saved for %(year)d.", n=len(preview), year=year), "success")
                if changed:
                    flash(_("%(n)d open deadline(s) were recomputed.", n=changed), "info")
                return redirect(here)
            if step == "complete":
                if request.form.get("confirm") != "yes":
                    flash(_("Confirm that every day of the notice is entered."), "danger")
                    return redirect(here)
                with unit_of_work(db.session, current_actor()):
                    changed = calendar.complete_year(db.session, year)
                flash(_("%(year)d is complete.", year=year), "success")
                flash(_("%(n)d open deadline(s) were recomputed.", n=changed), "info")
                return redirect(here)
        except DomainError as error:  # the form again, with what was typed
            flash_domain_error(error)
            preview = []
        entry = db.session.get(CalendarYear, year)
        stored = (
            db.session.query(CalendarDay)
            .filter(CalendarDay.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
            .order_by(CalendarDay.day)
            .all()
        )
        return self.render_template(
            "zwfw/calendar_notice.html",
            year=year,
            entry=entry,
            text=text,
            preview=preview,
            stored=stored,
            title=_("Calendar %(year)d: the notice as ranges", year=year),
        )


class _LocalTimeFilter(BaseFilter):
    """A filter on a stored instant (UTC) whose value is the province's local time, as shown."""

    def apply(self, query: Any, value: Any) -> Any:
        value = set_value_to_type(self.datamodel, self.column_name, value)
        return super().apply(query, calendar.to_utc(value) if value is not None else value)


class FilterLocalTimeEqual(_LocalTimeFilter, FilterEqual):
    pass


class FilterLocalTimeGreater(_LocalTimeFilter, FilterGreater):
    pass


class FilterLocalTimeSmaller(_LocalTimeFilter, FilterSmaller):
    pass


class FilterLocalTimeNotEqual(_LocalTimeFilter, FilterNotEqual):
    pass


# FAB's filters for a time column, in FAB's order (``_flt_0_`` is "equal to").
LOCAL_TIME_FILTERS: list[type] = [
    FilterLocalTimeEqual,
    FilterLocalTimeGreater,
    FilterLocalTimeSmaller,
    FilterLocalTimeNotEqual,
]


def _local_now_to_the_second() -> dt.datetime:
    return calendar.local_now().replace(tzinfo=None, microsecond=0)


class AuditLogView(ZwModelView):
    """Read-only audit log for the audit administrator, with filters and Excel export."""

    # The log grows without bound: count at most 10,000 rows per page view (pages beyond are
    # reached by narrowing the filters).
    datamodel = ReachInterface(AuditLog, count_cap=10_000)
    class_permission_name = "AuditLog"
    list_title = show_title = _l("Audit log")
    include_route_methods = {"list", "show", "export"}
    # Labels, not codes (app.core.audit_display); the export keeps the stored codes.
    list_columns = [
        "occurred_at",
        "actor_name",
        "ip",
        "action_label",
        "object_type_label",
        "object_id",
        "summary_label",
    ]
    show_columns = [
        "id",
        "occurred_at",
        "actor_name",
        "actor_id",
        "ip",
        "action_label",
        "object_type_label",
        "object_id",
        "summary_label",
        "changes",
        "prev_hash",
        "hash",
        "key_version",
    ]
    export_columns = [
        "id",
        "occurred_at",
        "actor_name",
        "actor_id",
        "ip",
        "action",
        "object_type",
        "object_id",
        "summary",
        "before",
        "after",
        "prev_hash",
        "hash",
        "key_version",
    ]
    search_columns = ["occurred_at", "actor_name", "ip", "action", "object_type", "object_id"]
    search_filters = {
        "occurred_at": LOCAL_TIME_FILTERS,
        "actor_name": [FilterEqual, FilterStartsWith],
        "action": [FilterEqual],
        "object_type": [FilterEqual],
        "object_id": [FilterEqual],
    }
    base_order = ("id", "desc")
    page_size = 50
    list_template = "zwfw/audit_list.html"
    # The time filter's field starts at the province's current time (the column's default is UTC).
    # Action and object type are chosen from their labels: nobody is expected to type a code.
    search_form_extra_fields = {
        "occurred_at": DateTimeField(
            _l("Time"), widget=DateTimePickerWidget(), default=_local_now_to_the_second
        ),
        "action": SelectField(
            _l("Action"), choices=audit_display.action_choices, widget=Select2Widget()
        ),
        "object_type": SelectField(
            _l("Object type"), choices=audit_display.object_type_choices, widget=Select2Widget()
        ),
    }
    label_columns = {
        "id": _l("No."),
        "occurred_at": _l("Time"),
        "actor_name": _l("User"),
        "actor_id": _l("User id"),
        "ip": _l("IP address"),
        "action": _l("Action"),
        "action_label": _l("Action"),
        "object_type": _l("Object type"),
        "object_type_label": _l("Object type"),
        "object_id": _l("Object id"),
        "summary": _l("Object"),
        "summary_label": _l("Object"),
        "changes": _l("Before → after"),
        "before": _l("Before"),
        "after": _l("After"),
        "prev_hash": _l("Previous hash"),
        "hash": _l("Hash"),
        "key_version": _l("Hash algorithm"),
    }
    # key_version 1: keyed by AUDIT_HMAC_KEY; 0: rows from before the chain was keyed (0008).
    # Times to the second, as the Excel export writes them (app.excel.writer).
    formatters_columns = {
        "occurred_at": lambda value: calendar.format_datetime(value, seconds=True),
        "key_version": lambda version: "HMAC-SHA256" if version == 1 else "SHA-256",
    }

    @expose("/export/")
    @has_access
    def export(self) -> Response:
        """The filtered list as .xlsx."""
        return self.export_filtered_list(
            columns=self.export_columns,
            title=_l("Audit log"),
            filename_stem=_("Audit log"),  # the file is named as the page
            default_order=("id", "desc"),
        )
