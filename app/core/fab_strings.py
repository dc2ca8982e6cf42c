"""Strings of Flask-AppBuilder's templates and filters that its own Chinese catalogue does not
translate, or translates so that they read oddly.

Marked here so that extraction keeps them in our catalogue (ours is merged over FAB's, so a msgid
given here wins): the screen-reader labels of the list buttons (app/templates/appbuilder/general/
confirm.html overrides FAB's dialog, whose buttons FAB hard-codes in English), the delete
confirmation, the search filters' operators (FAB's 「以开始」, 「关联/不关联」), the user pages'
titles. :func:`install` gives FAB's empty drop-down choice a label: WTForms shows an empty label
as its value, ``__None``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

FAB_STRINGS = (
    _l("Show"),
    _l("Edit"),
    _l("Delete"),
    _l("Add"),
    _l("Back"),
    _l("Are you sure you want to delete this item?"),
    _l("Starts with"),
    _l("Not Starts with"),
    _l("Ends with"),
    _l("Not Ends with"),
    _l("Contains"),
    _l("Not Contains"),
    _l("Relation"),
    _l("No Relation"),
    _l("Relation as Many"),
    _l("In"),
    _l("Not In"),
    _l("Record Count"),
    _l("Reset Password Form"),
    _l("Password Changed"),
    _l("Is Active?"),
    _l("Your user information"),
)

#: The empty choice of an optional drop-down.
NO_CHOICE = _l("(none)")


def install() -> None:
    """FAB's QuerySelectField with a readable empty choice (FAB leaves its label empty)."""
    from flask_appbuilder.fields import QuerySelectField

    if getattr(QuerySelectField, "_zw_blank_text", False):
        return
    original = QuerySelectField.__init__

    def init_with_blank_text(self: Any, *args: Any, blank_text: Any = "", **kwargs: Any) -> None:
        original(self, *args, blank_text=blank_text or NO_CHOICE, **kwargs)

    QuerySelectField.__init__ = init_with_blank_text
    QuerySelectField._zw_blank_text = True
