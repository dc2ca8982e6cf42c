"""The licence reviewer's desk: queues, review page, approve and reject."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _

from app.core.actor import current_actor
from app.core.errors import DomainError, OutOfReach, render_domain_error
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.licences import services
from app.licences.models import LicenceEntry, LicenceUsageApplication
from app.licences.states import REVIEW
from app.licences.views.common import _date, _steps


class LicenceReviewView(BaseView):
    """The licence reviewer's desk: the queues, the review page, approve and reject."""

    route_base = "/licencereview"
    class_permission_name = "LicenceReview"
    method_permission_name = {
        "queue": "read",
        "review_entry": "read",
        "review_application": "read",
        "decide_entry": "write",
        "decide_application": "write",
    }
    default_view = "queue"

    KINDS = {"entry": LicenceEntry, "application": LicenceUsageApplication}

    def _load(self, model: type, pk: int) -> Any:
        try:
            return current_actor().reach.one(db.session, model, pk)
        except OutOfReach:
            abort(404)

    @expose("/queue/")
    @has_access
    def queue(self) -> Any:
        actor = current_actor()
        return self.render_template(
            "licences/review_queue.html",
            entries=services.review_queue(db.session, LicenceEntry, actor=actor),
            applications=services.review_queue(db.session, LicenceUsageApplication, actor=actor),
        )

    def _review(self, kind: str, pk: int) -> Any:
        item = self._load(self.KINDS[kind], pk)
        return self.render_template(
            "licences/review.html",
            kind=kind,
            item=item,
            data=services.snapshot(item),
            diff=services.diff_against_rejection(item),
            steps=_steps(REVIEW, item),
        )

    @expose("/entry/<int:pk>")
    @has_access
    def review_entry(self, pk: int) -> Any:
        return self._review("entry", pk)

    @expose("/application/<int:pk>")
    @has_access
    def review_application(self, pk: int) -> Any:
        return self._review("application", pk)

    def _decide(self, kind: str, pk: int) -> Any:
        item = self._load(self.KINDS[kind], pk)
        actor = current_actor()
        decision = request.form.get("decision")
        if decision not in ("approve", "reject"):
            abort(400)
        try:
            with unit_of_work(db.session, actor):
                if decision == "approve":
                    services.approve(
                        db.session,
                        item,
                        actor=actor,
                        scope=request.form.get("scope"),
                        end_date=_date(request.form.get("end_date")),
                        version=request.form.get("version"),
                    )
                    message = _("Approved.")
                else:
                    services.reject(
                        db.session,
                        item,
                        actor=actor,
                        reason=request.form.get("reason"),
                        version=request.form.get("version"),
                    )
                    message = _("Rejected; the unit is asked to revise.")
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(f".review_{kind}", pk=pk))
        flash(message, "success")
        return redirect(url_for(".queue"))

    @expose("/entry/<int:pk>/decide", methods=["POST"])
    @has_access
    def decide_entry(self, pk: int) -> Any:
        return self._decide("entry", pk)

    @expose("/application/<int:pk>/decide", methods=["POST"])
    @has_access
    def decide_application(self, pk: int) -> Any:
        return self._decide("application", pk)
