"""Menu entries and APIs of the verification domain (免证办)."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.verification.api import VerificationRequestApi
from app.verification.views import (
    VerificationFiguresView,
    VerificationListView,
    VerificationRequestView,
)


def register(appbuilder: AppBuilder) -> None:
    from app.verification import workbench

    workbench.register()  # the verification tiles of the landing page
    menu = {
        "category": "Verification",
        "category_label": _l("Certificate-free verification"),
        "category_icon": "fa-check-square",
    }
    appbuilder.add_view(
        VerificationRequestView,
        "Verification requests",
        label=_l("Verification requests"),
        icon="fa-list",
        **menu,
    )
    appbuilder.add_link(
        "Verification queue",
        href="/verificationrequestview/queue/",
        label=_l("Verification queue"),
        icon="fa-clock",
        **menu,
    )
    appbuilder.add_link(
        "Voucher check",
        href="/verificationrequestview/voucher/",
        label=_l("Voucher check"),
        icon="fa-search",
        **menu,
    )
    appbuilder.add_view(
        VerificationFiguresView,
        "Verification figures",
        label=_l("On-time verification"),
        icon="fa-chart-bar",
        **menu,
    )
    appbuilder.add_view(
        VerificationListView,
        "Verification item lists",
        label=_l("Certificate-free item lists"),
        icon="fa-list-alt",
        **menu,
    )
    appbuilder.add_api(VerificationRequestApi)
