"""The import/export engine: upload → mapping → preview → confirm, history, templates, export.

Every list goes through these functions with its own :class:`~app.excel.spec.ListSpec`:

1. :func:`upload` stores the original under ``IMPORTS_DIR`` (generated name), checks what the
   file really is (size, type, zip bomb) and proposes a column mapping per sheet (header row
   found below title rows, merged header cells, synonyms).
2. :func:`start_preview` (after the user confirmed or corrected the mapping) runs
   :func:`preview_job` in the background: every row is converted, checked and compared with
   the stored record, in batches with one query per batch. The counts (new / changed /
   unchanged / invalid), the errors (sheet, row, column, message) and the changes (old → new)
   are kept on the import, plus a fingerprint of the plan and an annotated copy of the file.
3. :func:`start_confirm` runs :func:`confirm_job`, inside ONE transaction: the previewed plan
   is applied batch by batch once the fingerprint of what its checks read is unchanged
   (:func:`apply_plan`); a list that keeps no plan is analysed again and its plan must equal
   the previewed one. Any difference, error, exception or killed process means nothing is
   committed.

The package is split along its seams: ``files`` (the registry of lists, stored files, templates,
export), ``workflow`` (the steps and their jobs), ``analysis`` (the rows' checks) and ``plan``
(the previewed plan file); it re-exports their public names.
"""

from app.excel.services.analysis import (
    ANNOTATED_ERRORS,
    BATCH_ROWS,
    SHOWN_CHANGES,
    SHOWN_ERRORS,
    Analysis,
    analyse,
    apply_plan,
    error_text,
)
from app.excel.services.files import (
    export,
    export_filename,
    get_batch,
    history,
    imports_dir,
    open_stored,
    read_stored,
    register_spec,
    spec_for,
    specs,
    stored_path,
    template,
    template_filename,
)
from app.excel.services.plan import PLAN_FORMAT
from app.excel.services.workflow import (
    MappingReport,
    confirm_job,
    mapping_report,
    preview_job,
    refresh,
    set_mapping,
    settle,
    settled,
    start_confirm,
    start_preview,
    upload,
)

__all__ = [
    "ANNOTATED_ERRORS",
    "BATCH_ROWS",
    "PLAN_FORMAT",
    "SHOWN_CHANGES",
    "SHOWN_ERRORS",
    "Analysis",
    "MappingReport",
    "analyse",
    "apply_plan",
    "confirm_job",
    "error_text",
    "export",
    "export_filename",
    "get_batch",
    "history",
    "imports_dir",
    "mapping_report",
    "open_stored",
    "preview_job",
    "read_stored",
    "refresh",
    "register_spec",
    "set_mapping",
    "settle",
    "settled",
    "spec_for",
    "specs",
    "start_confirm",
    "start_preview",
    "stored_path",
    "template",
    "template_filename",
    "upload",
]
