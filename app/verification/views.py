"""Pages of the verification domain (免证办): asking, the two queues, answering, sending on,
and the result with its voucher. Every rule is in app.verification.services."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.core import calendar
from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.errors import DomainError, OutOfReach, ValidationError, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.verification import figures, services
from app.verification.models import VerificationRequest
from app.verification.states import (
    REQUEST,
    Channel,
    Complexity,
    IdType,
    MaterialKind,
    RequestState,
)


def _overdue(value: Any) -> Any:
    return Markup('<span class="label label-danger">%s</span>') % _("Overdue") if value else ""


def _load(pk: Any) -> VerificationRequest:
    try:
        return services.load_request(db.session, pk, actor=current_actor())
    except DomainError:
        abort(404)


def _time_left(deadline: Any) -> str:
    minutes = calendar.time_left(deadline)
    if minutes < 0:
        return _("%(n)d office minutes late", n=-minutes)
    return _("%(n)d office minutes", n=minutes)


STEP_FORMS = ("verify", "return", "reroute")


class VerificationRequestView(ZwModelView):
    """Requests within reach (the window's, the issuing unit's, the approving unit's); the
    applicant shows masked, in clear only on request to the two units handling it (audited)."""

    datamodel = ReachInterface(VerificationRequest)
    class_permission_name = "VerificationRequests"
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "new": "write",
        "queue": "read",
        "step": "write",
        "applicant": "write",
        "result": "read",
        "result_file": "read",
        "voucher": "read",
    }
    include_route_methods = {
        "list",
        "show",
        "new",
        "queue",
        "step",
        "applicant",
        "result",
        "result_file",
        "voucher",
    }
    list_title = _l("Verification requests")
    show_title = _l("Verification request")
    list_columns = [
        "id",
        "case_no",
        "material_name",
        "requester_unit",
        "issuer_unit",
        "state_label",
        "deadline_label",
        "overdue",
    ]
    search_columns = ["case_no", "requester_unit", "issuer_unit", "state", "requested_at"]
    base_order = ("requested_at", "desc")
    show_template = "verification/show.html"
    label_columns = {
        "id": _l("Request"),
        "case_no": _l("Case number"),
        "material_name": _l("Document to verify"),
        "requester_unit": _l("Requesting window's unit"),
        "issuer_unit": _l("Issuing unit"),
        "state": _l("State"),
        "state_label": _l("State"),
        "deadline_label": _l("Verify by"),
        "overdue": _l("Overdue"),
        "requested_at": _l("Requested at"),
    }
    formatters_columns = {"overdue": _overdue}

    def _render_show(self, item: VerificationRequest, applicant: Any = None) -> Any:
        actor = current_actor()
        return self.render_template(
            self.show_template,
            pk=item.id,
            title=self.show_title,
            widgets=self._show(item.id),
            related_views=self._related_views,
            item=item,
            steps={t.name for t in REQUEST.allowed(actor, item, db.session)},
            units=services.suggested_units(db.session),
            may_read_result=services.may_read_result(actor, item),
            may_read_applicant=services.may_read_applicant(actor, item),
            applicant=applicant,
            time_left=_time_left(item.verify_deadline) if item.is_open else "",
        )

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        return self._render_show(_load(pk))

    @expose("/new/", methods=["GET", "POST"])
    @has_access
    def new(self) -> Any:
        """A window asks the issuing unit for one document of an item of the published list."""
        actor = current_actor()
        form = request.form
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                with unit_of_work(db.session, actor):
                    created = services.create_request(
                        db.session,
                        services.RequestData(
                            item_id=form.get("item_id"),
                            case_no=form.get("case_no") or "",
                            issuer_unit_id=form.get("issuer_unit_id"),
                            material_kind=form.get("material_kind") or "",
                            material_name=form.get("material_name") or "",
                            applicant_name=form.get("applicant_name") or "",
                            id_type=form.get("id_type") or "",
                            id_number=form.get("id_number") or "",
                            complexity=form.get("complexity") or "",
                            channel=form.get("channel") or "",
                            note=form.get("note") or "",
                        ),
                        actor=actor,
                    )
            except ValidationError as error:
                errors = dict(error.errors) or {"": str(error)}
            except DomainError as error:
                return render_domain_error(error)
            else:
                flash(_("The verification request is sent."), "success")
                return redirect(url_for(".show", pk=created.id))
        return self.render_template(
            "verification/new.html",
            items=services.published_items(db.session),
            units=services.suggested_units(db.session),
            kinds=list(MaterialKind),
            complexities=list(Complexity),
            channels=list(Channel),
            id_types=list(IdType),
            form=form,
            errors=errors,
        )

    @expose("/queue/")
    @has_access
    def queue(self) -> Any:
        """Requests to the actor's unit, and those its window sent, the least time left first."""
        actor = current_actor()
        working = calendar.WorkingCalendar.load(db.session)
        # The workbench's tiles link to one side, in one state (returned requests to re-route).
        only = request.args.get("side")
        state = request.args.get("state")
        state = state if state in {s.value for s in RequestState} else None

        def rows(side: str) -> list[dict[str, Any]] | None:
            if only in (services.INCOMING, services.OUTGOING) and side != only:
                return None
            return [
                {
                    "request": r,
                    "minutes_left": calendar.time_left(r.verify_deadline, working_calendar=working)
                    if r.is_open
                    else None,
                }
                for r in services.queue(
                    db.session,
                    actor=actor,
                    side=side,
                    state=state,
                    unopened=request.args.get("unopened") == "1",
                )
            ]

        return self.render_template(
            "verification/queue.html",
            incoming=rows(services.INCOMING),
            outgoing=rows(services.OUTGOING),
            may_request=REQUEST["request"].roles & {r.name for r in actor.user.roles},
        )

    @expose("/applicant/<pk>", methods=["POST"])
    @has_access
    def applicant(self, pk: Any) -> Any:
        """The applicant's name and ID number in clear, for the two units handling it (audited)."""
        item = _load(pk)
        try:
            with unit_of_work(db.session, current_actor()):
                applicant = services.reveal_applicant(db.session, item.id, actor=current_actor())
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".show", pk=item.id))
        return self._render_show(item, applicant=applicant)

    @expose("/step/<pk>/<name>", methods=["POST"])
    @has_access
    def step(self, pk: Any, name: str) -> Any:
        item = _load(pk)
        form, actor = request.form, current_actor()
        version = form.get("version")
        if name not in STEP_FORMS:
            abort(404)
        target = item.id
        try:
            with unit_of_work(db.session, actor):
                if name == "verify":
                    upload = request.files.get("result")
                    services.verify(
                        db.session,
                        item.id,
                        filename=upload.filename if upload else None,
                        content=upload.read() if upload else b"",
                        conclusion=form.get("conclusion") or "",
                        version=version,
                        actor=actor,
                    )
                elif name == "return":
                    services.return_request(
                        db.session,
                        item.id,
                        reason=form.get("reason") or "",
                        suggested_unit_id=form.get("suggested_unit_id"),
                        suggestion=form.get("suggestion") or "",
                        version=version,
                        actor=actor,
                    )
                else:
                    target = services.reroute(db.session, item.id, version=version, actor=actor).id
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".show", pk=item.id))
        flash(_("The step is recorded."), "success")
        return redirect(url_for(".show", pk=target))

    def _result(self, voucher_no: str, case_no: str, *, download: bool) -> Any:
        try:
            with unit_of_work(db.session, current_actor()):
                result, path = services.open_result(
                    db.session, voucher_no, case_no, actor=current_actor(), download=download
                )
                # Read before the commit expires it: the page shows the request's fields.
                request_row = result.request
                values = {"result": result, "request": request_row, "path": path}
                issued_at = calendar.format_datetime(result.issued_at)
                unit_name, item_name = request_row.issuer_unit.name, request_row.item_name
                values.update(issued_at=issued_at, unit_name=unit_name, item_name=item_name)
                mimetype, filename = result.mimetype, result.filename
        except OutOfReach:
            abort(404)
        if download:
            response = send_file(
                path, mimetype=mimetype, as_attachment=True, download_name=filename
            )
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Content-Type-Options"] = "nosniff"
            return response
        return self.render_template("verification/result.html", **values)

    @expose("/result/<voucher_no>/<case_no>", methods=["GET"])
    @has_access
    def result(self, voucher_no: str, case_no: str) -> Any:
        """The voucher of a result, for its case only (audited)."""
        return self._result(voucher_no, case_no, download=False)

    @expose("/result/<voucher_no>/<case_no>/file", methods=["GET"])
    @has_access
    def result_file(self, voucher_no: str, case_no: str) -> Any:
        """The result file, for its case only (audited)."""
        return self._result(voucher_no, case_no, download=True)

    @expose("/voucher/", methods=["GET"])
    @has_access
    def voucher(self) -> Any:
        """Check a voucher number against a case number (the approving unit's look-up)."""
        voucher_no = (request.args.get("voucher_no") or "").strip()
        case_no = (request.args.get("case_no") or "").strip()
        if voucher_no or case_no:
            return redirect(
                url_for(".result", voucher_no=voucher_no or "-", case_no=case_no or "-")
            )
        return self.render_template("verification/voucher.html")


class VerificationFiguresView(BaseView):
    """按时办结率: each issuing unit's requests answered on time, within reach."""

    route_base = "/verificationfigures"
    class_permission_name = "VerificationFigures"
    method_permission_name = {"show": "read"}
    default_view = "show"

    @expose("/show/")
    @has_access
    def show(self) -> Any:
        rows = figures.on_time_by_unit(db.session, actor=current_actor())
        return self.render_template("verification/figures.html", rows=rows)


class VerificationListView(BaseView):
    """Each unit's 免证办 item list: kept by the unit, filed with the office, acknowledged or
    returned. Every rule is in app.verification.item_list."""

    route_base = "/verificationlist"
    class_permission_name = "VerificationLists"
    method_permission_name = {
        "list": "read",
        "filing": "read",
        "add": "write",
        "remove": "write",
        "file": "write",
        "decide": "write",
    }
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        from app.catalogue.models import ImplementationItem
        from app.verification import item_list

        actor = current_actor()
        unit_id = getattr(actor.user, "unit_id", None)
        own_items = []
        if unit_id is not None:
            own_items = (
                db.session.query(ImplementationItem)
                .filter(ImplementationItem.unit_id == unit_id)
                .order_by(ImplementationItem.implementation_code)
                .limit(2000)
                .all()
            )
        return self.render_template(
            "verification/list.html",
            entries=item_list.entries(db.session, actor=actor, unit_id=unit_id),
            filings=item_list.filings(db.session, actor=actor),
            items=own_items,
            kinds=list(MaterialKind),
            keeps=item_list.LIST_KEEPERS & {r.name for r in actor.user.roles} and unit_id,
        )

    def _run(self, operation: Any, message: str) -> Any:
        try:
            with unit_of_work(db.session, current_actor()):
                operation()
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".list"))
        flash(message, "success")
        return redirect(url_for(".list"))

    @expose("/add/", methods=["POST"])
    @has_access
    def add(self) -> Any:
        from app.verification import item_list

        form = request.form
        return self._run(
            lambda: item_list.add_entry(
                db.session,
                item_id=form.get("item_id"),
                material_kind=form.get("material_kind") or "",
                material_name=form.get("material_name") or "",
                actor=current_actor(),
            ),
            _("The line is added."),
        )

    @expose("/remove/<pk>", methods=["GET", "POST"])
    @has_access
    def remove(self, pk: Any) -> Any:
        """Asks first (GET), removes on the confirmation (POST)."""
        from app.verification import item_list
        from app.verification.models import FreeListEntry

        try:
            entry = current_actor().reach.one(db.session, FreeListEntry, pk)
        except DomainError:
            abort(404)
        if request.method == "GET":
            return self.render_template("verification/list_remove.html", entry=entry)
        return self._run(
            lambda: item_list.remove_entry(db.session, entry.id, actor=current_actor()),
            _("The line is removed."),
        )

    @expose("/file/", methods=["POST"])
    @has_access
    def file(self) -> Any:
        from app.verification import item_list

        return self._run(
            lambda: item_list.file_list(
                db.session, note=request.form.get("note") or "", actor=current_actor()
            ),
            _("The list is filed with the office."),
        )

    @expose("/filing/<pk>")
    @has_access
    def filing(self, pk: Any) -> Any:
        from app.verification import item_list
        from app.verification.models import FreeListFiling
        from app.verification.states import LIST_FILING

        actor = current_actor()
        try:
            row = actor.reach.one(db.session, FreeListFiling, pk)
        except DomainError:
            abort(404)
        return self.render_template(
            "verification/filing.html",
            filing=row,
            rows=item_list.snapshot_of(row),
            steps={t.name for t in LIST_FILING.allowed(actor, row, db.session)},
        )

    @expose("/decide/<pk>", methods=["POST"])
    @has_access
    def decide(self, pk: Any) -> Any:
        from app.verification import item_list

        form = request.form
        try:
            with unit_of_work(db.session, current_actor()):
                item_list.decide_filing(
                    db.session,
                    pk,
                    acknowledge=form.get("acknowledge") == "1",
                    reason=form.get("reason") or "",
                    version=form.get("version"),
                    actor=current_actor(),
                )
        except OutOfReach:
            abort(404)
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".filing", pk=pk))
        flash(_("The decision is recorded."), "success")
        return redirect(url_for(".filing", pk=pk))
