"""Licence tests keep sample files in a temporary folder of their own."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def samples_dir(app, tmp_path):
    previous = app.config["LICENCE_SAMPLES_DIR"]
    app.config["LICENCE_SAMPLES_DIR"] = str(tmp_path / "samples")
    yield tmp_path / "samples"
    app.config["LICENCE_SAMPLES_DIR"] = previous
