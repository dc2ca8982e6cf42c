"""Form fields of the licence views (select lists from the domain's closed lists)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Field, FileField

from app.core.base_views import enum_select
from app.licences.states import (
    FaceFieldType,
    HolderCategory,
    ObjectionSource,
    StatusEventType,
    TrustLevel,
    UsageMode,
    ValidityRule,
)


def sample_field() -> FileField:
    return FileField(
        _l("Sample file"),
        description=_l("PDF, PNG or JPEG; the content is checked, not only the name."),
    )


def face_field_fields() -> dict[str, Field]:
    """The extra fields of the face-field add and edit forms."""
    return {"data_type": enum_select(_l("Data type"), FaceFieldType)}


def entry_fields() -> dict[str, Field]:
    """The extra fields of the catalogue-entry add and edit forms (with the sample upload)."""
    return {
        "holder_category": enum_select(_l("Holder category"), HolderCategory),
        "validity_rule": enum_select(_l("Validity rule"), ValidityRule),
        "trust_level": enum_select(_l("Trust level"), TrustLevel),
        "sample_upload": sample_field(),
    }


def usage_application_fields() -> dict[str, Field]:
    """The extra fields of the usage-application add and edit forms."""
    return {"mode": enum_select(_l("Usage mode"), UsageMode)}


def objection_fields() -> dict[str, Field]:
    """The extra fields of the objection add form."""
    return {"source": enum_select(_l("Raised by (kind)"), ObjectionSource)}


def status_event_fields() -> dict[str, Field]:
    """The extra fields of the status-event add form."""
    return {"event_type": enum_select(_l("Event"), StatusEventType)}
