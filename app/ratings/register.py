"""Menu entries and APIs of the ratings domain."""

from __future__ import annotations

from flask_appbuilder import AppBuilder

from app.ratings import models  # noqa: F401 - the tables


def register(appbuilder: AppBuilder) -> None:
    pass
