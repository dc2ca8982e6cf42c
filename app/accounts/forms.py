"""Forms of the accounts domain (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length


class DecisionForm(FlaskForm):
    """The coordinator's approve / reject form on a pending request."""

    version = HiddenField()
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Length(max=1000)])


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons (forced logout, unlock): only the CSRF token."""
