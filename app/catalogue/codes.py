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
