"""Which licence views and menus each role may use (see app.core.roles for the format)."""

from __future__ import annotations

from app.core.roles import (
    COUNTY_COORDINATOR,
    LICENCE_REVIEWER,
    PROVINCE_ADMIN,
    SUPERVISOR,
    UNIT_OPERATOR,
    WINDOW_STAFF,
)

MENU = "Electronic licences"
CATALOGUE_MENU = [(f"{MENU}|Published licence catalogue", "menu_access")]
ISSUING_UNIT = [
    ("Licences|LicenceUsage|LicenceObjections|LicenceEvents", "can_(read|write)"),
    ("LicenceCatalogue", "can_read"),
    (
        f"{MENU}|Licence catalogue entries|Published licence catalogue|Licence usage applications"
        "|Licence objections|Licence status events",
        "menu_access",
    ),
]
READ_ALL = [
    ("Licences|LicenceUsage|LicenceObjections|LicenceEvents|LicenceCatalogue", "can_read"),
    (
        f"{MENU}|Licence catalogue entries|Published licence catalogue|Licence usage applications"
        "|Licence objections|Licence status events",
        "menu_access",
    ),
]

GRANTS: dict[str, list[tuple[str, str]]] = {
    UNIT_OPERATOR: ISSUING_UNIT,
    COUNTY_COORDINATOR: ISSUING_UNIT,
    # The big-data bureau reviews; it may also take objections on behalf of issuing units.
    LICENCE_REVIEWER: READ_ALL
    + [
        ("LicenceReview", "can_(read|write)"),
        ("LicenceObjections", "can_write"),
        ("Licence review queue", "menu_access"),
    ],
    PROVINCE_ADMIN: READ_ALL,
    SUPERVISOR: [
        ("LicenceObjections|LicenceEvents|LicenceCatalogue", "can_read"),
        (
            f"{MENU}|Published licence catalogue|Licence objections|Licence status events",
            "menu_access",
        ),
    ],
    WINDOW_STAFF: [("LicenceCatalogue", "can_read")] + CATALOGUE_MENU,
}
