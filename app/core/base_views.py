"""Base classes for every domain's FAB views and REST APIs.

They bind the data interface to :class:`~app.core.reach.ReachInterface`, map every method to the
two permissions ``can_read``/``can_write``, close FAB's action gap (rows loaded by id outside the
user's reach), and implement optimistic locking for models with a ``version`` column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from flask import Flask, abort, current_app, g, redirect, request
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.actions import ActionItem
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_appbuilder.views import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

from app.core import calendar
from app.core.actor import current_actor
from app.core.audit import AuditAction, record
from app.core.errors import DomainError, OutOfReach, StaleRecord, render_domain_error
from app.core.reach import current_reach
from app.core.roles import METHOD_PERMISSIONS
from app.core.services import check_version
from app.core.states import LabelledEnum
from app.core.unit_of_work import unit_of_work
from app.extensions import db


class ListWriter(Protocol):
    """Writes an exported list as a download. Core knows no file format: the spreadsheet engine
    registers its writer at start-up (``app.excel.register``) with :func:`register_list_writer`."""

    def __call__(
        self, title: str, headers: list[str], rows: Iterable[Sequence[Any]], filename_stem: str
    ) -> Any: ...


_LIST_WRITER = "zwfw.list_writer"


def register_list_writer(app: Flask, writer: ListWriter) -> None:
    """The one writer of :meth:`ZwModelView.export_filtered_list` for ``app``."""
    app.extensions[_LIST_WRITER] = writer


def _list_writer() -> ListWriter:
    writer: ListWriter | None = current_app.extensions.get(_LIST_WRITER)
    if writer is None:
        raise RuntimeError("No list writer registered: app.excel registers one at start-up")
    return writer


def export_cell(value: Any) -> Any:
    """A column's value as an exported cell: related records and lists of them by their
    ``repr`` (what the pages show), booleans as 是/否, the rest as it is (times: the writer)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple, set)):
        return "；".join(str(v) for v in value)
    if isinstance(value, db.Model):
        return str(value)
    return value


def _rollback_and_raise(error: Exception) -> None:
    db.session.rollback()
    g.zw_refused = error  # the form is shown again with the message (ZwModelView)
    raise error


def _ensure_new_row_in_reach(item: Any) -> None:
    """A new row placed outside the actor's reach is refused before any rule is checked.

    The flush would refuse it too; checking first keeps the domain rules (which may say what
    another unit already has) from answering about records the actor may not see.
    """
    with db.session.no_autoflush:  # the new row is not complete yet: nothing may be flushed
        if current_reach().places_outside(item, db.session):
            raise OutOfReach()


def is_account_relation(datamodel: Any, column: str) -> bool:
    """A relation to login accounts (submitted_by, reviewed_by, created_by, a window user's
    login …): set by the services, never chosen in a form, so never offered as a list."""
    from flask_appbuilder.security.sqla.models import User

    if not datamodel.is_relation(column):
        return False
    related = datamodel.get_related_model(column)
    return isinstance(related, type) and issubclass(related, User)


def without_account_relations(datamodel: Any, columns: list[str] | None) -> list[str]:
    return [c for c in columns or [] if not is_account_relation(datamodel, c)]


def route_enabled(view: Any, name: str) -> bool:
    """Whether FAB registers the route method ``name`` of ``view``."""
    include = view.include_route_methods
    return (include is None or name in include) and name not in (view.exclude_route_methods or ())


class ZwModelView(ModelView):
    """A reach-scoped, permission-grouped FAB ModelView.

    Subclasses set ``datamodel = ReachInterface(Model)`` and ``class_permission_name``, and
    put their rules in ``validate(item)`` (a call into the domain's services).
    """

    # FAB's attributes this class extends (FAB itself has no type information).
    formatters_columns: dict[str, Callable[[Any], Any]]
    edit_form_extra_fields: dict[str, Any]
    edit_columns: list[str]

    method_permission_name = METHOD_PERMISSIONS
    page_size = 25
    list_template = "appbuilder/general/model/list.html"

    def __init__(self, **kwargs: Any) -> None:
        # Actions (bulk buttons) change data: they need can_write, not a permission of their own.
        permissions = dict(self.method_permission_name)
        for name in dir(type(self)):
            if hasattr(getattr(type(self), name, None), "_action"):
                permissions.setdefault(name, "write")
        self.method_permission_name = permissions
        # Booleans read 是/否 rather than True/False; times are shown in the province's zone.
        formatters = dict(self.formatters_columns or {})
        for column in self.datamodel.get_columns_list():
            if self.datamodel.is_boolean(column):
                formatters.setdefault(column, _yes_no)
            elif self.datamodel.is_string(column) or self.datamodel.is_text(column):
                formatters.setdefault(column, _blank_if_none)
            elif self.datamodel.is_datetime(column):  # the province's local time
                formatters.setdefault(column, calendar.format_datetime)
            else:  # numbers, dates, related records: empty, never "None"
                formatters.setdefault(column, _blank_if_none)
        self.formatters_columns = formatters
        if self._is_versioned():
            # FAB renders extra fields only when they are listed among the edit columns.
            self.edit_form_extra_fields = {
                **(self.edit_form_extra_fields or {}),
                "lock_version": HiddenField(),
            }
            if self.edit_columns and "lock_version" not in self.edit_columns:
                self.edit_columns = [*self.edit_columns, "lock_version"]
        super().__init__(**kwargs)

    @classmethod
    def _is_versioned(cls) -> bool:
        datamodel = getattr(cls, "datamodel", None)
        return datamodel is not None and hasattr(datamodel.obj, "version")

    #: column → filter classes offered for it, in this order (``_flt_0_`` is the first). FAB's
    #: ModelView ignores ``search_filters``; on big tables put equality (index-friendly) first.
    search_filters: dict[str, list[type]] | None = None

    def _init_properties(self) -> None:
        super()._init_properties()
        # Related lists come from the related model's reach (ReachInterface); accounts are
        # never offered as a choice at all.
        for attribute in ("add_columns", "edit_columns", "search_columns"):
            setattr(
                self, attribute, without_account_relations(self.datamodel, getattr(self, attribute))
            )
        self._filters = self.datamodel.get_filters(self.search_columns)
        for column, filter_classes in (self.search_filters or {}).items():
            filters = [cls(column, self.datamodel) for cls in filter_classes]
            self._filters._search_filters[column] = filters
            self._filters._all_filters[column] = filters

    @property
    def database_error_message(self) -> str:
        """What FAB's edit page flashes when saving failed at the database.

        A domain error raised at the flush (a stale version, a row moved out of reach) is
        shown with its own message; anything else keeps FAB's generic one.
        """
        error = g.pop("zw_write_error", None)
        g.zw_refused = error or True
        return str(error) if error is not None else str(_l("The record could not be saved."))

    # -- hooks ---------------------------------------------------------------------------

    def validate(self, item: Any) -> None:
        """Check the domain rules for a new or edited item; raise DomainError."""

    def pre_add(self, item: Any) -> None:
        try:
            _ensure_new_row_in_reach(item)
            self.validate(item)
        except DomainError as error:
            _rollback_and_raise(error)

    def pre_update(self, item: Any) -> None:
        try:
            if self._is_versioned():
                check_version(item, getattr(item, "lock_version", None))
            self.validate(item)
        except DomainError as error:
            _rollback_and_raise(error)

    def prefill_form(self, form: Any, pk: Any) -> None:
        if self._is_versioned():
            item = self.datamodel.get(pk)
            form.lock_version.data = item.version if item is not None else ""

    # -- export of the filtered list ----------------------------------------------------------

    EXPORT_LIMIT = 100_000

    def export_filtered_list(
        self,
        *,
        columns: list[str],
        title: object,
        filename_stem: str,
        default_order: tuple[str, str],
        row: Callable[[Any], list[Any]] | None = None,
    ) -> Any:
        """The list as the user filtered and ordered it, as a file from the registered
        :class:`ListWriter` (.xlsx), and an EXPORT audit record.

        Rows go through the same reach-scoped query as the page (at most ``EXPORT_LIMIT``).
        """
        get_filter_args(self._filters)
        order = get_order_args().get(self.__class__.__name__) or default_order
        count, items = self.datamodel.query(
            self._filters,
            order_column=order[0],
            order_direction=order[1],
            page=0,
            page_size=self.EXPORT_LIMIT,
        )
        headers = [str(self.label_columns.get(c, c)) for c in columns]
        make_row = row or (lambda item: [export_cell(getattr(item, c)) for c in columns])
        response = _list_writer()(
            str(title),
            headers,
            (make_row(item) for item in items),
            f"{filename_stem}-{calendar.today().isoformat()}",
        )
        with unit_of_work(db.session, current_actor()):  # the export's audit record
            record(
                db.session,
                AuditAction.EXPORT,
                object_type=self.datamodel.obj.__name__,
                summary=_("%(title)s export (%(n)d rows)", title=str(title), n=len(items)),
                after={
                    "filters": request.query_string.decode("utf-8", "replace")[:500],
                    "rows": len(items),
                    "matching": count,
                },
            )
        return response

    # -- per-row buttons: offer only what the record's state allows --------------------------

    def row_permissions(self, pks: list[Any]) -> dict[Any, tuple[bool, bool]]:
        """pk → (may edit, may delete) for the rows of a list page, where the record's state
        decides beyond the role's permission (a published item is not edited in place). The
        rule is the one the save or delete checks; a row missing here keeps FAB's buttons."""
        return {}

    def _get_list_widget(self, *args: Any, **kwargs: Any) -> Any:
        widgets = super()._get_list_widget(*args, **kwargs)
        widget = widgets["list"]
        widget.template_args["row_permissions"] = self.row_permissions(
            list(widget.template_args.get("pks") or [])
        )
        return widgets

    # -- a refused save stays on its form, with what was typed and the message ---------------

    def post_add_redirect(self) -> Any:
        if g.pop("zw_refused", None) is not None:
            return self._form_again(add=True)
        return super().post_add_redirect()

    def post_edit_redirect(self) -> Any:
        refused = g.pop("zw_refused", None)
        if isinstance(refused, StaleRecord):
            return redirect(request.url)  # the form again, with what the other person saved
        if refused is not None:
            return self._form_again(add=False)
        return super().post_edit_redirect()

    def _form_again(self, *, add: bool) -> Any:
        """The posted form rendered again (FAB would go back in its page history, often to a
        list): the user stays where they were, sees the refusal and keeps what they typed."""
        exclude_cols = self._filters.get_relation_cols()
        if add:
            form = self.add_form.refresh(request.form)
            widgets = self._get_add_widget(form=form, exclude_cols=exclude_cols)
            return self.render_template(
                self.add_template, title=self.add_title, widgets=widgets, **self.form_context()
            )
        form = self.edit_form.refresh(request.form)
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        return self.render_template(
            self.edit_template,
            title=self.edit_title,
            widgets=widgets,
            related_views=[],
            **self.form_context(),
        )

    def form_context(self) -> dict[str, Any]:
        """What a view's own add or edit template needs beyond FAB's arguments."""
        return {}

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk: Any) -> Any:
        """FAB's delete; when it was refused (the record is still there), back to the page the
        user was on, with the message, instead of FAB's page history (often another list)."""
        response = super().delete(pk)
        key = self._deserialize_pk_if_composite(pk)
        referrer = request.referrer or ""
        if (
            request.method == "POST"
            and referrer.startswith(request.host_url)
            and self.datamodel.get(key) is not None
        ):
            return redirect(referrer)
        return response

    # -- actions: every row must be in reach ----------------------------------------------

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    @has_access
    def action(self, name: str, pk: Any) -> Any:
        if request.method == "GET" and not self._action_allowed_by_get():
            abort(405)
        action: ActionItem | None = self.actions.get(name)
        if action is None or self.datamodel.get(pk) is None:
            abort(404)
        return action.func(self.datamodel.get(pk))

    @expose("/action_post", methods=["POST"])
    @has_access
    def action_post(self) -> Any:
        name = request.form.get("action", "")
        pks = request.form.getlist("rowid")
        action: ActionItem | None = self.actions.get(name)
        if action is None:
            abort(404)
        items = [self.datamodel.get(self._deserialize_pk_if_composite(pk)) for pk in pks]
        if not items or any(item is None for item in items):
            abort(404)
        return action.func(items)

    @staticmethod
    def _action_allowed_by_get() -> bool:
        from flask import current_app

        return bool(current_app.config.get("FAB_ALLOW_GET_UNSAFE_MUTATIONS", False))


def enum_select(label: Any, enum: type[LabelledEnum]) -> SelectField:
    """A required drop-down (Select2) over a closed list, labels translated at render time."""
    return SelectField(
        label, choices=enum.choices(), validators=[InputRequired()], widget=Select2Widget()
    )


def _blank_if_none(value: Any) -> Any:
    return "" if value is None else value


def _yes_no(value: Any) -> str:
    return str(_l("Yes") if value else _l("No"))


class ZwModelRestApi(ModelRestApi):
    """A reach-scoped, permission-grouped FAB ModelRestApi with optimistic locking on PUT.

    Domain errors raised by the hooks (or by the flush-time reach check) become JSON answers
    with their own status (404, 409, 422) instead of FAB's generic 500.
    """

    add_columns: list[str]
    edit_columns: list[str]

    method_permission_name = METHOD_PERMISSIONS
    allow_browser_login = True
    page_size = 25
    max_page_size = 200

    def _init_properties(self) -> None:
        super()._init_properties()
        # ``_info`` describes (with the related lists) only the writes this API offers: FAB
        # fills unset add/edit columns with every column, whether or not POST/PUT exist.
        if not route_enabled(self, "post"):
            self.add_columns = []
        if not route_enabled(self, "put"):
            self.edit_columns = []
        for attribute in ("add_columns", "edit_columns", "search_columns"):
            setattr(
                self, attribute, without_account_relations(self.datamodel, getattr(self, attribute))
            )
        self._filters = self.datamodel.get_filters(
            search_columns=self.search_columns, search_filters=self.search_filters
        )

    def post_headless(self) -> Any:
        try:
            return super().post_headless()
        except DomainError as error:
            return render_domain_error(error)

    def put_headless(self, pk: Any) -> Any:
        try:
            return super().put_headless(pk)
        except DomainError as error:
            return render_domain_error(error)

    def delete_headless(self, pk: Any) -> Any:
        try:
            return super().delete_headless(pk)
        except DomainError as error:
            return render_domain_error(error)

    def validate(self, item: Any) -> None:
        """Check the domain rules for a new or edited item; raise DomainError."""

    def pre_add(self, item: Any) -> None:
        try:
            _ensure_new_row_in_reach(item)
            self.validate(item)
        except DomainError as error:
            _rollback_and_raise(error)

    def pre_update(self, item: Any) -> None:
        try:
            if hasattr(item, "version"):
                # The raw body: FAB merges the stored values into request.json before this hook.
                payload = json.loads(request.get_data() or b"{}")
                check_version(item, payload.get("version"))  # missing: 409 as well
            self.validate(item)
        except DomainError as error:
            _rollback_and_raise(error)


__all__ = [
    "ZwModelRestApi",
    "ZwModelView",
    "api_expose",
    "check_version",
    "enum_select",
]
