"""Which catalogue views each role may use (see app.core.roles for the format)."""

from __future__ import annotations

GRANTS: dict[str, list[tuple[str, str]]] = {}
