"""How FAB's permissions read on the role and permission pages: Chinese labels for the
permission names (``can_edit`` → 修改) and the view/menu names (``UserDBModelView``,
``ImplementationList``, ``Audit log``).

Display only: the stored names stay FAB's identifiers (grants, ``sync_roles`` and the audit
log's ``repr`` use them). View/menu names are named as the application names them: the menu
items' labels and the titles of the registered views (by ``class_permission_name``), like
:mod:`app.core.audit_display` names fields; FAB's own views that no menu shows are named here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

PERMISSION_LABELS: dict[str, Any] = {
    "can_read": _l("View (permission)"),
    "can_write": _l("Edit (write)"),
    "can_add": _l("Add"),
    "can_edit": _l("Modify"),
    "can_delete": _l("Delete"),
    "can_list": _l("List"),
    "can_show": _l("Show details"),
    "can_approve": _l("Approve (permission)"),
    "can_download": _l("Download"),
    "can_get": _l("Read through the API"),
    "can_post": _l("Add through the API"),
    "can_put": _l("Change through the API"),
    "can_info": _l("API field information"),
    "can_this_form_get": _l("Open the form"),
    "can_this_form_post": _l("Submit the form"),
    "can_userinfo": _l("View own details"),
    "userinfoedit": _l("Edit own details"),
    "resetmypassword": _l("Change own password"),
    "resetpasswords": _l("Reset passwords"),
    "copyrole": _l("Copy role"),
    "menu_access": _l("Menu access"),
}

# FAB's own roles, which no person is given (the others are named in Chinese already).
ROLE_LABELS: dict[str, Any] = {
    "Admin": _l("Built-in administrator (given to no one)"),
    "Public": _l("Anonymous visitor"),
}

# FAB's own views and menus that no menu item of ours labels.
OTHER_VIEW_LABELS: dict[str, Any] = {
    "AuthDBView": _l("Sign-in"),
    "LocaleView": _l("Language switch"),
    "UtilView": _l("Back link"),
    "ZwIndexView": _l("Workbench"),
    "MenuApi": _l("Menu API"),
    "OpenApi": _l("API description"),
    "SwaggerView": _l("API documentation"),
    "SecurityApi": _l("API sign-in"),
    "UserInfoEditView": _l("My details"),
    "ResetMyPasswordView": _l("Change my password"),
    "ResetPasswordView": _l("Reset a user's password"),
    "UserDBModelView": _l("Users"),
    "RoleModelView": _l("Roles"),
    "PermissionModelView": _l("Base permissions"),
    "ViewMenuModelView": _l("Views and menus"),
    "PermissionViewModelView": _l("Permissions on views and menus"),
    "UserGroupModelView": _l("User groups"),
    "List Groups": _l("User groups"),
}


@lru_cache(maxsize=1)
def _view_labels() -> dict[str, Any]:
    """View-menu name → label: FAB's own views (named here), the menu items by name, the views
    by ``class_permission_name`` (their list title, else the label of their menu item)."""
    labels: dict[str, Any] = dict(OTHER_VIEW_LABELS)
    appbuilder = current_app.appbuilder  # type: ignore[attr-defined]
    by_view: dict[str, Any] = {}

    def walk(items: Any) -> None:
        for item in items or []:
            if isinstance(item.label, LazyString):
                labels.setdefault(item.name, item.label)
                if item.baseview is not None:
                    by_view.setdefault(item.baseview.class_permission_name, item.label)
            walk(item.childs)

    walk(appbuilder.menu.menu)
    for view in appbuilder.baseviews:
        title = getattr(view, "list_title", None)
        if isinstance(title, LazyString):
            labels.setdefault(view.class_permission_name, title)
    for name, label in by_view.items():
        labels.setdefault(name, label)
    return labels


def permission_label(name: str | None) -> str:
    """``can_edit`` → 修改; an unknown name is shown as it is."""
    label = PERMISSION_LABELS.get(name or "")
    return str(label) if label is not None else name or ""


def view_menu_label(name: str | None) -> str:
    """``ImplementationList`` → 实施清单; an unknown name is shown as it is."""
    if not has_app_context():
        return name or ""
    label = _view_labels().get(name or "")
    return str(label) if label is not None else name or ""


def role_label(name: str | None) -> str:
    """FAB's ``Admin`` and ``Public`` by a Chinese label; our roles by their own names."""
    label = ROLE_LABELS.get(name or "")
    return str(label) if label is not None else name or ""


def permission_view_label(permission_view: Any) -> str:
    """「实施清单：修改」 for ``can_edit on ImplementationList``."""
    view = permission_view.view_menu
    permission = permission_view.permission
    return "{}：{}".format(
        view_menu_label(view.name if view is not None else ""),
        permission_label(permission.name if permission is not None else ""),
    )


def _permission_view_repr(permission_view: Any) -> str:
    """FAB's text of a permission on a view (kept: the audit log stores it)."""
    permission = permission_view.permission
    view = permission_view.view_menu
    name = permission.name if permission is not None else "None"
    return name.replace("_", " ") + f" on {view.name if view is not None else 'None'}"


def install() -> None:
    """FAB's permission models read in Chinese when shown (``str``: lists, forms, filters);
    their ``repr`` stays the identifiers."""
    from flask_appbuilder.security.sqla import models

    if getattr(models.PermissionView, "_zw_labels", False):
        return
    models.Permission.__str__ = lambda self: permission_label(self.name)
    models.ViewMenu.__str__ = lambda self: view_menu_label(self.name)
    models.PermissionView.__repr__ = _permission_view_repr
    models.PermissionView.__str__ = permission_view_label
    models.PermissionView._zw_labels = True
