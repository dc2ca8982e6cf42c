"""Validators for the identifiers the province keys on.

* Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from the alphabet
  ``0-9 A-H J-N P-R T U W-Y`` (no I, O, Z, S, V). Position 1 is the registration authority,
  2 the organisation type, 3-8 the administrative-division code, 9-17 the organisation code
  (GB 11714, whose own last character is a check digit) and 18 the check character:
  ``c18 = (31 - sum(value(c_i) * w_i for i in 1..17) mod 31) mod 31`` with weights
  ``3^(i-1) mod 31``.
* Administrative-division code (区划代码): 6 digits down to county level, 9 for a township,
  12 for a village; a child's code starts with its parent's significant prefix.
"""

from __future__ import annotations

import re
from typing import TypeGuard

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{18}$")
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def credit_check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code."""
    pairs = zip(first17, CREDIT_WEIGHTS, strict=True)
    total = sum(CREDIT_ALPHABET.index(ch) * w for ch, w in pairs)
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def organisation_check_character(first8: str) -> str:
    """The GB 11714 check character of a 9-character organisation code."""
    total = sum(CREDIT_ALPHABET.index(ch) * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def credit_code_error(code: str | None) -> str | None:
    """Return None when ``code`` is a valid credit code, else the reason (untranslated key)."""
    if not code:
        return "empty"
    if len(code) != 18:
        return "length"
    if not _CREDIT_RE.match(code):
        return "alphabet"
    if credit_check_character(code[:17]) != code[17]:
        return "check"
    return None


def is_valid_credit_code(code: str | None) -> bool:
    return credit_code_error(code) is None


def make_credit_code(authority_and_type: str, region6: str, org8: str) -> str:
    """Build a valid credit code (used for demo data and tests)."""
    org9 = org8 + organisation_check_character(org8)
    first17 = authority_and_type + region6 + org9
    return first17 + credit_check_character(first17)


_REGION_RE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")


def is_well_formed_region_code(code: str | None) -> TypeGuard[str]:
    return bool(code) and bool(_REGION_RE.match(code or ""))
