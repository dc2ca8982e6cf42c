"""Closed lists of the catalogue domain and the adjustment state machine's transitions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core import roles, workflow
from app.core.states import LabelledEnum
from app.core.workflow import Workflow


class CatalogueSource(LabelledEnum):
    NATIONAL = "national", _l("National basic catalogue")
    PROVINCIAL = "provincial", _l("Provincial basic catalogue")


class EntryStatus(LabelledEnum):
    ACTIVE = "active", _l("In force")
    CANCELLED = "cancelled", _l("Cancelled")


class ItemStatus(LabelledEnum):
    """Lifecycle of an implementation-list row."""

    DRAFT = "draft", _l("Draft (not published)")
    ACTIVE = "active", _l("In service")
    SUSPENDED = "suspended", _l("Suspended")
    CANCELLED = "cancelled", _l("Cancelled")
    TERMINATED = "terminated", _l("Terminated")


PUBLIC_STATUSES = (ItemStatus.ACTIVE.value, ItemStatus.SUSPENDED.value)


class HandlingType(LabelledEnum):
    INSTANT = "instant", _l("Instant (即办件)")
    PROMISED = "promised", _l("Promised (承诺件)")


class OnlineDepth(LabelledEnum):
    """网办深度: how far an item can be handled online."""

    INFO = "1", _l("1 – information online")
    FORMS = "2", _l("2 – forms online")
    APPLY = "3", _l("3 – application online")
    FULL = "4", _l("4 – fully online")


# A list's values in a spreadsheet are exchanged data: Chinese whatever the user's language.
HANDLING_LABELS = {HandlingType.INSTANT.value: "即办件", HandlingType.PROMISED.value: "承诺件"}
DEPTH_LABELS = {
    OnlineDepth.INFO.value: "一级（网上信息发布）",
    OnlineDepth.FORMS.value: "二级（网上表单下载）",
    OnlineDepth.APPLY.value: "三级（网上申报）",
    OnlineDepth.FULL.value: "四级（全程网办）",
}
STATUS_LABELS = {
    ItemStatus.DRAFT.value: "草稿（未发布）",
    ItemStatus.ACTIVE.value: "在用",
    ItemStatus.SUSPENDED.value: "已暂停",
    ItemStatus.CANCELLED.value: "已取消",
    ItemStatus.TERMINATED.value: "已终止",
}


class AdjustmentKind(LabelledEnum):
    ADD = "add", _l("Add")
    CANCEL = "cancel", _l("Cancel")
    CHANGE = "change", _l("Change")
    SUSPEND = "suspend", _l("Suspend")
    RESUME = "resume", _l("Resume")
    TERMINATE = "terminate", _l("Terminate")


class AdjustmentGround(LabelledEnum):
    """Grounds of seed 000 art. 13 (add), 14 (cancel), 15 (change); seed 002 art. 13–14 for the
    online suspend / resume / terminate requests."""

    ADD_BASIS = "13.1", _l("Art. 13(1): a legal basis was created or revised")
    ADD_DEVOLVED = "13.2", _l("Art. 13(2): devolved by a higher authority, to be taken over")
    ADD_OTHER = "13.3", _l("Art. 13(3): other lawful addition")
    CANCEL_BASIS = "14.1", _l("Art. 14(1): the legal basis was revised or repealed")
    CANCEL_DECIDED = (
        "14.2",
        _l("Art. 14(2): cancelled by the central ministries or the provincial government"),
    )
    CANCEL_FTP = (
        "14.3",
        _l("Art. 14(3): purpose reached through free-trade-port policy or ex-post supervision"),
    )
    CANCEL_OTHER = "14.4", _l("Art. 14(4): other lawful cancellation")
    CHANGE_BASIS = "15.1", _l("Art. 15(1): the legal basis was adjusted")
    CHANGE_MERGE = "15.2", _l("Art. 15(2): similar licences integrated into one department")
    CHANGE_DEVOLVE = "15.3", _l("Art. 15(3): devolved to a lower level")
    CHANGE_OTHER = "15.4", _l("Art. 15(4): other lawful change")
    ONLINE_WORK = "O.1", _l("Seed 002 art. 13: work reasons")
    ONLINE_MAINTENANCE = "O.2", _l("Seed 002 art. 14: business-system maintenance")
    ONLINE_OTHER = "O.3", _l("Seed 002 art. 13: other")


GROUNDS_BY_KIND: dict[str, tuple[str, ...]] = {
    AdjustmentKind.ADD.value: ("13.1", "13.2", "13.3"),
    AdjustmentKind.CANCEL.value: ("14.1", "14.2", "14.3", "14.4"),
    AdjustmentKind.CHANGE.value: ("15.1", "15.2", "15.3", "15.4"),
    AdjustmentKind.SUSPEND.value: ("O.1", "O.2", "O.3"),
    AdjustmentKind.RESUME.value: ("O.1", "O.2", "O.3"),
    AdjustmentKind.TERMINATE.value: ("O.1", "O.3", "14.1", "14.2", "14.3", "14.4"),
}

# Which item statuses each kind may start from, and the status it leaves the item in.
KIND_FROM_STATUS: dict[str, tuple[str, ...]] = {
    "add": ("draft",),
    "cancel": ("active", "suspended"),
    "change": ("active", "suspended"),
    "suspend": ("active",),
    "resume": ("suspended",),
    "terminate": ("active", "suspended"),
}
KIND_TO_STATUS: dict[str, str | None] = {
    "add": "active",
    "cancel": "cancelled",
    "change": None,  # unchanged
    "suspend": "suspended",
    "resume": "active",
    "terminate": "terminated",
}


class AdjustmentState(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    LEGALITY_REVIEW = "legality_review", _l("Legality review")
    FINAL_REVIEW = "final_review", _l("Final review")
    RETURNED = "returned", _l("Returned")
    APPLIED = "applied", _l("Applied")


class Transition(LabelledEnum):
    SUBMIT = "submit", _l("Submit")
    PASS_LEGALITY = "pass_legality", _l("Pass legality review")
    REJECT_LEGALITY = "reject_legality", _l("Reject (legality)")
    APPROVE = "approve", _l("Approve")
    REJECT_FINAL = "reject_final", _l("Reject (final)")


# Who may propose (and submit) an adjustment: reach decides whose items.
PROPOSERS = frozenset({roles.UNIT_OPERATOR, roles.COUNTY_COORDINATOR, roles.PROVINCE_ADMIN})

ADJUSTMENT = Workflow(
    "adjustment",
    [
        workflow.Transition(
            "submit",
            Transition.SUBMIT.label,
            source=("draft", "returned"),
            target="legality_review",
            roles=PROPOSERS,
            button=_l("Submit for review"),
        ),
        workflow.Transition(
            "pass_legality",
            Transition.PASS_LEGALITY.label,
            source=("legality_review",),
            target="final_review",
            roles={roles.LEGAL_REVIEWER},
        ),
        workflow.Transition(
            "reject_legality",
            Transition.REJECT_LEGALITY.label,
            source=("legality_review",),
            target="returned",
            roles={roles.LEGAL_REVIEWER},
            needs_reason=True,
            reason_message=_l("A rejection needs a reason."),
            button=_l("Reject"),
            style="danger",
        ),
        workflow.Transition(
            "approve",
            Transition.APPROVE.label,
            source=("final_review",),
            target="applied",
            roles={roles.PROVINCE_ADMIN},
        ),
        workflow.Transition(
            "reject_final",
            Transition.REJECT_FINAL.label,
            source=("final_review",),
            target="returned",
            roles={roles.PROVINCE_ADMIN},
            needs_reason=True,
            reason_message=_l("A rejection needs a reason."),
            button=_l("Reject"),
            style="danger",
        ),
    ],
    state_label=AdjustmentState.label_of,
    deadline="deadline",
    invalid_message=_l("“%(transition)s” is not possible while the request is “%(state)s”."),
)
OPEN_STATES = ("legality_review", "final_review")

# Working days each review step may take (seed 002 art. 12–13).
LEGALITY_REVIEW_DAYS = 1
FINAL_REVIEW_DAYS = 3
# A planned suspension is filed at least this many working days ahead (seed 002 art. 14).
SUSPENSION_NOTICE_DAYS = 5


class FilingState(LabelledEnum):
    FILED = "filed", _l("Filed, awaiting acknowledgement")
    ACKNOWLEDGED = "acknowledged", _l("Acknowledged")
    RETURNED = "returned", _l("Returned")


FILING = Workflow(
    "filing",
    [
        # Creates the filing: asked with the region filed (reach), or with none for the button.
        workflow.Transition(
            "file",
            _l("File my region's list"),
            source=None,
            target="filed",
            roles={roles.COUNTY_COORDINATOR},
        ),
        workflow.Transition(
            "acknowledge",
            _l("Acknowledge"),
            source=("filed",),
            target="acknowledged",
            roles={roles.PROVINCE_ADMIN},
        ),
        workflow.Transition(
            "return",
            _l("Return"),
            source=("filed",),
            target="returned",
            roles={roles.PROVINCE_ADMIN},
            needs_reason=True,
            reason_message=_l("Returning a filing needs a reason."),
            style="danger",
        ),
    ],
    state_label=FilingState.label_of,
)
