"""Which ratings views and menus each role may use (see app.core.roles for the format)."""

from __future__ import annotations

from app.core.roles import (
    COUNTY_COORDINATOR,
    PROVINCE_ADMIN,
    SUPERVISOR,
    UNIT_OPERATOR,
    WINDOW_STAFF,
)

MENU = "Good and poor ratings"
ALL_MENUS = (
    f"{MENU}|Ratings list|Poor-rating queue|Poor-rating tickets|Rating figures|Rating imports"
    "|Ratings spreadsheets"
)
HANDLER = [
    ("Ratings|RatingTickets", "can_(read|write)"),
    ("RatingFigures", "can_read"),
    (ALL_MENUS, "menu_access"),
]

GRANTS: dict[str, list[tuple[str, str]]] = {
    # The unit answers its poor ratings; the county coordinator imports, agrees to "invalid"
    # and takes the tickets sent up.
    UNIT_OPERATOR: HANDLER,
    COUNTY_COORDINATOR: HANDLER,
    PROVINCE_ADMIN: HANDLER,
    SUPERVISOR: [
        ("Ratings|RatingTickets|RatingFigures", "can_read"),
        (f"{MENU}|Ratings list|Poor-rating tickets|Rating figures", "menu_access"),
    ],
    # Hall staff record a paper or evaluator rating by hand.
    WINDOW_STAFF: [
        ("Ratings", "can_(read|write)"),
        (f"{MENU}|Ratings list", "menu_access"),
    ],
}
