"""Which verification views and menus each role may use (see app.core.roles for the format)."""

from __future__ import annotations

from app.core.roles import (
    COUNTY_COORDINATOR,
    PROVINCE_ADMIN,
    SUPERVISOR,
    UNIT_OPERATOR,
    WINDOW_STAFF,
)

MENU = "Verification"
HANDLER_MENUS = f"{MENU}|Verification queue|Verification requests|Voucher check"
FIGURE_MENUS = f"{MENU}|Verification requests|Verification figures"

GRANTS: dict[str, list[tuple[str, str]]] = {
    # Window staff ask, and answer for their own unit when it issues the document.
    WINDOW_STAFF: [
        ("VerificationRequests", "can_(read|write)"),
        (HANDLER_MENUS, "menu_access"),
    ],
    # A unit's operators answer the requests addressed to the unit, and keep and file the
    # unit's 免证办 item list.
    UNIT_OPERATOR: [
        ("VerificationRequests|VerificationLists", "can_(read|write)"),
        ("VerificationFigures", "can_read"),
        (f"{HANDLER_MENUS}|Verification figures|Verification item lists", "menu_access"),
    ],
    # Coordinators, supervisors and the office follow the requests and the on-time rates (they
    # never read a result: seed 003 art. 15); the office (the region's coordinator, the
    # province) acknowledges the units' item lists.
    COUNTY_COORDINATOR: [
        ("VerificationRequests|VerificationFigures", "can_read"),
        ("VerificationLists", "can_(read|write)"),
        (f"{FIGURE_MENUS}|Verification item lists", "menu_access"),
    ],
    SUPERVISOR: [
        ("VerificationRequests|VerificationFigures|VerificationLists", "can_read"),
        (f"{FIGURE_MENUS}|Verification item lists", "menu_access"),
    ],
    PROVINCE_ADMIN: [
        ("VerificationRequests|VerificationFigures", "can_read"),
        ("VerificationLists", "can_(read|write)"),
        (f"{FIGURE_MENUS}|Verification item lists", "menu_access"),
    ],
}
