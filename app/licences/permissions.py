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
ALL_MENUS = (
    f"{MENU}|Licence catalogue entries|Published licence catalogue"
    "|Licences accepted by service items|Licence usage applications"
    "|Licence objections|Licence status events"
)
ISSUING_UNIT = [
    (
        "Licences|LicenceItemLinks|LicenceUsage|LicenceObjections|LicenceEvents",
        "can_(read|write)",
    ),
    ("LicenceCatalogue", "can_read"),
    (ALL_MENUS, "menu_access"),
]
READ_ALL = [
    (
        "Licences|LicenceItemLinks|LicenceUsage|LicenceObjections|LicenceEvents|LicenceCatalogue",
        "can_read",
    ),
    (ALL_MENUS, "menu_access"),
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
        ("LicenceObjections|LicenceEvents|LicenceCatalogue|LicenceItemLinks", "can_read"),
        (
            f"{MENU}|Published licence catalogue|Licences accepted by service items"
            "|Licence objections|Licence status events",
            "menu_access",
        ),
    ],
    # Window staff: read-only lookups (published catalogue, what their hall's items accept).
    WINDOW_STAFF: [
        ("LicenceCatalogue|LicenceItemLinks", "can_read"),
        (f"{MENU}|Published licence catalogue|Licences accepted by service items", "menu_access"),
    ],
}
