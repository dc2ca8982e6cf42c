"""The catalogue's lists as spreadsheets through the one engine's writer (DOMAIN.md §9):
adjustment requests and filings as the user filtered them (``ZwModelView.export_filtered_list``)
and one filing's frozen rows in the implementation list's template layout."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response
from sqlalchemy.orm import Session

from app.catalogue import services
from app.catalogue.models import AdjustmentRequest, Filing
from app.catalogue.spreadsheet import ImplementationListSpec
from app.catalogue.states import DEPTH_LABELS, HANDLING_LABELS, STATUS_LABELS
from app.core.audit import AuditAction, record
from app.excel.writer import list_download

# Column keys of the adjustment export (labels: the view's label_columns).
ADJUSTMENT_COLUMNS = [
    "id",
    "implementation_code",
    "item_name",
    "kind_label",
    "state_label",
    "ground_label",
    "legal_basis",
    "unit",
    "region",
    "created_by",
    "submitted_at",
    "due_label",
    "urgent",
    "planned_start",
    "planned_resume",
    "decided_at",
    "last_reason",
]


def adjustment_row(adjustment: AdjustmentRequest) -> list[Any]:
    values = {
        "implementation_code": adjustment.item.implementation_code,
        "item_name": adjustment.item.item_name,
        "unit": adjustment.unit.name,
        "region": adjustment.region.name,
        "urgent": "是" if adjustment.urgent else "否",
    }
    return [
        values[key] if key in values else getattr(adjustment, key) for key in ADJUSTMENT_COLUMNS
    ]


FILING_COLUMNS = [
    "id",
    "region",
    "state_label",
    "filed_at",
    "filed_by",
    "row_count",
    "content_hash",
    "decided_at",
    "decided_by",
    "decision_reason",
    "note",
]


def filing_row(filing: Filing) -> list[Any]:
    return [
        filing.region.name if key == "region" else getattr(filing, key) for key in FILING_COLUMNS
    ]


def _snapshot_cell(key: str, value: Any) -> Any:
    """A frozen value as the implementation list's sheet writes it (Chinese list labels)."""
    if key == "handling_type":
        return HANDLING_LABELS.get(value, value)
    if key == "online_depth":
        return DEPTH_LABELS.get(value, value)
    if key == "status":
        return STATUS_LABELS.get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def filing_snapshot_download(session: Session, filing: Filing, today: dt.date) -> Response:
    """The filing's frozen rows in the implementation list's template layout (its columns in
    its order, those the snapshot holds), with an EXPORT audit record."""
    rows = services.filing_rows(filing)
    keys = set(services.FILING_FIELDS)
    columns = [c for c in ImplementationListSpec.columns if c.key in keys]
    record(
        session,
        AuditAction.EXPORT,
        object_type="Filing",
        object_id=filing.id,
        summary=f"filing snapshot export #{filing.id} ({len(rows)} rows)",
        after={"rows": len(rows)},
    )
    return list_download(
        ImplementationListSpec.title,
        [c.header for c in columns],
        ([_snapshot_cell(c.key, row.get(c.key)) for c in columns] for row in rows),
        f"filing-{filing.id}-{filing.region.code}-{today.isoformat()}",
    )
