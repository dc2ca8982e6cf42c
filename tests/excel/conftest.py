"""Spreadsheet tests run background jobs inline (JOBS_EAGER) unless a test says otherwise."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def eager_jobs(app):
    previous = app.config.get("JOBS_EAGER")
    app.config["JOBS_EAGER"] = True
    yield
    app.config["JOBS_EAGER"] = previous
