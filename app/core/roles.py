"""The roles of DOMAIN.md §1: their reach and the permissions they are granted.

Permissions are FAB permission-view pairs. Our views and APIs group their methods under a
``class_permission_name`` (e.g. ``Units``) with two permissions, ``can_read`` and ``can_write``,
so a grant reads ``("Units", "can_read")``. Each domain package adds its grants in its own
``permissions.py`` (``GRANTS``); :func:`sync_roles` (run by ``flask setup``) makes the database
match exactly, so a role never silently keeps a permission that was taken out of the code.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from app.core.states import ReachKind

if TYPE_CHECKING:
    from app.core.actor import Actor

PROVINCE_ADMIN = "省级管理员"
COUNTY_COORDINATOR = "市县协调员"
UNIT_OPERATOR = "单位经办人"
LEGAL_REVIEWER = "合法性审核员"
LICENCE_REVIEWER = "证照审核员"
SUPERVISOR = "监督员"
WINDOW_STAFF = "窗口人员"
SYS_ADMIN = "系统管理员"
SECURITY_ADMIN = "安全管理员"
AUDIT_ADMIN = "审计管理员"
FAB_ADMIN = "Admin"

ROLE_REACH: dict[str, ReachKind] = {
    PROVINCE_ADMIN: ReachKind.PROVINCE,
    COUNTY_COORDINATOR: ReachKind.REGION,
    UNIT_OPERATOR: ReachKind.UNIT,
    LEGAL_REVIEWER: ReachKind.REGION,
    LICENCE_REVIEWER: ReachKind.PROVINCE,
    SUPERVISOR: ReachKind.REGION,
    WINDOW_STAFF: ReachKind.UNIT,
    SYS_ADMIN: ReachKind.PROVINCE,
    SECURITY_ADMIN: ReachKind.PROVINCE,
    AUDIT_ADMIN: ReachKind.PROVINCE,
    FAB_ADMIN: ReachKind.PROVINCE,
}

# 三员分立: no account may hold two of these.
SEPARATED_ROLES = (SYS_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN)


READ = "can_read"
WRITE = "can_write"
# Every method of our views and APIs maps to one of two permissions.
METHOD_PERMISSIONS = {
    "list": "read",
    "show": "read",
    "download": "read",
    "get": "read",
    "get_list": "read",
    "info": "read",
    "export": "read",
    "api_read": "read",
    "add": "write",
    "edit": "write",
    "delete": "write",
    "post": "write",
    "put": "write",
    "action": "write",
    "action_post": "write",
    "api_create": "write",
    "api_update": "write",
    "api_delete": "write",
}


def names_of(actor: Actor) -> frozenset[str]:
    """The role names ``actor`` acts with: the system (CLI commands, jobs) acts with every role,
    anyone else with the roles of their account (none when anonymous)."""
    if actor.is_system:
        return frozenset(ROLE_REACH)
    return frozenset(role.name for role in (getattr(actor.user, "roles", None) or []))


def reach_kind_of_roles(role_names: Iterable[str]) -> ReachKind:
    """The broadest reach among the roles; a role unknown to the code grants unit reach only."""
    kinds = [ROLE_REACH.get(name, ReachKind.UNIT) for name in role_names]
    return max(kinds, key=lambda k: k.breadth, default=ReachKind.NONE)


def all_grants() -> dict[str, list[tuple[str, str]]]:
    """Role name → list of (view-menu regex, permission regex), merged over the domains."""
    merged: dict[str, list[tuple[str, str]]] = {
        name: [] for name in ROLE_REACH if name != FAB_ADMIN
    }
    from app import DOMAINS

    for package in DOMAINS:
        module = importlib.import_module(f"{package}.permissions")
        for role, grants in module.GRANTS.items():
            merged.setdefault(role, []).extend(grants)
    return merged


def sync_roles(security_manager: Any) -> dict[str, int]:  # FAB's manager has no types
    """Create the roles and set each one's permissions to exactly its grants."""
    from flask_appbuilder.security.sqla.models import PermissionView

    session = security_manager.session
    pairs = session.query(PermissionView).all()
    counts = {}
    for role_name, grants in all_grants().items():
        role = security_manager.find_role(role_name) or security_manager.add_role(role_name)
        # (?:...): a grant "A|B" means exactly A or B, not "starts with A or ends with B".
        patterns = [(re.compile(f"^(?:{v})$"), re.compile(f"^(?:{p})$")) for v, p in grants]
        role.permissions = [
            pv
            for pv in pairs
            if pv.view_menu
            and pv.permission
            and any(v.match(pv.view_menu.name) and p.match(pv.permission.name) for v, p in patterns)
        ]
        counts[role_name] = len(role.permissions)
    # Start-up and `flask setup`, not a use case: like FAB's own permission sync (which
    # commits through the security manager), the roles are saved here at once.
    session.commit()
    return counts
