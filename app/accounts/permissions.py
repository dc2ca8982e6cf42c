"""Grants of the accounts domain (format: see app.core.roles)."""

from __future__ import annotations

from app.core.roles import (
    COUNTY_COORDINATOR,
    PROVINCE_ADMIN,
    SECURITY_ADMIN,
    SYS_ADMIN,
    UNIT_OPERATOR,
)

MENU = "Window accounts"
SHEETS = ("Spreadsheets|Window account spreadsheets", "menu_access")

GRANTS: dict[str, list[tuple[str, str]]] = {
    # The unit files requests and names its liaison.
    UNIT_OPERATOR: [
        ("AccountRequests|WindowUsers|Liaisons", "can_read"),
        ("AccountRequests|Liaisons", "can_write"),
        (f"{MENU}|Account requests|Window users|Unit liaisons", "menu_access"),
        SHEETS,
    ],
    # The region's coordinator decides requests and watches its units.
    COUNTY_COORDINATOR: [
        ("AccountRequests|WindowUsers|Liaisons|AccountOverview", "can_read"),
        ("AccountRequests", "can_approve"),
        (
            f"{MENU}|Accounts overview|Account requests|Window users|Unit liaisons",
            "menu_access",
        ),
        SHEETS,
    ],
    PROVINCE_ADMIN: [
        ("AccountRequests|WindowUsers|Liaisons|AccountOverview", "can_read"),
        (
            f"{MENU}|Accounts overview|Account requests|Window users|Unit liaisons",
            "menu_access",
        ),
        SHEETS,
    ],
    # 三员分立: the system administrator keeps accounts (and may reset a password) ...
    SYS_ADMIN: [
        ("ResetPasswordView", "can_this_form_(get|post)"),
        ("User", "can_(get|info|post|put)"),
        ("WindowUsers", "can_read"),
        (f"{MENU}|Window users", "menu_access"),
    ],
    # ... the security administrator keeps locks, sessions and the password policy's effects.
    SECURITY_ADMIN: [
        ("AccountSecurity", "can_(read|write)"),
        ("Role", "can_(get|info|post|put|list_role_permissions|add_role_permissions)"),
        ("Permission|ViewMenu|PermissionViewMenu", "can_(get|info)"),
        ("Security|Account security|Online users|Security policy", "menu_access"),
    ],
}
