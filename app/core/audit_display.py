"""How the audit log reads to an auditor: Chinese labels for its actions, object types, workflow
steps and field names, and before → after as a table.

Display only; the stored rows keep their codes (the hash chain covers them). Object types and
field names are named as the application's own pages name them: the labels declared on the
registered FAB views of each model, so a field reads in the log as it reads in its form. The few
record kinds no page lists (steps, versions, deadlines) are named here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.core import calendar
from app.core.audit import AuditAction

ACTION_LABELS: dict[str, Any] = {
    AuditAction.CREATE.value: _l("Created"),
    AuditAction.UPDATE.value: _l("Changed"),
    AuditAction.DELETE.value: _l("Deleted"),
    AuditAction.LOGIN.value: _l("Sign-in"),
    AuditAction.LOGIN_FAILED.value: _l("Failed sign-in"),
    AuditAction.LOGOUT.value: _l("Sign-out"),
    AuditAction.TRANSITION.value: _l("Workflow step"),
    AuditAction.EXPORT.value: _l("Exported"),
    AuditAction.IMPORT.value: _l("Imported"),
    AuditAction.SECURITY.value: _l("Security change"),
}

# Record kinds that no page lists (or whose page is FAB's own): named here.
OTHER_TYPE_LABELS: dict[str, Any] = {
    "User": _l("User account"),
    "AppUser": _l("User account"),
    "Role": _l("Role"),
    "Permission": _l("Permission"),
    "PermissionView": _l("Permission on a menu"),
    "ViewMenu": _l("Menu"),
    "Deadline": _l("Deadline"),
    "ItemVersion": _l("Published version"),
    "AdjustmentStep": _l("Adjustment step"),
    "TicketStep": _l("Ticket step"),
    "OrderStep": _l("Rectification order step"),
    "LicenceFaceField": _l("Licence face field"),
    "Rating": _l("Rating"),
    "UserSession": _l("Sign-in session"),
    "ImportBatch": _l("Import"),
    "PasswordHistory": _l("Password history"),
}

# Field names shared by many records, for the ones no view labels.
COMMON_FIELD_LABELS: dict[str, Any] = {
    "state": _l("State"),
    "status": _l("Status"),
    "version": _l("Version"),
    "name": _l("Name"),
    "note": _l("Note"),
    "reason": _l("Reason"),
    "created_at": _l("Created at"),
    "updated_at": _l("Updated at"),
    "submitted_at": _l("Submitted at"),
    "completed_at": _l("Completed at"),
    "due_date": _l("Due date"),
    "purpose": _l("Purpose"),
    "provisional": _l("Provisional"),
    "baseline_values": _l("Values when the request was made"),
    "proposed_values": _l("Proposed values"),
    "actor_name": _l("Who"),
    "at": _l("When"),
    "step": _l("Step"),
    "decision": _l("Decision"),
    "password": _l("Password"),
    "active": _l("Active"),
    "username": _l("User name"),
    "first_name": _l("Full name"),
    "last_name": _l("Surname"),
    "email": _l("Email"),
    "login_count": _l("Login count"),
    "fail_login_count": _l("Failed logins"),
    "last_login": _l("Last login"),
    "locked_until": _l("Locked until"),
}

# Words of the services' summaries that are not step or state names.
SUMMARY_WORDS: dict[str, Any] = {
    "publish": _l("Published"),
    "filing": _l("filing"),
    "rows": _l("rows"),
    "locked": _l("locked"),
    # An adjustment request's summary names its kind (``#3 change``).
    "add": _l("Add"),
    "change": _l("Change"),
    "suspend": _l("Suspend"),
    "resume": _l("Resume"),
    "cancel": _l("Cancel"),
    "terminate": _l("Terminate"),
}

# What each kind of deadline is for (``Deadline.purpose``, written by the domains' services).
DEADLINE_PURPOSES: dict[str, Any] = {
    "adjustment.legality_review": _l("Legality review"),
    "adjustment.final_review": _l("Final review"),
    "licence objection: mark": _l("Objection: marking"),
    "licence objection: verify": _l("Objection: verification"),
    "poor_rating": _l("Poor rating: rectification"),
    "poor_rating_verify": _l("Poor rating: verification"),
    "poor_rating_rectify": _l("Poor rating: rectify step"),
    "poor_rating_call_back": _l("Poor rating: call-back"),
    "verification_verify": _l("Verification: answer"),
    "verification_return": _l("Verification: return"),
    "supervision_order": _l("Rectification order"),
}
# Records whose summary names a step (their ``__repr__``).
STEP_SUMMARIES = frozenset({"AdjustmentStep", "TicketStep", "OrderStep"})

_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")
_WORD = re.compile(r"[a-z][a-z_]*[a-z]")


@lru_cache(maxsize=1)
def _view_labels() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Model class name → page title, and → {field: label}, from the registered views (the
    labels declared with ``lazy_gettext``; FAB's made-up English ones are left out)."""
    types: dict[str, Any] = {}
    fields: dict[str, dict[str, Any]] = {}
    for view in current_app.appbuilder.baseviews:  # type: ignore[attr-defined]
        datamodel = getattr(view, "datamodel", None)
        model = getattr(datamodel, "obj", None)
        if model is None:
            continue
        name = model.__name__
        title = getattr(view, "list_title", None)
        if isinstance(title, LazyString) and name not in types:
            types[name] = title
        own = fields.setdefault(name, {})
        for column, label in (getattr(view, "label_columns", None) or {}).items():
            if isinstance(label, LazyString):
                own.setdefault(column, label)
    return types, fields


def _workflow_labels() -> tuple[dict[str, Any], dict[str, Any]]:
    """Step name → label and state → label, over every workflow."""
    from app.core.workflow import _WORKFLOWS

    steps: dict[str, Any] = {}
    states: dict[str, Any] = {}
    for wf in _WORKFLOWS.values():
        for t in wf.transitions:
            steps.setdefault(t.name, t.label)
            if wf.state_label is not None:
                for state in (*(t.source or ()), t.target):
                    states.setdefault(state, wf.state_label(state))
    return steps, states


def step_label(name: str) -> str:
    """A workflow step's label (``confirm_valid`` → 「核实：评价有效」), as histories show it."""
    steps, _states = _workflow_labels()
    label = steps.get(name)
    return str(label) if label is not None else name


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def action_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in ACTION_LABELS.items()]


def object_type_label(name: str) -> str:
    types, _fields = _view_labels()
    label = OTHER_TYPE_LABELS.get(name) if name in OTHER_TYPE_LABELS else types.get(name)
    return str(label) if label is not None else name


def object_type_choices() -> list[tuple[str, str]]:
    types, _fields = _view_labels()
    names = sorted(set(types) | set(OTHER_TYPE_LABELS) - {"AppUser"})
    return sorted(((n, object_type_label(n)) for n in names), key=lambda c: c[1])


def field_label(object_type: str, field: str) -> str:
    _types, fields = _view_labels()
    label = fields.get(object_type, {}).get(field)
    if label is None:
        label = COMMON_FIELD_LABELS.get(field)
    return str(label) if label is not None else field


def summary_label(action: str, summary: str, object_type: str = "") -> str:
    """The summary with workflow step and state codes (``approve``, ``final_review``), deadline
    purposes and the few words of the services' summaries read in Chinese."""
    if action in (AuditAction.LOGIN.value, AuditAction.LOGIN_FAILED.value):
        return summary.replace("(locked)", "（" + str(SUMMARY_WORDS["locked"]) + "）")
    if object_type == "Deadline":
        purpose, sep, rest = summary.partition(" → ")
        if sep and purpose in DEADLINE_PURPOSES:
            return f"{DEADLINE_PURPOSES[purpose]} → {rest}"
        return summary
    if (
        action != AuditAction.TRANSITION.value
        and object_type not in STEP_SUMMARIES
        and object_type != "AdjustmentRequest"
    ):
        return summary
    steps, states = _workflow_labels()

    def word(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "system":
            return str(_l("System"))
        for table in (steps, states, SUMMARY_WORDS):
            if text in table:
                return str(table[text])
        return text

    return _WORD.sub(word, summary)


def value_text(field: str, value: Any) -> str:
    """One value of a before/after record as the pages show it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, str) and _ISO_TIME.match(value):
        return calendar.format_datetime(dt.datetime.fromisoformat(value), seconds=True)
    if field in ("state", "status") and isinstance(value, str):
        _steps, states = _workflow_labels()
        if value in states:
            return str(states[value])
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        return {"": text}
    return loaded if isinstance(loaded, dict) else {"": loaded}


def change_rows(
    object_type: str, before: str | None, after: str | None
) -> list[tuple[str, str, str]]:
    """(field label, before, after) for every field the record names, in a stable order."""
    old, new = _load(before), _load(after)
    rows = []
    for field in sorted(set(old) | set(new)):
        rows.append(
            (
                field_label(object_type, field),
                value_text(field, old.get(field)),
                value_text(field, new.get(field)),
            )
        )
    return rows


def change_table(object_type: str, before: str | None, after: str | None) -> Markup:
    """The before → after table of an audit row (HTML, every value escaped)."""
    rows = change_rows(object_type, before, after)
    if not rows:
        return Markup("")
    head = Markup("<tr><th>{}</th><th>{}</th><th>{}</th></tr>").format(
        _l("Field"), _l("Before"), _l("After")
    )
    body = Markup("").join(
        Markup("<tr><td>{}</td><td>{}</td><td>{}</td></tr>").format(
            escape(label), escape(old), escape(new)
        )
        for label, old, new in rows
    )
    return (
        Markup('<table class="table table-condensed audit-changes">')
        + head
        + body
        + Markup("</table>")
    )
