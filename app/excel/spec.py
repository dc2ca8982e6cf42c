"""Column specs: what one list looks like in a spreadsheet and how its rows become records.

A list (implementing units, the implementation list, window accounts, ratings ...) is described
once by a :class:`ListSpec` subclass: its columns (Chinese header, kind, closed list of values,
synonyms met in the counties' own spreadsheets, width, instructions), the key that identifies a
record, and four hooks the engine calls with whole batches of rows:

* :meth:`ListSpec.prepare` loads what rows refer to (regions, units, codes) once;
* :meth:`ListSpec.existing` loads the stored records for a batch of keys in one query;
* :meth:`ListSpec.check` applies the list's rules to one converted row;
* :meth:`ListSpec.write` inserts and updates a batch inside the import's transaction
  (optionally :meth:`ListSpec.finish` once after the last batch);
* optionally :meth:`ListSpec.fingerprint` (and :meth:`ListSpec.plan_values`), so that the confirm
  can apply the previewed plan instead of checking every row again.

The engine (:mod:`app.excel.services`) does everything else: reading, header detection,
mapping, conversion, diffing, counting, preview, confirm, history, export and templates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.core.actor import Actor

TEXT, INTEGER, CHOICE, BOOLEAN = "text", "integer", "choice", "boolean"
YES, NO = "是", "否"

_SPACES = re.compile(r"\s+")
_FULL_WIDTH = str.maketrans({"（": "(", "）": ")", "：": ":", "／": "/", "＊": "*"})


# Characters that change how text is shown without being seen: bidi embeddings, overrides,
# isolates and marks (U+202E shows "exe.txt" for "txt.exe"), zero-width characters, the BOM, and
# the C0/C1 control characters (BEL ...). Tab, line feed and carriage return are handled apart.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)
_BREAKS = re.compile(r"[\t\r\n]+")


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Imported text as it is stored: without invisible formatting and control characters
    (stripped, not refused: they come from copying, rarely on purpose), trimmed. A multi-line
    column keeps its line breaks (CR LF → LF) and tabs; in any other, they become one space."""
    if text.isprintable():  # the common case, checked in C (no control or format character)
        return text.strip()
    text = _INVISIBLE.sub("", text)
    if multiline:
        return text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return _BREAKS.sub(" ", text).strip()


def normalise_header(text: Any) -> str:
    """A header as compared: no spaces or line breaks, no required-marks, ASCII brackets."""
    value = _SPACES.sub("", str(text or "")).translate(_FULL_WIDTH).strip("*").lower()
    return value


@dataclass(frozen=True)
class Column:
    """One column of a list's spreadsheet."""

    key: str
    header: str  # the Chinese header of the template (data exchange format, not translated)
    kind: str = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()  # the cell values allowed for a closed list
    synonyms: tuple[str, ...] = ()  # other headers meaning the same column
    width: int = 16
    meaning: str = ""  # for the instructions sheet (Chinese)
    example: str = ""
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    # Read-only in this list (e.g. standardized elements): shown and compared, never written.
    readonly: bool = False
    # Other spellings of a closed list's values met in real files ("1" for 一级, 即办 for 即办件).
    aliases: tuple[tuple[str, str], ...] = ()
    # Whether line breaks and tabs are kept (None: a free text without max_length is multi-line).
    multiline: bool | None = None

    @property
    def keeps_lines(self) -> bool:
        if self.multiline is not None:
            return self.multiline
        return self.kind == TEXT and self.max_length is None

    def names(self) -> set[str]:
        return {normalise_header(self.header), normalise_header(self.key)} | {
            normalise_header(s) for s in self.synonyms
        }


class CellError(Exception):
    """A cell that cannot be converted to its column's kind; the message is translated."""


def convert(column: Column, value: Any, choices: Sequence[str] | None = None) -> Any:
    """A cell value (as python-calamine reads it) → the column's Python value, or CellError.

    Empty cells become None. Numbers that look like integers become their digits in text
    columns (a credit code typed as a number), dates where numbers are expected are refused.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if column.kind == INTEGER:
        return _integer(column, value)
    if isinstance(value, bool):
        text = YES if value else NO
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, (dt.date, dt.time)):
        text = value.isoformat()
    elif isinstance(value, dt.timedelta):
        raise CellError(_("The cell holds a duration, not text."))
    else:
        text = clean_text(str(value), multiline=column.keeps_lines)
        if not text:
            return None
    if column.kind == BOOLEAN:
        text = {"Y": YES, "N": NO, "1": YES, "0": NO, "TRUE": YES, "FALSE": NO}.get(
            text.upper(), text
        )
        if text not in (YES, NO):
            raise CellError(_("Enter 是 or 否."))
        return text == YES
    if column.kind == CHOICE:
        allowed = choices if choices is not None else column.choices
        text = dict(column.aliases).get(text, text)
        if text not in allowed:
            raise CellError(
                _("“%(value)s” is not one of the allowed values: %(allowed)s.")
                % {"value": text, "allowed": "、".join(allowed)}
            )
        return text
    if column.max_length and len(text) > column.max_length:
        raise CellError(_("At most %(n)d characters.") % {"n": column.max_length})
    return text


def digest(value: Any) -> str:
    """SHA-256 of plain values (what a fingerprint covers): equal values give equal digests in
    any process. marshal version 2 is fast and keeps no back-references that would depend on
    which objects happen to be shared; values marshal cannot write go through repr()."""
    try:
        blob = marshal.dumps(value, 2)
    except ValueError:
        blob = repr(value).encode()
    return hashlib.sha256(blob).hexdigest()


def cell_converter(column: Column, choices: Sequence[str] | None = None) -> Any:
    """``convert`` for one column, with a short path for the cells big imports are made of
    (a listed text in a closed list, a whole number, 是/否); anything else, errors included,
    goes through :func:`convert` itself."""
    if column.kind == CHOICE:
        allowed = frozenset(choices if choices is not None else column.choices)
        aliases = dict(column.aliases)

        def choice(value: Any) -> Any:
            if value.__class__ is str:
                text = value.strip()
                text = aliases.get(text, text)
                if text in allowed:
                    return text
            return convert(column, value, choices)

        return choice
    if column.kind == INTEGER:
        low = -(2**63) if column.min_value is None else column.min_value
        high = 2**63 if column.max_value is None else column.max_value

        def integer(value: Any) -> Any:
            if (value.__class__ is float and value.is_integer()) or value.__class__ is int:
                number = int(value)
                if low <= number <= high:
                    return number
            return convert(column, value, choices)

        return integer
    if column.kind == BOOLEAN:

        def boolean(value: Any) -> Any:
            if value in (YES, NO):
                return value == YES
            return convert(column, value, choices)

        return boolean
    return lambda value: convert(column, value, choices)


def _integer(column: Column, value: Any) -> int:
    if isinstance(value, bool):
        raise CellError(_("A number is expected here, the cell holds TRUE/FALSE."))
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise CellError(
            _("A number is expected here, the cell holds a date (%(value)s).")
            % {"value": str(value)}
        )
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(
                _("A whole number is expected here (not %(value)s).") % {"value": value}
            )
        number = int(value)
    else:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise CellError(
                _("A whole number is expected here (not “%(value)s”).") % {"value": text}
            )
        number = int(text)
    if column.min_value is not None and number < column.min_value:
        raise CellError(_("Must be at least %(n)d.") % {"n": column.min_value})
    if column.max_value is not None and number > column.max_value:
        raise CellError(_("Must be at most %(n)d.") % {"n": column.max_value})
    return number


def cell_text(column: Column, value: Any) -> Any:
    """A stored value as it is written into a cell (the inverse of :func:`convert`)."""
    if value is None:
        return None
    if column.kind == BOOLEAN:
        return YES if value else NO
    return value


@dataclass
class Row:
    """One converted spreadsheet row on its way through the engine."""

    sheet: str
    number: int  # 1-based row number as the spreadsheet shows it
    values: dict[str, Any]
    # column key → 0-based column index; one dict shared by the rows of a sheet: read only
    cells: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # column key ("" = whole row) → message
    # A new row as the list's write takes it, when its check made it (else plan_values makes it).
    plan: Any = None


class ListSpec:
    """Base class of a list's spec; subclasses set the attributes and implement the hooks."""

    name: str = ""  # url-safe identifier ("units", "implementation_list")
    title: str = ""  # Chinese title of the template sheet and the files
    permission: str = ""  # FAB class_permission_name guarding import and export
    object_type: str = ""  # the audit log's object type
    columns: tuple[Column, ...] = ()
    key: tuple[str, ...] = ()  # column keys identifying a record
    instructions: tuple[str, ...] = ()  # general notes on the instructions sheet (Chinese)
    #: The list's files hold personal data (raters' phone and ID numbers): the engine keeps the
    #: upload, the preview's plan and the annotated error copy under ``IMPORTS_DIR`` sealed
    #: (SM4-GCM, app.core.personal_data) and opens them in memory only.
    sealed: bool = False

    def column(self, key: str) -> Column:
        by_key = self.__dict__.get("_by_key")
        if by_key is None:
            by_key = self.__dict__["_by_key"] = {c.key: c for c in self.columns}
        return by_key[key]

    def choices(self, column: Column, session: Session) -> Sequence[str]:
        """The allowed values of a closed list (override for lists kept in a lookup table)."""
        return column.choices

    def key_of(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        key = tuple(values.get(k) for k in self.key)
        return None if any(part in (None, "") for part in key) else key

    def writable(self) -> list[Column]:
        return [c for c in self.columns if not c.readonly]

    # -- hooks ---------------------------------------------------------------------------

    def normalise(self, values: dict[str, Any]) -> None:
        """Tidy converted values in place before the key is taken (upper-case codes ...)."""

    def prepare(self, session: Session, actor: Actor) -> Any:
        """Load, once per import, what rows may refer to; the result is passed to the hooks."""
        return None

    def existing(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        """The stored records for ``keys`` in ONE query: key → values by column key, plus the
        private entries ``"_id"`` and ``"_in_reach"`` (whether the actor may change it)."""
        raise NotImplementedError

    def check(self, row: Row, stored: dict[str, Any] | None, context: Any, actor: Actor) -> None:
        """Apply the list's rules to a converted row; put messages into ``row.errors``."""

    def write(
        self,
        session: Session,
        actor: Actor,
        creates: list[Any],
        updates: list[tuple[dict[str, Any], dict[str, Any]]],
        context: Any,
    ) -> None:
        """Insert ``creates`` (what :meth:`plan_values` made of new rows) and apply
        ``updates`` ((stored, changed values)) in batches."""
        raise NotImplementedError

    def finish(self, session: Session, actor: Actor, context: Any) -> None:
        """Called once after the last batch of a confirmed import is written, in the same
        transaction: work done once per import instead of once per batch (a summary rewrite)."""

    def fingerprint(
        self,
        keys: Sequence[tuple[Any, ...]],
        stored: dict[tuple[Any, ...], dict[str, Any]],
        context: Any,
    ) -> str | None:
        """A digest of everything stored that :meth:`check` read for a batch of rows with these
        keys (their stored records and what the keys refer to), or None.

        With a digest the preview keeps its plan and the confirm applies it once the digest of
        the data as it is then is the same (no row is read or checked again); None makes the
        confirm read the file and check every row again. Lists whose checks read more than the
        keys lead to (other tables, other rows' values) keep the default.
        """
        return None

    def refresh_references(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> None:
        """Load what :meth:`fingerprint` reads besides the stored records, for a batch whose
        keys had no stored record at the preview: the confirm then reads no records (a record
        created since is refused by the table's unique key, and the import is stale)."""
        self.existing(session, actor, keys, context)

    def plan_values(self, values: dict[str, Any], context: Any) -> Any:
        """A new row's checked values as :meth:`write` takes them (and the preview's plan
        keeps them: plain values only)."""
        return values

    def change_note(self, stored: dict[str, Any]) -> str | None:
        """A note shown beside a changed row in the preview (e.g. "becomes an adjustment")."""
        return None

    def unchanged_note(self, stored: dict[str, Any]) -> str | None:
        """A note shown for an unchanged row in the preview (e.g. "a request is pending")."""
        return None

    def outcome_links(self, session: Session, batch: Any) -> list[tuple[str, str]]:
        """After an import is applied: (text, link) of what it created beyond the rows (e.g. the
        draft adjustment requests of published rows), for the import's page."""
        return []

    def export_rows(
        self, session: Session, actor: Actor, query: Any = None
    ) -> Iterator[dict[str, Any]]:
        """The records to export (already reach-scoped), values by column key, streamed."""
        raise NotImplementedError

    def export_query(self, session: Session, actor: Actor) -> Any:
        """The base query the list's filters are applied to before :meth:`export_rows`."""
        return None


def rows_to_cells(spec: ListSpec, records: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    columns = spec.columns
    for record in records:
        yield [cell_text(c, record.get(c.key)) for c in columns]
