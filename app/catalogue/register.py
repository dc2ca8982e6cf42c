"""Menu entries and APIs of the catalogue domain."""

from __future__ import annotations

from flask_appbuilder import AppBuilder

from app.catalogue import models  # noqa: F401 - the tables must be known to the metadata


def register(appbuilder: AppBuilder) -> None:
    pass
