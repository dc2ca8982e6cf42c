"""Pages of the supervision domain: the checklist library, check plans and their runs, findings
with evidence, rectification orders and the unit's queue. Every rule is in
app.supervision.services."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired
from wtforms.widgets import DateInput

from app.core import calendar, files, jobs, roles
from app.core import workflow as _workflow
from app.core.actor import current_actor
from app.core.base_views import ZwModelView, enum_select
from app.core.errors import DomainError, OutOfReach, render_domain_error
from app.core.models import Region, Unit
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.supervision import notices, services
from app.supervision.models import CheckPlan, CheckPoint, Finding, RectificationOrder
from app.supervision.rules import rule_choices
from app.supervision.states import ORDER, FindingState, OrderState, PlanKind, Severity


def _overdue(value: Any) -> Any:
    return Markup('<span class="label label-danger">%s</span>') % _("Overdue") if value else ""


def _rule_select() -> SelectField:
    return SelectField(
        _l("Automatic rule"),
        choices=lambda: [("", _("None (checked by hand)")), *rule_choices()],
        widget=Select2Widget(),
    )


class CheckPointView(ZwModelView):
    """The checklist library: every check point with its severity, legal basis and rule."""

    datamodel = ReachInterface(CheckPoint)
    class_permission_name = "SupervisionCheckPoints"
    include_route_methods = {"list", "show", "add", "edit"}
    list_title = _l("Checklist library")
    show_title = _l("Check point")
    add_title = _l("New check point")
    edit_title = _l("Edit check point")
    list_columns = ["code", "description", "severity_label", "rule_label", "active"]
    show_columns = ["code", "description", "severity_label", "legal_basis", "rule_label", "active"]
    add_columns = ["code", "description", "severity", "legal_basis", "rule_key", "active"]
    edit_columns = add_columns
    search_columns = ["code", "description", "severity", "rule_key", "active"]
    base_order = ("code", "asc")
    label_columns = {
        "code": _l("Code"),
        "description": _l("Description"),
        "severity": _l("Severity"),
        "severity_label": _l("Severity"),
        "legal_basis": _l("Legal basis"),
        "rule_key": _l("Automatic rule"),
        "rule_label": _l("Automatic rule"),
        "active": _l("In use"),
    }
    add_form_extra_fields = {
        "severity": enum_select(_l("Severity"), Severity),
        "rule_key": _rule_select(),
    }
    edit_form_extra_fields = dict(add_form_extra_fields)

    def validate(self, item: CheckPoint) -> None:
        services.validate_check_point(db.session, item)


class CheckPlanView(ZwModelView):
    """Check plans within reach; a plan's page runs its automatic checks (a background job
    with progress) and records manual findings."""

    datamodel = ReachInterface(CheckPlan)
    class_permission_name = "SupervisionPlans"
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "run": "write",
        "progress": "read",
        "record": "write",
    }
    include_route_methods = {"list", "show", "add", "edit", "run", "progress", "record"}
    list_title = _l("Check plans")
    show_title = _l("Check plan")
    add_title = _l("New check plan")
    edit_title = _l("Edit check plan")
    show_template = "supervision/plan_show.html"
    list_columns = [
        "name",
        "kind_label",
        "period_start",
        "period_end",
        "scope_label",
        "last_run_at",
    ]
    show_columns = [
        "name",
        "kind_label",
        "period_start",
        "period_end",
        "scope_label",
        "check_points",
        "created_by",
        "last_run_at",
        "last_run_summary",
    ]
    add_columns = ["name", "kind", "period_start", "period_end", "regions", "units", "check_points"]
    edit_columns = add_columns
    search_columns = ["name", "kind", "period_start"]
    base_order = ("period_start", "desc")
    label_columns = {
        "name": _l("Name"),
        "kind": _l("Kind"),
        "kind_label": _l("Kind"),
        "period_start": _l("Period from"),
        "period_end": _l("Period to"),
        "regions": _l("Regions checked"),
        "units": _l("Units checked"),
        "scope_label": _l("Scope"),
        "check_points": _l("Check points"),
        "created_by": _l("Created by"),
        "last_run_at": _l("Last automatic run"),
        "last_run_summary": _l("Last run's result"),
    }
    # Plain date inputs (the browser's own picker): FAB's date-picker widget emptied the
    # period in Chromium before the form was sent.
    add_form_extra_fields = {
        "kind": enum_select(_l("Kind"), PlanKind),
        "period_start": DateField(
            _l("Period from"), validators=[InputRequired()], widget=DateInput()
        ),
        "period_end": DateField(_l("Period to"), validators=[InputRequired()], widget=DateInput()),
    }
    edit_form_extra_fields = dict(add_form_extra_fields)

    def pre_add(self, item: CheckPlan) -> None:
        actor = current_actor()
        item.created_by = actor.username
        try:
            services.prepare_plan(db.session, item, actor=actor)
        except DomainError as error:
            db.session.rollback()
            raise error
        super().pre_add(item)

    def validate(self, item: CheckPlan) -> None:
        services.prepare_plan(db.session, item, actor=current_actor())

    def _load(self, pk: Any) -> CheckPlan:
        try:
            return services.load_plan(db.session, pk, actor=current_actor())
        except DomainError:
            abort(404)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        plan = self._load(pk)
        actor = current_actor()
        job = jobs.status(plan.last_job_id)
        units = (
            db.session.execute(
                actor.reach.scope(select(Unit), Unit).order_by(Unit.name).limit(2000)
            )
            .scalars()
            .all()
        )
        findings = (
            db.session.execute(
                actor.reach.scope(select(Finding).where(Finding.plan_id == plan.id), Finding)
                .order_by(Finding.id.desc())
                .limit(200)
            )
            .scalars()
            .all()
        )
        return self.render_template(
            self.show_template,
            pk=plan.id,
            title=self.show_title,
            widgets=self._show(plan.id),
            related_views=self._related_views,
            item=plan,
            job=job,
            busy=job is not None and not job.done,
            can_run=bool(services.automatic_points(plan))
            and _workflow.can(actor, ORDER["issue"], None),
            units=units,
            findings=findings,
        )

    @expose("/run/<pk>", methods=["POST"])
    @has_access
    def run(self, pk: Any) -> Any:
        """Start the plan's automatic checks as a background job."""
        plan = self._load(pk)
        actor = current_actor()
        try:
            with unit_of_work(db.session, actor):
                services.start_run(db.session, plan.id, actor=actor)
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".show", pk=plan.id))
        flash(_("The automatic checks are running."), "info")
        return redirect(url_for(".show", pk=plan.id))

    @expose("/progress/<pk>", methods=["GET"])
    @has_access
    def progress(self, pk: Any) -> Any:
        plan = self._load(pk)
        job = jobs.status(plan.last_job_id)
        return jsonify(job.as_dict() if job else {"state": "none", "progress": 0})

    @expose("/record/<pk>", methods=["POST"])
    @has_access
    def record(self, pk: Any) -> Any:
        """A supervisor's own finding (on-site, mystery shopper) with evidence files."""
        plan = self._load(pk)
        form, actor = request.form, current_actor()
        try:
            with unit_of_work(db.session, actor):
                finding = services.record_finding(
                    db.session,
                    plan_id=plan.id,
                    check_point_id=form.get("check_point_id") or "",
                    unit_id=form.get("unit_id") or "",
                    subject=form.get("subject") or "",
                    detail=form.get("detail") or "",
                    evidence=[
                        (upload.filename, upload.read())
                        for upload in request.files.getlist("evidence")
                        if upload.filename
                    ],
                    actor=actor,
                )
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".show", pk=plan.id))
        flash(_("The finding is recorded."), "success")
        return redirect(url_for("FindingView.show", pk=finding.id))


class FindingView(ZwModelView):
    """Findings within reach, each linked to its offending record, with evidence files."""

    datamodel = ReachInterface(Finding)
    class_permission_name = "SupervisionFindings"
    method_permission_name = {**METHOD_PERMISSIONS, "order": "write", "evidence": "read"}
    include_route_methods = {"list", "show", "order", "evidence"}
    list_title = _l("Findings")
    show_title = _l("Finding")
    show_template = "supervision/finding_show.html"
    list_columns = [
        "id",
        "plan",
        "check_point",
        "unit",
        "subject",
        "source_label",
        "state_label",
        "found_on",
    ]
    search_columns = ["plan", "check_point", "unit", "state", "source", "found_on", "rule_key"]
    # The page's own panel shows the rest (detail, evidence, order) in Chinese.
    show_columns = ["id", "plan", "check_point", "unit", "region", "subject", "found_on"]
    base_order = ("id", "desc")
    label_columns = {
        "id": _l("Finding"),
        "plan": _l("Check plan"),
        "check_point": _l("Check point"),
        "unit": _l("Unit"),
        "subject": _l("Subject"),
        "source": _l("Source"),
        "source_label": _l("Source"),
        "state": _l("State"),
        "state_label": _l("State"),
        "found_on": _l("Found on"),
        "rule_key": _l("Automatic rule"),
        "region": _l("Region"),
    }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        actor = current_actor()
        try:
            finding = services.load_finding(db.session, pk, actor=actor)
        except DomainError:
            abort(404)
        return self.render_template(
            self.show_template,
            pk=finding.id,
            title=self.show_title,
            widgets=self._show(finding.id),
            related_views=self._related_views,
            item=finding,
            can_order=finding.state == FindingState.OPEN.value
            and _workflow.can(actor, ORDER["issue"], finding, db.session),
            default_days=services.default_days(finding),
        )

    @expose("/order/<pk>", methods=["POST"])
    @has_access
    def order(self, pk: Any) -> Any:
        """限令整改: the finding becomes an order to its unit."""
        actor, form = current_actor(), request.form
        try:
            with unit_of_work(db.session, actor):
                order = services.issue_order(
                    db.session,
                    pk,
                    working_days=form.get("working_days"),
                    requirement=form.get("requirement") or "",
                    version=form.get("version"),
                    actor=actor,
                )
        except OutOfReach:
            abort(404)
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".show", pk=pk))
        flash(_("The rectification order is issued."), "success")
        return redirect(url_for("RectificationOrderView.show", pk=order.id))

    @expose("/evidence/<int:evidence_id>", methods=["GET"])
    @has_access
    def evidence(self, evidence_id: int) -> Any:
        """An evidence file, only for users whose reach includes its finding (audited)."""
        try:
            with unit_of_work(db.session, current_actor()):
                evidence, path = services.evidence_file(
                    db.session, evidence_id, actor=current_actor()
                )
        except OutOfReach:
            abort(404)
        response = send_file(
            path, mimetype=evidence.mimetype, as_attachment=True, download_name=evidence.filename
        )
        response.headers["Cache-Control"] = "no-store"
        return response


STEPS = ("answer", "accept", "reject")


class RectificationOrderView(ZwModelView):
    """Rectification orders within reach with their deadlines and steps; the queue."""

    datamodel = ReachInterface(RectificationOrder)
    class_permission_name = "SupervisionOrders"
    method_permission_name = {**METHOD_PERMISSIONS, "queue": "read", "step": "write"}
    include_route_methods = {"list", "show", "queue", "step"}
    list_title = _l("Rectification orders")
    show_title = _l("Rectification order")
    show_template = "supervision/order_show.html"
    list_columns = ["id", "finding", "unit", "state_label", "deadline_label", "overdue", "rounds"]
    search_columns = ["unit", "state", "issued_at"]
    base_order = ("issued_at", "desc")
    label_columns = {
        "id": _l("Order"),
        "finding": _l("Finding"),
        "unit": _l("Unit"),
        "state": _l("State"),
        "state_label": _l("State"),
        "deadline_label": _l("Rectify by"),
        "overdue": _l("Overdue"),
        "rounds": _l("Rounds"),
        "issued_at": _l("Issued at"),
    }
    formatters_columns = {"overdue": _overdue}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        actor = current_actor()
        try:
            order = services.load_order(db.session, pk, actor=actor)
        except DomainError:
            abort(404)
        return self.render_template(
            self.show_template,
            pk=order.id,
            title=self.show_title,
            widgets=self._show(order.id),
            related_views=self._related_views,
            item=order,
            steps={t.name for t in ORDER.allowed(actor, order, db.session)},
        )

    @expose("/queue/")
    @has_access
    def queue(self) -> Any:
        """The open orders within reach (the unit's, the region's), the earliest due first."""
        today = calendar.today()
        state = request.args.get("state")
        orders = services.queue(
            db.session,
            actor=current_actor(),
            state=state if state in {s.value for s in OrderState} else None,
            overdue_on=today if request.args.get("overdue") == "1" else None,
        )
        rows = [
            {"order": o, "days_left": calendar.working_days_between(today, o.deadline.due_date)}
            for o in orders
        ]
        return self.render_template("supervision/queue.html", rows=rows)

    @expose("/step/<pk>/<name>", methods=["POST"])
    @has_access
    def step(self, pk: Any, name: str) -> Any:
        if name not in STEPS:
            abort(404)
        form, actor = request.form, current_actor()
        version, note = form.get("version"), (form.get("note") or "").strip()
        try:
            with unit_of_work(db.session, actor):
                if name == "answer":
                    services.answer_order(
                        db.session,
                        pk,
                        measures=note,
                        evidence=[
                            (upload.filename, upload.read())
                            for upload in request.files.getlist("evidence")
                            if upload.filename
                        ],
                        version=version,
                        actor=actor,
                    )
                elif name == "accept":
                    services.accept_order(db.session, pk, note=note, version=version, actor=actor)
                else:
                    services.reject_order(
                        db.session,
                        pk,
                        reason=note,
                        working_days=form.get("working_days"),
                        version=version,
                        actor=actor,
                    )
        except OutOfReach:
            abort(404)
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".show", pk=pk))
        flash(_("The step is recorded."), "success")
        return redirect(url_for(".show", pk=pk))


class NoticeView(BaseView):
    """通报: draft the notice of overdue orders for a region and period (.docx), upload the
    issued version back; the archive of issued notices, each for who may see it."""

    route_base = "/supervisionnotices"
    class_permission_name = "SupervisionNotices"
    method_permission_name = {
        "list": "read",
        "download": "read",
        "draft": "write",
        "issue": "write",
    }
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        actor = current_actor()
        regions = (
            db.session.execute(
                actor.reach.scope(select(Region), Region)
                .where(Region.level.in_(("province", "city", "county")))
                .order_by(Region.path)
                .limit(500)
            )
            .scalars()
            .all()
        )
        today = calendar.today()
        return self.render_template(
            "supervision/notices.html",
            notices=notices.visible_notices(db.session, actor=actor),
            regions=regions,
            can_issue=roles.SUPERVISOR in roles.names_of(actor),
            start=dt.date(today.year, 1, 1).isoformat(),
            end=today.isoformat(),
        )

    @expose("/draft/", methods=["POST"])
    @has_access
    def draft(self) -> Any:
        """The draft .docx to edit in Word (audited)."""
        actor, form = current_actor(), request.form
        try:
            with unit_of_work(db.session, actor):
                name, data = notices.draft_notice(
                    db.session,
                    region_id=form.get("region_id"),
                    start=form.get("period_start"),
                    end=form.get("period_end"),
                    actor=actor,
                )
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".list"))
        return send_file(
            io.BytesIO(data),
            mimetype=files.DOCX_TYPES[".docx"][0],
            as_attachment=True,
            download_name=name,
        )

    @expose("/issue/", methods=["POST"])
    @has_access
    def issue(self) -> Any:
        """Archive the issued (edited) notice."""
        actor, form = current_actor(), request.form
        upload = request.files.get("file")
        try:
            with unit_of_work(db.session, actor):
                notices.issue_notice(
                    db.session,
                    region_id=form.get("region_id"),
                    start=form.get("period_start"),
                    end=form.get("period_end"),
                    title=form.get("title") or "",
                    filename=upload.filename if upload else None,
                    data=upload.read() if upload else b"",
                    actor=actor,
                )
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".list"))
        flash(_("The notice is issued and archived."), "success")
        return redirect(url_for(".list"))

    @expose("/download/<int:pk>")
    @has_access
    def download(self, pk: int) -> Any:
        try:
            with unit_of_work(db.session, current_actor()):
                notice, path = notices.notice_file(db.session, pk, actor=current_actor())
        except OutOfReach:
            abort(404)
        response = send_file(
            path,
            mimetype=files.DOCX_TYPES[".docx"][0],
            as_attachment=True,
            download_name=notice.filename,
        )
        response.headers["Cache-Control"] = "no-store"
        return response


FIGURE_HEADERS = (
    _l("Group"),
    _l("Findings"),
    _l("Findings standing"),
    _l("Orders issued"),
    _l("Orders open"),
    _l("Orders overdue"),
    _l("Orders closed"),
    _l("Closed on time"),
    _l("On-time closing rate"),
)


class SupervisionFiguresView(BaseView):
    """监督检查统计: findings and orders within reach by unit, region or check point over a
    period, with two charts and an Excel export."""

    route_base = "/supervisionfigures"
    class_permission_name = "SupervisionFindings"
    method_permission_name = {"show": "read", "chart": "read", "export": "read"}
    default_view = "show"

    def _compute(self) -> tuple[Any, Any, str, dt.date, dt.date]:
        from app.supervision import figures

        group_by = request.args.get("group_by") or "unit"
        if group_by not in figures.GROUPINGS:
            abort(400)
        today = calendar.today()
        try:
            start = dt.date.fromisoformat(request.args.get("start") or f"{today.year}-01-01")
            end = dt.date.fromisoformat(request.args.get("end") or today.isoformat())
        except ValueError:
            abort(400)
        rows, total = figures.compute(
            db.session, actor=current_actor(), start=start, end=end, group_by=group_by
        )
        return rows, total, group_by, start, end

    @expose("/show/")
    @has_access
    def show(self) -> Any:
        from app.supervision import figures

        rows, total, group_by, start, end = self._compute()
        return self.render_template(
            "supervision/figures.html",
            headers=FIGURE_HEADERS,
            rows=[f.cells() for f in rows],
            total=total.cells(),
            group_by=group_by,
            groupings=figures.GROUPINGS,
            start=start,
            end=end,
        )

    @expose("/chart/<name>")
    @has_access
    def chart(self, name: str) -> Any:
        from flask import Response

        from app.core import charts
        from app.supervision import figures

        today = calendar.today()
        try:
            start = dt.date.fromisoformat(request.args.get("start") or f"{today.year}-01-01")
            end = dt.date.fromisoformat(request.args.get("end") or today.isoformat())
        except ValueError:
            abort(400)
        actor = current_actor()
        if name == "overdue":
            rows, _total = figures.compute(
                db.session, actor=actor, start=start, end=end, group_by="unit"
            )
            top = [f for f in rows if f.overdue][:10]
            png = charts.bar_png(
                _("Units with the most overdue orders"),
                [f.label for f in top],
                [f.overdue for f in top],
                horizontal=True,
            )
        elif name == "points":
            rows, _total = figures.compute(
                db.session, actor=actor, start=start, end=end, group_by="check_point"
            )
            top = sorted(rows, key=lambda f: -f.findings)[:10]
            png = charts.bar_png(
                _("Findings by check point"),
                [f.label.split(" ")[0] for f in top],
                [f.findings for f in top],
            )
        else:
            abort(404)
        return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})

    @expose("/export/")
    @has_access
    def export(self) -> Any:
        from app.core.audit import AuditAction
        from app.core.audit import record as audit
        from app.excel.writer import stream_workbook, xlsx_response

        rows, total, group_by, start, end = self._compute()
        cells = [f.cells() for f in rows] + [[_("Total"), *total.cells()[1:]]]
        with unit_of_work(db.session, current_actor()):
            audit(
                db.session,
                AuditAction.EXPORT,
                object_type="SupervisionFigures",
                summary=f"supervision figures by {group_by}, {start} ~ {end}",
            )
        output = stream_workbook("监督检查统计", [str(h) for h in FIGURE_HEADERS], cells)
        return xlsx_response(output, f"监督检查统计-{start}-{end}.xlsx")
