"""Strings of Flask-AppBuilder's templates that its own Chinese catalogue does not translate.

Marked here so that extraction keeps them in our catalogue (ours is merged over FAB's): the
screen-reader labels of the list buttons (app/templates/appbuilder/general/confirm.html
overrides FAB's dialog, whose buttons FAB hard-codes in English).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FAB_STRINGS = (_l("Show"), _l("Edit"), _l("Delete"), _l("Add"), _l("Back"))
