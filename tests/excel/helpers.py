"""Shared steps of the spreadsheet tests."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from app.core.models import Unit
from app.extensions import db

FILES = Path(__file__).with_name("files")


def post_file(
    client, headers, data: bytes, name="units.xlsx", url="/api/v1/unit_list/import", **form
):
    return client.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def unit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Unit))


def unit_snapshot(app) -> list[tuple]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(
                    Unit.id,
                    Unit.name,
                    Unit.credit_code,
                    Unit.region_id,
                    Unit.kind,
                    Unit.liaison_name,
                    Unit.liaison_phone,
                    Unit.active,
                    Unit.version,
                ).order_by(Unit.id)
            )
        ]
