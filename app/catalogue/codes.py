"""The codes of the catalogue: basic code (基本编码) and implementation code (实施编码).

Basic code — the rule implemented here (national coding rule of seed 000 art. 9 /
GB/T 39554.1-2020, treated as an opaque validated key as DOMAIN.md §2 asks):

* exactly 12 characters, digits ``0-9`` and capital letters ``A-Z`` only;
* characters 1–2 are digits (the issuing authority's division/department prefix);
* characters 3–9 are digits or capital letters (the item body; a letter marks a local series,
  e.g. ``511Z07001006``);
* characters 10–12 are digits (the sub-item sequence, ``000`` for a main item).

Shape: ``^[0-9]{2}[0-9A-Z]{7}[0-9]{3}$``; e.g. ``442199806003``, ``511Z07001006``,
``210973001000``. Input is stripped and upper-cased before checking.

Implementation code — the 31-character national exchange form: the implementing unit's unified
social credit code (18) + the exercise level 行使层级 (1 digit, 1–6) + the basic code (12).
"""

from __future__ import annotations

import re

BASIC_CODE_RE = re.compile(r"^[0-9]{2}[0-9A-Z]{7}[0-9]{3}$")
BASIC_CODE_SHAPE = (
    "12 characters: 2 digits, 7 digits or capital letters, 3 digits (e.g. 511Z07001006)"
)


def normalise_basic_code(code: str | None) -> str:
    return (code or "").strip().upper()


def basic_code_error(code: str | None) -> str | None:
    """None when ``code`` (already normalised) is a valid basic code, else a reason key."""
    if not code:
        return "empty"
    if len(code) != 12:
        return "length"
    if not BASIC_CODE_RE.match(code):
        return "shape"
    return None


def implementation_code(credit_code: str, exercise_level: str, basic_code: str) -> str:
    """The derived 31-character implementation code."""
    code = f"{credit_code}{exercise_level}{basic_code}"
    if len(code) != 31:
        raise ValueError(f"implementation code must be 31 characters, got {code!r}")
    return code


_CREDIT_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{18}$")


def parse_implementation_code(text: str | None) -> tuple[str, str | None, str] | None:
    """Split an implementation code met in an import into (credit code, level, basic code).

    Accepts the 31-character national form (level included) and the longer dashed forms some
    provinces publish, e.g. ``511Z07001006-511602000000-000-11511301008778183N-1-00`` (basic
    code first, the unit's credit code as an 18-character segment; these carry no exercise
    level, so level is None and comes from the unit). Returns None when neither shape fits.
    The product always stores the derived national form (:func:`implementation_code`).
    """
    code = (text or "").strip().upper()
    if len(code) == 31 and code[18] in "123456":
        credit, level, basic = code[:18], code[18], code[19:]
        if _CREDIT_SHAPE.match(credit) and basic_code_error(basic) is None:
            return credit, level, basic
        return None
    parts = code.split("-")
    if len(parts) < 4 or basic_code_error(parts[0]) is not None:
        return None
    credit = next((p for p in parts[1:] if _CREDIT_SHAPE.match(p)), None)
    return (credit, None, parts[0]) if credit else None
