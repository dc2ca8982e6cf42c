"""Every verification test: the issuing and approving units' staff, the clock on a Monday
morning in office hours, results written to a temporary folder."""

from __future__ import annotations

from typing import Any

import pytest

from tests.verification.factories import MONDAY_10, staff


@pytest.fixture
def setup(app: Any, world: Any, clock: Any, monkeypatch: Any, tmp_path: Any) -> Any:
    staff(app, world)
    clock(MONDAY_10)
    monkeypatch.setitem(app.config, "VERIFICATION_FILES_DIR", str(tmp_path / "results"))
    return world
