"""Every rule of the licence domain: codes, registration and usage review, samples, objections,
status events. Functions take a keyword-only ``actor`` and a ``session``; they never read
``flask.request``. Views and APIs call them and render the domain errors they raise.

The package is split along its seams: ``codes``, ``registration`` (entries, face fields, status
events), ``review``, ``usage`` (applications, accepting items), ``samples`` and ``objections``;
it re-exports their public names.
"""

from app.licences.services.codes import (
    LICENCE_OID_PREFIX,
    iso7064_mod37_36,
    licence_number_message,
    make_licence_number,
    type_code_message,
)
from app.licences.services.objections import (
    MARK_WORKING_DAYS,
    VERIFY_WORKING_DAYS,
    count_overdue_objections,
    handled_late_objections_count,
    mark_objection,
    overdue_objections_query,
    record_objection,
    resolve_objection,
)
from app.licences.services.registration import (
    DiffLine,
    Reviewed,
    diff_against_rejection,
    ensure_entry_deletable,
    ensure_face_field_deletable,
    prepare_entry,
    prepare_face_field,
    prepare_status_event,
    snapshot,
)
from app.licences.services.review import QueueRow, approve, deprecate, reject, review_queue, submit
from app.licences.services.samples import (
    SAMPLE_TYPES,
    attach_sample,
    check_sample,
    sample_name_message,
    sample_path,
)
from app.licences.services.usage import (
    ensure_application_deletable,
    licences_accepted_by,
    prepare_item_link,
    prepare_usage_application,
)
from app.licences.states import EDITABLE_STATES  # used through this package by callers

__all__ = [
    "EDITABLE_STATES",
    "LICENCE_OID_PREFIX",
    "MARK_WORKING_DAYS",
    "SAMPLE_TYPES",
    "VERIFY_WORKING_DAYS",
    "DiffLine",
    "QueueRow",
    "Reviewed",
    "approve",
    "attach_sample",
    "check_sample",
    "count_overdue_objections",
    "deprecate",
    "diff_against_rejection",
    "ensure_application_deletable",
    "ensure_entry_deletable",
    "ensure_face_field_deletable",
    "handled_late_objections_count",
    "iso7064_mod37_36",
    "licence_number_message",
    "licences_accepted_by",
    "make_licence_number",
    "mark_objection",
    "overdue_objections_query",
    "prepare_entry",
    "prepare_face_field",
    "prepare_item_link",
    "prepare_status_event",
    "prepare_usage_application",
    "record_objection",
    "reject",
    "resolve_objection",
    "review_queue",
    "sample_name_message",
    "sample_path",
    "snapshot",
    "submit",
    "type_code_message",
]
