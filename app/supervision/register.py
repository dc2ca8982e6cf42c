"""Menu entries and APIs of the supervision domain (监督检查)."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.supervision.api import FindingApi, RectificationOrderApi
from app.supervision.views import (
    CheckPlanView,
    CheckPointView,
    FindingView,
    NoticeView,
    RectificationOrderView,
    SupervisionFiguresView,
)


def register(appbuilder: AppBuilder) -> None:
    menu = {
        "category": "Supervision",
        "category_label": _l("Supervision"),
        "category_icon": "fa-search",
    }
    appbuilder.add_view(
        CheckPointView, "Check points", label=_l("Checklist library"), icon="fa-list", **menu
    )
    appbuilder.add_view(
        CheckPlanView, "Check plans", label=_l("Check plans"), icon="fa-calendar", **menu
    )
    appbuilder.add_view(
        FindingView, "Findings", label=_l("Findings"), icon="fa-exclamation-circle", **menu
    )
    appbuilder.add_view(
        RectificationOrderView,
        "Rectification orders",
        label=_l("Rectification orders"),
        icon="fa-gavel",
        **menu,
    )
    appbuilder.add_link(
        "Rectification queue",
        href="/rectificationorderview/queue/",
        label=_l("Rectification queue"),
        icon="fa-clock",
        **menu,
    )
    appbuilder.add_view(
        NoticeView,
        "Circulated notices",
        label=_l("Circulated notices"),
        icon="fa-bullhorn",
        **menu,
    )
    appbuilder.add_view(
        SupervisionFiguresView,
        "Supervision figures",
        label=_l("Supervision figures"),
        icon="fa-chart-bar",
        **menu,
    )
    from app.supervision import workbench

    workbench.register()  # the supervision tiles of the landing page
    for api in (FindingApi, RectificationOrderApi):
        appbuilder.add_api(api)
    from flask import current_app

    from app.supervision.cli import supervision_run_command

    current_app.cli.add_command(supervision_run_command)
