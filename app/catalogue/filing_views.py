"""The filings' pages: a region's list filed as a frozen snapshot, the province's decision, the
changes since the last acknowledged filing, and the exports (split from ``views``)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.catalogue import exports, services
from app.catalogue.models import Filing
from app.catalogue.states import FILING
from app.catalogue.views import field_label, show_value
from app.core import calendar
from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.context import person_name
from app.core.errors import DomainError, render_domain_error
from app.core.models import Region
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db


class FilingView(ZwModelView):
    datamodel = ReachInterface(Filing)
    class_permission_name = "Filings"
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "file": "write",
        "decide": "write",
        "changes": "read",
        "snapshot": "read",
    }
    list_title = show_title = _l("Filings")
    include_route_methods = {
        "list",
        "show",
        "file",
        "decide",
        "changes",
        "api_read",
        "export",
        "snapshot",
    }
    list_template = "catalogue/filing_list.html"
    list_columns = ["id", "region", "state_label", "filed_at", "filed_by", "row_count"]
    search_columns = ["region", "state", "filed_by"]
    base_order = ("filed_at", "desc")
    label_columns = {
        "id": _l("No."),
        "region": _l("Region"),
        "state": _l("State"),
        "state_label": _l("State"),
        "filed_at": _l("Filed"),
        "filed_by": _l("Filed by"),
        "row_count": _l("Rows"),
        "content_hash": _l("Content hash"),
        "decided_at": _l("Decided"),
        "decided_by": _l("Decided by"),
        "decision_reason": _l("Reason"),
        "note": _l("Note"),
    }
    # Who filed, by name (the column keeps the login name, as the audit log does).
    formatters_columns = {"filed_by": person_name}

    @expose("/export/")
    @has_access
    def export(self) -> Any:
        """The filtered list of filings as .xlsx."""
        return self.export_filtered_list(
            columns=exports.FILING_COLUMNS,
            title=_l("Filings"),
            filename_stem="filings",
            default_order=("filed_at", "desc"),
            row=exports.filing_row,
        )

    @expose("/snapshot/<int:pk>")
    @has_access
    def snapshot(self, pk: int) -> Any:
        """One filing's frozen rows, in the implementation list's template layout."""
        filing = self.datamodel.get(pk)
        if filing is None:
            abort(404)
        with unit_of_work(db.session, current_actor()):
            return exports.filing_snapshot_download(db.session, filing, calendar.today())

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        """The frozen rows, whether they still match their hash, and the decision buttons."""
        filing = self.datamodel.get(pk)
        if filing is None:
            abort(404)
        return self.render_template(
            "catalogue/filing_show.html",
            filing=filing,
            rows=services.filing_rows(filing),
            intact=services.filing_intact(filing),
            decisions=FILING.allowed(current_actor(), filing, db.session),
            show_value=show_value,
            title=_("Filing"),
        )

    @expose("/file", methods=["POST"])
    @has_access
    def file(self) -> Any:
        actor = current_actor()
        region = _own_region(actor)
        try:
            with unit_of_work(db.session, actor):
                filing = services.file_list(
                    db.session, actor=actor, region=region, note=request.form.get("note", "")
                )
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for("FilingView.list"))
        flash(_("The list was filed (%(n)d rows).", n=filing.row_count), "success")
        return redirect(url_for("FilingView.show", pk=filing.id))

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk: int) -> Any:
        filing = self.datamodel.get(pk)
        if filing is None:
            abort(404)
        try:
            with unit_of_work(db.session, current_actor()):
                services.decide_filing(
                    db.session,
                    actor=current_actor(),
                    filing=filing,
                    acknowledge=request.form.get("decision") == "acknowledge",
                    reason=request.form.get("reason", ""),
                    version=request.form.get("version") or None,
                )
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for("FilingView.show", pk=pk))
        return redirect(url_for("FilingView.show", pk=pk))

    @expose("/changes")
    @has_access
    def changes(self) -> Any:
        actor = current_actor()
        region = _own_region(actor)
        result = services.changes_since_acknowledged(db.session, actor=actor, region=region)
        return self.render_template(
            "catalogue/filing_changes.html",
            region=region,
            result=result,
            field_label=field_label,
            show_value=show_value,
            title=_("Changes since the last acknowledged filing"),
        )


def _own_region(actor: Any) -> Region:
    user = actor.user
    region_id = getattr(user, "region_id", None) if user is not None else None
    if region_id is None:
        abort(404)
    region = db.session.execute(select(Region).where(Region.id == region_id)).scalar_one()
    return region
