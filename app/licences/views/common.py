"""Shared pieces of the licence views: the uploaded sample, blank formatters, the
published-entry choices and the entry labels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, g, request
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l

from app.core import calendar
from app.core.actor import current_actor
from app.core.workflow import Workflow
from app.extensions import db
from app.licences.states import ReviewState


def _uploaded_sample() -> tuple[str, bytes] | None:
    """The uploaded sample (read once per request), under the raw name the browser sent:
    werkzeug's ``secure_filename`` would silently hide path tricks that we want to refuse."""
    if "licence_sample" not in g:
        upload = request.files.get("sample_upload") if request.method == "POST" else None
        g.licence_sample = (
            (upload.filename, upload.read()) if upload is not None and upload.filename else None
        )
    return g.licence_sample


def sample_settings() -> tuple[str, int]:
    return (
        current_app.config["LICENCE_SAMPLES_DIR"],
        int(current_app.config["LICENCE_SAMPLE_MAX_BYTES"]),
    )


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _steps(flow: Workflow, item: Any) -> set[str]:
    """The names of the steps the current user may take on ``item``: the buttons to show."""
    return {t.name for t in flow.allowed(current_actor(), item, db.session)}


def _blank(value: Any) -> Any:
    """Show nothing rather than "None" for an empty optional value."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return calendar.format_datetime(value)
    return value


BLANK_FORMATTERS = {
    name: _blank
    for name in (
        "description",
        "sample_filename",
        "submitted_at",
        "reviewed_at",
        "rejection_reason",
        "deprecated_at",
        "deprecation_reason",
        "approved_scope",
        "approved_end_date",
        "marked_at",
        "resolved_at",
        "outcome_note",
        "applicant_told_on",
        "applicant_told_how",
        "recorded_at",
        "validity_years",
    )
}

# A licence type another unit may use or a service item may accept: a published entry (the
# related list itself is scoped by the licence rule: entries in reach plus published ones).
PUBLISHED_ENTRY_CHOICES = {"entry": [["state", FilterEqual, ReviewState.APPROVED.value]]}
ENTRY_CHOICE_ORDER = {"entry": ("name", "asc")}

ENTRY_LABELS = {
    "name": _l("Licence name"),
    "type_code": _l("Licence type code"),
    "issuing_unit": _l("Issuing unit"),
    "region": _l("Region"),
    "holder_category": _l("Holder category"),
    "holder_category_label": _l("Holder category"),
    "validity_rule": _l("Validity rule"),
    "validity_years": _l("Validity (years)"),
    "validity_label": _l("Validity"),
    "trust_level": _l("Trust level"),
    "trust_level_label": _l("Trust level"),
    "description": _l("Description"),
    "state": _l("State"),
    "state_label": _l("State"),
    "submitted_at": _l("Submitted at"),
    "reviewed_at": _l("Reviewed at"),
    "rejection_reason": _l("Reason for rejection"),
    "sample_filename": _l("Sample file"),
    "deprecation_reason": _l("Reason for deprecation"),
    "deprecated_at": _l("Deprecated at"),
    "face_fields": _l("Face fields"),
}
