"""The import history: one row per uploaded file, with its mapping, preview and outcome."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import ReachRule, Region, Unit, utcnow
from app.excel.states import ImportStatus
from app.extensions import db


class ImportBatch(db.Model):
    """An uploaded spreadsheet and what became of it (DOMAIN.md §9 import history).

    The original file is stored under ``IMPORTS_DIR`` as ``stored_name`` (generated, never the
    user's file name). Who imported it places it in reach: a county coordinator sees the imports
    of its region, a unit operator those of its unit.
    """

    __tablename__ = "import_batch"
    __reach__ = ReachRule(region="region_id", unit="unit_id")
    # Recorded explicitly as IMPORT events (upload, preview, confirm); progress updates are noise.
    __audit_exclude__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_name: Mapped[str] = mapped_column(String(32), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    file_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    file_size: Mapped[int] = mapped_column(Integer, nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=ImportStatus.UPLOADED.value
    )
    layouts: Mapped[str | None] = mapped_column(Text)  # JSON: sheets, header rows, mapping
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    new_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    changed_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    invalid_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    preview: Mapped[str | None] = mapped_column(Text)  # JSON: errors, changes, warnings (capped)
    plan_hash: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(String(500))
    job_id: Mapped[str | None] = mapped_column(String(64))
    annotated_name: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    previewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    region: Mapped[Region | None] = relationship()
    unit: Mapped[Unit | None] = relationship()

    __table_args__ = (Index("ix_import_batch_list_name_id", "list_name", "id"),)

    @property
    def status_label(self) -> str:
        return ImportStatus.label_of(self.status)

    @property
    def status_enum(self) -> ImportStatus:
        return ImportStatus(self.status)

    def preview_data(self) -> dict[str, Any]:
        return json.loads(self.preview) if self.preview else {}

    def layout_data(self) -> list[dict[str, Any]]:
        return json.loads(self.layouts) if self.layouts else []

    def __repr__(self) -> str:
        return f"#{self.id} {self.file_name}"
