"""Pages of the ratings domain: ratings (masked), recording one by hand, the tickets' queue and
steps, withdrawing an import. Every rule is in app.ratings.services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from app.catalogue.models import ImplementationItem
from app.core import calendar
from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.errors import DomainError, OutOfReach, ValidationError, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.excel.models import ImportBatch
from app.extensions import db
from app.ratings import services
from app.ratings.models import Rating, RectificationTicket
from app.ratings.states import TICKET, Channel, InvalidReason, Level, RaterType


def _overdue(value: Any) -> Any:
    return Markup('<span class="label label-danger">%s</span>') % _("Overdue") if value else ""


def _load_ticket(pk: Any) -> RectificationTicket:
    try:
        return services.load_ticket(db.session, pk, actor=current_actor())
    except DomainError:
        abort(404)


class RatingView(ZwModelView):
    """Ratings within reach; the rater's personal data shows masked (never decrypted here)."""

    datamodel = ReachInterface(Rating)
    class_permission_name = "Ratings"
    method_permission_name = {**METHOD_PERMISSIONS, "record": "write"}
    include_route_methods = {"list", "show", "record"}
    list_title = _l("Ratings")
    show_title = _l("Rating")
    list_columns = [
        "rating_no",
        "unit",
        "item_name",
        "channel_label",
        "level_label",
        "rater_name_masked",
        "phone_masked",
        "rated_at",
    ]
    show_columns = [
        "rating_no",
        "unit",
        "implementation_code",
        "item_name",
        "handling_item",
        "hall",
        "window",
        "case_no",
        "applied_at",
        "done_at",
        "rater_type_label",
        "rater_name_masked",
        "phone_masked",
        "id_type",
        "id_number_masked",
        "channel_label",
        "rated_at",
        "level_label",
        "text",
    ]
    search_columns = ["rating_no", "unit", "channel", "level", "poor", "rated_on", "case_no"]
    base_order = ("rated_at", "desc")
    label_columns = {
        "rating_no": _l("Rating number"),
        "unit": _l("Unit"),
        "implementation_code": _l("Implementation code"),
        "item_name": _l("Item"),
        "handling_item": _l("Handling item"),
        "hall": _l("Service hall"),
        "window": _l("Window"),
        "case_no": _l("Case number"),
        "applied_at": _l("Applied at"),
        "done_at": _l("Done at"),
        "rater_type_label": _l("Rater type"),
        "rater_name_masked": _l("Rater"),
        "phone_masked": _l("Phone"),
        "id_type": _l("ID type"),
        "id_number_masked": _l("ID number"),
        "channel": _l("Channel"),
        "channel_label": _l("Channel"),
        "rated_at": _l("Rated at"),
        "rated_on": _l("Rated on"),
        "level": _l("Level"),
        "level_label": _l("Level"),
        "poor": _l("Poor rating"),
        "text": _l("Text"),
    }

    @expose("/record/", methods=["GET", "POST"])
    @has_access
    def record(self) -> Any:
        """Hall staff record one paper or evaluator rating by hand."""
        actor = current_actor()
        items = (
            db.session.execute(
                actor.reach.scope(select(ImplementationItem), ImplementationItem)
                .order_by(ImplementationItem.implementation_code)
                .limit(1000)
            )
            .scalars()
            .all()
        )
        form = request.form
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                rated_at = dt.datetime.fromisoformat(form.get("rated_at") or "")
            except ValueError:
                errors["rated_at"] = _("Write the time as 2026-03-02 10:30.")
            else:
                try:
                    with unit_of_work(db.session, actor):
                        rating = services.record_rating(
                            db.session,
                            services.RatingData(
                                rating_no=form.get("rating_no") or "",
                                item_id=int(form.get("item_id") or 0),
                                channel=form.get("channel") or "",
                                level=form.get("level") or "",
                                rated_at=rated_at,
                                text=form.get("text") or "",
                                hall=form.get("hall") or "",
                                window=form.get("window") or "",
                                case_no=form.get("case_no") or "",
                                rater_name=form.get("rater_name") or "",
                                phone=form.get("phone") or "",
                                rater_type=form.get("rater_type") or RaterType.PERSON.value,
                                id_number=form.get("id_number") or "",
                            ),
                            actor=actor,
                        )
                except ValidationError as error:
                    errors = dict(error.errors) or {"": str(error)}
                except OutOfReach:
                    abort(404)  # an item outside reach is not there, as on every page
                except DomainError as error:
                    return render_domain_error(error)
                else:
                    flash(_("The rating is recorded."), "success")
                    return redirect(url_for(".show", pk=rating.id))
        return self.render_template(
            "ratings/record.html",
            items=items,
            channels=list(Channel),
            levels=list(Level),
            rater_types=list(RaterType),
            form=form,
            errors=errors,
            now=calendar.local_now().strftime("%Y-%m-%dT%H:%M"),
        )


STEP_FORMS = ("verify", "decide_invalid", "rectify", "call_back", "coordinator_close")


class RectificationTicketView(ZwModelView):
    """Poor-rating tickets within reach, with their deadlines and steps."""

    datamodel = ReachInterface(RectificationTicket)
    class_permission_name = "RatingTickets"
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "queue": "read",
        "step": "write",
        "contact": "write",
        "evidence": "read",
    }
    include_route_methods = {"list", "show", "queue", "step", "contact", "evidence"}
    list_title = _l("Poor-rating tickets")
    show_title = _l("Poor-rating ticket")
    list_columns = ["id", "rating", "unit", "state_label", "deadline_label", "overdue"]
    search_columns = ["rating", "unit", "state", "opened_at"]
    base_order = ("opened_at", "desc")
    show_template = "ratings/ticket_show.html"
    # The template shows the workflow below; the columns above are the ticket's own, labelled.
    show_columns = ["id", "rating", "unit", "region", "state_label", "opened_at", "closed_at"]
    label_columns = {
        "region": _l("Region"),
        "closed_at": _l("Closed at"),
        "id": _l("Ticket"),
        "rating": _l("Rating"),
        "unit": _l("Unit"),
        "state": _l("State"),
        "state_label": _l("State"),
        "deadline_label": _l("Rectify by"),
        "overdue": _l("Overdue"),
        "opened_at": _l("Opened at"),
    }
    formatters_columns = {"overdue": _overdue}

    def _render_show(self, ticket: RectificationTicket, contact: Any = None) -> Any:
        actor = current_actor()
        return self.render_template(
            self.show_template,
            pk=ticket.id,
            title=self.show_title,
            widgets=self._show(ticket.id),
            related_views=self._related_views,
            item=ticket,
            rating=ticket.rating,
            steps={t.name for t in TICKET.allowed(actor, ticket, db.session)},
            reasons=list(InvalidReason),
            handles=services.handles(actor, ticket),
            contact=contact,
        )

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        return self._render_show(_load_ticket(pk))

    @expose("/queue/")
    @has_access
    def queue(self) -> Any:
        """The unit's (or the region's) open tickets, the least time left first."""
        tickets = services.queue(db.session, actor=current_actor())
        today = calendar.today()
        rows = [
            {
                "ticket": t,
                "days_left": calendar.working_days_between(today, t.deadline.due_date),
            }
            for t in tickets
        ]
        return self.render_template("ratings/queue.html", rows=rows)

    @expose("/contact/<pk>", methods=["POST"])
    @has_access
    def contact(self, pk: Any) -> Any:
        """The rater's contact in clear, for the one handling the ticket (audited)."""
        ticket = _load_ticket(pk)
        try:
            with unit_of_work(db.session, current_actor()):
                contact = services.reveal_rater(db.session, ticket.id, actor=current_actor())
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".show", pk=ticket.id))
        return self._render_show(ticket, contact=contact)

    @expose("/evidence/<pk>/<int:evidence_id>", methods=["GET"])
    @has_access
    def evidence(self, pk: Any, evidence_id: int) -> Any:
        """An evidence file, only for users whose reach includes the ticket (audited)."""
        ticket = _load_ticket(pk)
        try:
            with unit_of_work(db.session, current_actor()):
                evidence, path = services.evidence_file(
                    db.session, ticket.id, evidence_id, actor=current_actor()
                )
        except OutOfReach:
            abort(404)
        response = send_file(
            path,
            mimetype=evidence.mimetype,
            as_attachment=True,
            download_name=evidence.filename,
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @expose("/step/<pk>/<name>", methods=["POST"])
    @has_access
    def step(self, pk: Any, name: str) -> Any:
        ticket = _load_ticket(pk)
        form, actor = request.form, current_actor()
        version, note = form.get("version"), (form.get("note") or "").strip()
        if name not in STEP_FORMS:
            abort(404)
        try:
            with unit_of_work(db.session, actor):
                if name == "verify":
                    services.verify(
                        db.session,
                        ticket.id,
                        valid=form.get("valid") == "1",
                        invalid_reason=form.get("invalid_reason"),
                        note=note,
                        version=version,
                        actor=actor,
                    )
                elif name == "decide_invalid":
                    services.decide_invalid(
                        db.session,
                        ticket.id,
                        agree=form.get("agree") == "1",
                        note=note,
                        version=version,
                        actor=actor,
                    )
                elif name == "rectify":
                    services.rectify(
                        db.session,
                        ticket.id,
                        measures=note,
                        version=version,
                        actor=actor,
                        evidence=[
                            (upload.filename, upload.read())
                            for upload in request.files.getlist("evidence")
                            if upload.filename
                        ],
                    )
                elif name == "call_back":
                    reached = form.get("reached") == "1"
                    satisfied = {"1": True, "0": False}.get(form.get("satisfied") or "")
                    services.call_back(
                        db.session,
                        ticket.id,
                        reached=reached,
                        satisfied=satisfied,
                        note=note,
                        version=version,
                        actor=actor,
                    )
                else:
                    services.coordinator_close(
                        db.session, ticket.id, note=note, version=version, actor=actor
                    )
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".show", pk=ticket.id))
        flash(_("The step is recorded."), "success")
        return redirect(url_for(".show", pk=ticket.id))


class RatingImportsView(BaseView):
    """The imports of ratings within reach, each of which can be withdrawn as a whole."""

    route_base = "/ratingimports"
    class_permission_name = "Ratings"
    method_permission_name = {"list": "read", "withdraw": "write"}
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        actor = current_actor()
        counts = (
            select(Rating.import_batch_id, func.count(Rating.id).label("n"))
            .where(Rating.import_batch_id.is_not(None))
            .group_by(Rating.import_batch_id)
            .subquery()
        )
        query = (
            select(ImportBatch, counts.c.n)
            .join(counts, counts.c.import_batch_id == ImportBatch.id)
            .order_by(ImportBatch.id.desc())
        )
        rows = db.session.execute(actor.reach.scope(query, ImportBatch)).all()
        return self.render_template("ratings/imports.html", rows=rows)

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk: int) -> Any:
        try:
            with unit_of_work(db.session, current_actor()):
                count = services.withdraw_import(db.session, pk, actor=current_actor())
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(".list"))
        flash(_("%(n)d rating(s) withdrawn.", n=count), "success")
        return redirect(url_for(".list"))


FIGURE_HEADERS = (
    _l("Group"),
    _l("Ratings"),
    _l("Good ratings"),
    _l("Poor ratings"),
    _l("Invalid poor ratings"),
    _l("Good-rating rate"),
    _l("Poor-rating rate"),
    _l("Rectification rate"),
    _l("On-time rectification rate"),
    _l("Call-back rate"),
    _l("Real-name poor-rating call-back rate"),
    _l("Call-back satisfaction rate"),
    _l("Overdue tickets (open)"),
)


def _period() -> tuple[dt.date, dt.date, str]:
    """The period asked for: ?period=2026 | 2026-Q1 | 2026-03, or ?start=…&end=…; default:
    this year up to today (the province's dates)."""
    today = calendar.today()
    period = (request.args.get("period") or "").strip()
    try:
        if request.args.get("start") or request.args.get("end"):
            start = dt.date.fromisoformat(request.args.get("start") or f"{today.year}-01-01")
            end = dt.date.fromisoformat(request.args.get("end") or today.isoformat())
            return start, end, f"{start.isoformat()} ~ {end.isoformat()}"
        if len(period) == 4:
            year = int(period)
            return dt.date(year, 1, 1), dt.date(year, 12, 31), period
        if "-Q" in period:
            year, quarter = int(period[:4]), int(period[-1])
            start = dt.date(year, 3 * quarter - 2, 1)
            end = (start + dt.timedelta(days=95)).replace(day=1) - dt.timedelta(days=1)
            return start, end, period
        if len(period) == 7:
            start = dt.date(int(period[:4]), int(period[5:]), 1)
            end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            return start, end, period
    except ValueError:
        abort(400)
    return dt.date(today.year, 1, 1), today, str(today.year)


class RatingFiguresView(BaseView):
    """好差评统计: the figures within reach by unit, region, channel, item or period, with
    their definitions, three charts and an Excel export."""

    route_base = "/ratingfigures"
    class_permission_name = "RatingFigures"
    method_permission_name = {"show": "read", "chart": "read", "export": "read"}
    default_view = "show"

    def _compute(self) -> tuple[Any, Any, str, str, dt.date, dt.date]:
        from app.ratings import figures

        group_by = request.args.get("group_by") or "unit"
        if group_by not in figures.GROUPINGS:
            abort(400)
        start, end, label = _period()
        rows, total = figures.compute(
            db.session, actor=current_actor(), start=start, end=end, group_by=group_by
        )
        return rows, total, group_by, label, start, end

    @expose("/show/")
    @has_access
    def show(self) -> Any:
        from app.ratings import figures

        rows, total, group_by, label, start, end = self._compute()
        args = {k: v for k, v in request.args.items() if k != "group_by"}
        return self.render_template(
            "ratings/figures.html",
            headers=FIGURE_HEADERS,
            rows=[figures.as_cells(f) for f in rows],
            total=figures.as_cells(total),
            group_by=group_by,
            groupings=figures.GROUPINGS,
            period=label,
            start=start,
            end=end,
            args=args,
        )

    @expose("/chart/<name>")
    @has_access
    def chart(self, name: str) -> Any:
        from flask import Response

        from app.core import charts
        from app.ratings import figures

        start, end, _label = _period()
        actor = current_actor()
        if name == "trend":
            rows, _total = figures.compute(
                db.session, actor=actor, start=start, end=end, group_by="month"
            )
            png = charts.line_png(
                _("Good-rating rate by month"),
                [f.label for f in rows],
                [f.good_rate for f in rows],
                percent=True,
            )
        elif name == "channels":
            rows, _total = figures.compute(
                db.session, actor=actor, start=start, end=end, group_by="channel"
            )
            png = charts.bar_png(
                _("Poor ratings by channel"), [f.label for f in rows], [f.poor_valid for f in rows]
            )
        elif name == "overdue":
            pairs = figures.late_and_overdue_by_unit(db.session, actor=actor, start=start, end=end)
            png = charts.bar_png(
                _("Units with the most overdue tickets"),
                [p[0] for p in pairs],
                [p[1] for p in pairs],
                horizontal=True,
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
        from app.ratings import figures

        rows, total, group_by, label, _start, _end = self._compute()
        cells = [figures.as_cells(f) for f in rows] + [[_("Total"), *figures.as_cells(total)[1:]]]
        with unit_of_work(db.session, current_actor()):
            audit(
                db.session,
                AuditAction.EXPORT,
                object_type="RatingFigures",
                summary=f"rating figures by {group_by}, {label}",
            )
        output = stream_workbook("好差评统计", [str(h) for h in FIGURE_HEADERS], cells)
        return xlsx_response(output, f"好差评统计-{label}.xlsx")
