"""Form fields of the catalogue views."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import TextArea

from app.catalogue.states import HandlingType, OnlineDepth


class WideTextArea(TextArea):
    """A text area across the form's width, tall enough for a statute and its article."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("class", "form-control")
        kwargs.setdefault("rows", 5)
        return super().__call__(field, **kwargs)


def blank_if_none(value: Any) -> Any:
    """An empty text input is stored as "" (the columns are NOT NULL)."""
    return "" if value is None else value


def select_choices(pairs: list[Any]) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects; accepts them or (value, label) pairs."""
    return [p if isinstance(p, SelectChoice) else SelectChoice(p[0], p[1]) for p in pairs]


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
        f"std_{name}": ReadOnlyField(label, validators=[Optional()], filters=[blank_if_none])
        for name, label in STANDARDIZED_LABELS.items()
    }


def personalized_select_fields() -> dict[str, Any]:
    """Personalized elements as form fields: closed lists as selects, free text optional."""
    return {
        "service_hours": StringField(
            _l("Service hours"), validators=[Optional()], filters=[blank_if_none]
        ),
        "service_location": StringField(
            _l("Service location"), validators=[Optional()], filters=[blank_if_none]
        ),
        "consult_phone": StringField(
            _l("Consultation phone"), validators=[Optional()], filters=[blank_if_none]
        ),
        "approver": StringField(_l("Approver"), validators=[Optional()], filters=[blank_if_none]),
        "promised_time_limit_days": IntegerField(
            _l("Promised time limit (working days)"), validators=[Optional()]
        ),
        "onsite_visits": IntegerField(_l("On-site visits"), default=1),
        "fully_online": BooleanField(_l("Fully online")),
        "faq": TextAreaField(_l("FAQ"), validators=[Optional()], filters=[blank_if_none]),
        "result_sample": TextAreaField(
            _l("Result sample"), validators=[Optional()], filters=[blank_if_none]
        ),
        "handling_type": SelectField(
            _l("Handling type"), choices=select_choices(HandlingType.choices())
        ),
        "online_depth": SelectField(
            _l("Online depth"), choices=select_choices(OnlineDepth.choices())
        ),
    }


def proposal_fields() -> dict[str, Any]:
    """The personalized elements a CHANGE adjustment proposes (empty = unchanged)."""
    blank = [("", _l("(unchanged)"))]
    return {
        "p_service_hours": StringField(
            _l("Proposed service hours"), validators=[Optional()], filters=[blank_if_none]
        ),
        "p_service_location": StringField(
            _l("Proposed service location"), validators=[Optional()], filters=[blank_if_none]
        ),
        "p_consult_phone": StringField(
            _l("Proposed consultation phone"), validators=[Optional()], filters=[blank_if_none]
        ),
        "p_approver": StringField(
            _l("Proposed approver"), validators=[Optional()], filters=[blank_if_none]
        ),
        "p_promised_time_limit_days": IntegerField(
            _l("Proposed promised time limit (working days)"), validators=[Optional()]
        ),
        "p_handling_type": SelectField(
            _l("Proposed handling type"), choices=select_choices(blank + HandlingType.choices())
        ),
        "p_onsite_visits": IntegerField(_l("Proposed on-site visits"), validators=[Optional()]),
        "p_online_depth": SelectField(
            _l("Proposed online depth"), choices=select_choices(blank + OnlineDepth.choices())
        ),
        "p_fully_online": SelectField(
            _l("Proposed fully online"),
            choices=select_choices(blank + [("1", _l("Yes")), ("0", _l("No"))]),
        ),
        "p_faq": TextAreaField(
            _l("Proposed FAQ"), validators=[Optional()], filters=[blank_if_none]
        ),
        "p_result_sample": TextAreaField(
            _l("Proposed result sample"), validators=[Optional()], filters=[blank_if_none]
        ),
    }
