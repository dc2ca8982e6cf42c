"""Form fields of the catalogue views."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app.catalogue.states import HandlingType, OnlineDepth


class ReadOnlyField(StringField):
    """Shows a standardized element in a form; whatever is posted back is never written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"readonly": True, "class": "form-control zw-readonly"})
        super().__init__(*args, **kwargs)

    def populate_obj(self, obj: Any, name: str) -> None:
        """Standardized elements are owned by the basic catalogue (seed 000 art. 10–11)."""


def standardized_fields() -> dict[str, Any]:
    from app.catalogue.views import STANDARDIZED_LABELS

    return {
        f"std_{name}": ReadOnlyField(label, validators=[Optional()])
        for name, label in STANDARDIZED_LABELS.items()
    }


def personalized_select_fields() -> dict[str, Any]:
    return {
        "handling_type": SelectField(_l("Handling type"), choices=HandlingType.choices()),
        "online_depth": SelectField(_l("Online depth"), choices=OnlineDepth.choices()),
    }


def proposal_fields() -> dict[str, Any]:
    """The personalized elements a CHANGE adjustment proposes (empty = unchanged)."""
    blank = [("", _l("(unchanged)"))]
    return {
        "p_service_hours": StringField(_l("Proposed service hours"), validators=[Optional()]),
        "p_service_location": StringField(_l("Proposed service location"), validators=[Optional()]),
        "p_consult_phone": StringField(_l("Proposed consultation phone"), validators=[Optional()]),
        "p_approver": StringField(_l("Proposed approver"), validators=[Optional()]),
        "p_promised_time_limit_days": IntegerField(
            _l("Proposed promised time limit (working days)"), validators=[Optional()]
        ),
        "p_handling_type": SelectField(
            _l("Proposed handling type"), choices=blank + HandlingType.choices()
        ),
        "p_onsite_visits": IntegerField(_l("Proposed on-site visits"), validators=[Optional()]),
        "p_online_depth": SelectField(
            _l("Proposed online depth"), choices=blank + OnlineDepth.choices()
        ),
        "p_fully_online": SelectField(
            _l("Proposed fully online"), choices=blank + [("1", _l("Yes")), ("0", _l("No"))]
        ),
        "p_faq": TextAreaField(_l("Proposed FAQ"), validators=[Optional()]),
        "p_result_sample": TextAreaField(_l("Proposed result sample"), validators=[Optional()]),
    }
