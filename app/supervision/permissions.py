"""Which supervision views and menus each role may use (see app.core.roles for the format)."""

from __future__ import annotations

from app.core.roles import COUNTY_COORDINATOR, PROVINCE_ADMIN, SUPERVISOR, UNIT_OPERATOR

MENU = "Supervision"
ALL_MENUS = (
    f"{MENU}|Check points|Check plans|Findings|Rectification orders|Rectification queue"
    "|Circulated notices|Supervision figures"
)
ANSWERER = [
    ("SupervisionFindings|SupervisionOrders|SupervisionNotices", "can_read"),
    ("SupervisionOrders", "can_write"),
    (
        f"{MENU}|Findings|Rectification orders|Rectification queue|Circulated notices"
        "|Supervision figures",
        "menu_access",
    ),
]

GRANTS: dict[str, list[tuple[str, str]]] = {
    # The supervisor keeps the checklist, plans and runs checks, records findings, orders
    # rectification and verifies the answers, within their region.
    SUPERVISOR: [
        (
            "SupervisionCheckPoints|SupervisionPlans|SupervisionFindings|SupervisionOrders"
            "|SupervisionNotices",
            "can_(read|write)",
        ),
        (ALL_MENUS, "menu_access"),
    ],
    # The unit answers its orders; the county coordinator may answer for it (DOMAIN.md §1).
    UNIT_OPERATOR: ANSWERER,
    COUNTY_COORDINATOR: ANSWERER,
    PROVINCE_ADMIN: [
        (
            "SupervisionCheckPoints|SupervisionPlans|SupervisionFindings|SupervisionOrders"
            "|SupervisionNotices",
            "can_read",
        ),
        (ALL_MENUS, "menu_access"),
    ],
}
