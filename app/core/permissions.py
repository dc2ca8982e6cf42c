"""Which core views and menus each role may use (see app.core.roles for the format)."""

from __future__ import annotations

from app.core.roles import (
    AUDIT_ADMIN,
    COUNTY_COORDINATOR,
    LEGAL_REVIEWER,
    LICENCE_REVIEWER,
    PROVINCE_ADMIN,
    SECURITY_ADMIN,
    SUPERVISOR,
    SYS_ADMIN,
    UNIT_OPERATOR,
    WINDOW_STAFF,
)

OWN_ACCOUNT = [
    ("UserDBModelView", "can_userinfo"),
    ("UserInfoEditView", "can_this_form_(get|post)"),
    ("ResetMyPasswordView", "can_this_form_(get|post)"),
    ("UserDBModelView", "resetmypassword|userinfoedit"),
    # The OpenAPI document and its browser, for those who script against the API.
    ("OpenApi", "can_get"),
    ("SwaggerView", "can_show"),
    ("MenuApi", "can_get"),
]
READ_ORGANISATION = [
    ("Regions", "can_read"),
    ("Units", "can_read"),
    ("Calendar", "can_read"),
    ("Organisation|Regions|Units|Working calendar|Calendar days|Calendar years", "menu_access"),
]

GRANTS: dict[str, list[tuple[str, str]]] = {
    PROVINCE_ADMIN: OWN_ACCOUNT
    + READ_ORGANISATION
    + [
        ("Regions|Units|Calendar", "can_write"),
    ],
    COUNTY_COORDINATOR: OWN_ACCOUNT + READ_ORGANISATION,
    UNIT_OPERATOR: OWN_ACCOUNT + READ_ORGANISATION,
    LEGAL_REVIEWER: OWN_ACCOUNT + READ_ORGANISATION,
    LICENCE_REVIEWER: OWN_ACCOUNT + READ_ORGANISATION,
    SUPERVISOR: OWN_ACCOUNT + READ_ORGANISATION,
    WINDOW_STAFF: OWN_ACCOUNT + [("Units", "can_read"), ("Organisation|Units", "menu_access")],
    SYS_ADMIN: OWN_ACCOUNT
    + READ_ORGANISATION
    + [
        ("Units", "can_write"),
        ("UserDBModelView", "can_(list|show|add|edit)|resetpasswords"),
        ("Security|List Users", "menu_access"),
    ],
    SECURITY_ADMIN: OWN_ACCOUNT
    + [
        ("RoleModelView", "can_(list|show|add|edit)|copyrole"),
        ("PermissionModelView|ViewMenuModelView|PermissionViewModelView", "can_list"),
        (
            "Security|List Roles|Base Permissions|Views/Menus|Permission on Views/Menus",
            "menu_access",
        ),
    ],
    AUDIT_ADMIN: OWN_ACCOUNT
    + [
        ("AuditLog", "can_read"),
        ("Audit|Audit log", "menu_access"),
    ],
}
