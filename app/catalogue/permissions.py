"""Which catalogue views each role may use (see app.core.roles for the format).

Views and APIs share a permission name per resource: ItemTypes, BasicCatalogue,
ImplementationList, Adjustments, Filings. The services check the finer rules (who may take
which step of an adjustment, whose items): a legality reviewer needs ``can_write`` on
Adjustments to record decisions but cannot propose one.
"""

from __future__ import annotations

from app.core.roles import (
    COUNTY_COORDINATOR,
    LEGAL_REVIEWER,
    LICENCE_REVIEWER,
    PROVINCE_ADMIN,
    SUPERVISOR,
    UNIT_OPERATOR,
    WINDOW_STAFF,
)

MENU = "Catalogue|Public service guide"


def _menus(*names: str) -> tuple[str, str]:
    return ("|".join((MENU, *names)), "menu_access")


GRANTS: dict[str, list[tuple[str, str]]] = {
    PROVINCE_ADMIN: [
        ("ItemTypes|BasicCatalogue|ImplementationList|Adjustments|Filings", "can_(read|write)"),
        _menus(
            "Basic catalogue",
            "Implementation list",
            "Adjustments",
            "My review queue",
            "Filings",
            "Item types",
        ),
        ("Spreadsheets|Basic catalogue spreadsheets", "menu_access"),
    ],
    COUNTY_COORDINATOR: [
        ("ItemTypes|BasicCatalogue", "can_read"),
        ("ImplementationList|Adjustments|Filings", "can_(read|write)"),
        _menus("Basic catalogue", "Implementation list", "Adjustments", "Filings"),
    ],
    UNIT_OPERATOR: [
        ("ItemTypes|BasicCatalogue", "can_read"),
        ("ImplementationList|Adjustments", "can_(read|write)"),
        _menus("Basic catalogue", "Implementation list", "Adjustments"),
    ],
    LEGAL_REVIEWER: [
        ("BasicCatalogue|ImplementationList", "can_read"),
        ("Adjustments", "can_(read|write)"),
        _menus("Basic catalogue", "Implementation list", "Adjustments", "My review queue"),
    ],
    SUPERVISOR: [
        ("ItemTypes|BasicCatalogue|ImplementationList|Adjustments|Filings", "can_read"),
        _menus("Basic catalogue", "Implementation list", "Adjustments", "Filings"),
    ],
    LICENCE_REVIEWER: [
        ("BasicCatalogue|ImplementationList", "can_read"),
        _menus("Basic catalogue", "Implementation list"),
    ],
    WINDOW_STAFF: [
        ("BasicCatalogue|ImplementationList", "can_read"),
        _menus("Basic catalogue", "Implementation list"),
    ],
}
