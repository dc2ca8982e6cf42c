"""Licence identifiers: type codes and licence numbers (ISO 7064 MOD 37,36)."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from app.core.codes import credit_code_error
from app.core.services import credit_code_message

# -- identifiers -------------------------------------------------------------------------

_TYPE_CODE_RE = re.compile(r"^(?P<body>[0-9A-Z]{18})(?P<number>\d{3})$")
LICENCE_OID_PREFIX = "1.2.156.3005.2."
_ISO7064_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LICENCE_NUMBER_RE = re.compile(
    r"^1\.2\.156\.3005\.2\.(?P<type>[0-9A-Z]{21})\.(?P<issuer>[0-9A-Z]{18})"
    r"\.(?P<serial>[0-9A-Z]{1,32})\.(?P<version>\d{3})\.(?P<check>[0-9A-Z])$"
)


def type_code_message(code: str | None) -> str | None:
    """Why ``code`` is not a licence type code (credit code of the defining body + 3 digits)."""
    match = _TYPE_CODE_RE.match(code or "")
    if not match:
        return _(
            "A licence type code is the defining body's 18-character unified social credit "
            "code followed by 3 digits (21 characters)."
        )
    if credit_code_error(match["body"]):
        return _("The first 18 characters: %(reason)s", reason=credit_code_message(match["body"]))
    return None


def iso7064_mod37_36(data: str) -> str:
    """The ISO 7064 MOD 37,36 (hybrid) check character of an upper-case alphanumeric string."""
    modulus, product = 36, 36
    for ch in data:
        product = (product + _ISO7064_ALPHABET.index(ch)) % modulus or modulus
        product = (product * 2) % (modulus + 1)
    return _ISO7064_ALPHABET[(modulus + 1 - product) % modulus]


def licence_number_message(number: str | None, type_code: str | None = None) -> str | None:
    """Why ``number`` is not a licence identifier (GB/T 36904-2018) of ``type_code``."""
    match = _LICENCE_NUMBER_RE.match(number or "")
    if not match:
        return _(
            "A licence number reads 1.2.156.3005.2.<type code>.<issuing body code>.<serial>."
            "<3-digit version>.<check character>."
        )
    if type_code and match["type"] != type_code:
        return _("The licence number is not of licence type %(code)s.", code=type_code)
    body = match.string[len(LICENCE_OID_PREFIX) : -2].replace(".", "")
    if iso7064_mod37_36(body) != match["check"]:
        return _("The check character of the licence number is wrong.")
    return None


def make_licence_number(type_code: str, issuer_code: str, serial: str, version: int = 1) -> str:
    """Build a valid licence number (demo data and tests)."""
    body = f"{type_code}.{issuer_code}.{serial}.{version:03d}"
    return f"{LICENCE_OID_PREFIX}{body}.{iso7064_mod37_36(body.replace('.', ''))}"


def _clean(value: str | None) -> str:
    return (value or "").strip()
