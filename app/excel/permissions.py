"""Who may use the spreadsheet pages. Import and export are guarded by each list's own
permission (units: ``Units``: can_read → template, export, history; can_write → import)."""

from __future__ import annotations

from app.core.roles import (
    COUNTY_COORDINATOR,
    LEGAL_REVIEWER,
    LICENCE_REVIEWER,
    PROVINCE_ADMIN,
    SUPERVISOR,
    SYS_ADMIN,
    UNIT_OPERATOR,
    WINDOW_STAFF,
)

UNITS = "Unit spreadsheets"
ITEMS = "Implementation list spreadsheets"


def _menu(*names: str) -> tuple[str, str]:
    return ("|".join(("Spreadsheets", *names)), "menu_access")


# The data permissions themselves (Units, ImplementationList: can_read / can_write) are granted
# by the domains owning the lists; these are only the menu entries.
GRANTS: dict[str, list[tuple[str, str]]] = {
    PROVINCE_ADMIN: [_menu(UNITS, ITEMS)],
    SYS_ADMIN: [_menu(UNITS)],
    COUNTY_COORDINATOR: [_menu(UNITS, ITEMS)],
    UNIT_OPERATOR: [_menu(ITEMS)],
    SUPERVISOR: [_menu(UNITS, ITEMS)],
    LEGAL_REVIEWER: [_menu(ITEMS)],
    LICENCE_REVIEWER: [_menu(ITEMS)],
    WINDOW_STAFF: [],
}
