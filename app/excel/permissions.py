"""Who may use the spreadsheet pages. Import and export are guarded by each list's own
permission (units: ``Units``: can_read → template, export, history; can_write → import)."""

from __future__ import annotations

from app.core.roles import (
    COUNTY_COORDINATOR,
    PROVINCE_ADMIN,
    SUPERVISOR,
    SYS_ADMIN,
)

GRANTS: dict[str, list[tuple[str, str]]] = {
    PROVINCE_ADMIN: [("Spreadsheets|Unit spreadsheets", "menu_access")],
    SYS_ADMIN: [("Spreadsheets|Unit spreadsheets", "menu_access")],
    COUNTY_COORDINATOR: [("Spreadsheets|Unit spreadsheets", "menu_access")],
    SUPERVISOR: [("Spreadsheets|Unit spreadsheets", "menu_access")],
}
