"""Personal information at rest (个人信息保护法; 等保 level 3: confidentiality of important data).

A value is stored as SM4-GCM ciphertext (国密 SM4, the block cipher Chinese assessors expect, in
an authenticated mode: a changed byte fails decryption instead of decrypting to something else),
keyed by ``PERSONAL_DATA_KEY`` from configuration — never the database. The column name is bound
as associated data, so a ciphertext copied into another column (a phone into an ID number) does
not decrypt either. Stored form: one format byte, the 12-byte nonce, ciphertext and 16-byte tag.

The masks are how personal data reads everywhere except to the people handling the case:
张*, 138****5678, 4601**********1234. Reading a clear value is audited by the domain that
decides who may read it (it knows the case); this module only encrypts, decrypts and masks.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask import current_app

FORMAT_SM4_GCM = 1
NONCE_BYTES = 12
TAG_BYTES = 16


class PersonalDataError(Exception):
    """A stored value that does not decrypt with the configured key (wrong key or altered)."""


def key_problem(key: str | None) -> str | None:
    """Why ``key`` is not fit to protect personal data in production, or None."""
    from config import DEFAULT_PERSONAL_DATA_KEY

    if not key or key == DEFAULT_PERSONAL_DATA_KEY:
        return "PERSONAL_DATA_KEY is not set (the development key is used)"
    if len(key) < 32 or len(set(key)) < 10:
        return "PERSONAL_DATA_KEY must be a random value of at least 32 characters"
    return None


@functools.lru_cache(maxsize=4)
def _derive(key: str) -> bytes:
    # SM4 takes a 128-bit key; the configured secret is any random text, derived for this use.
    return hmac.digest(key.encode("utf-8"), b"zwfw personal data sm4 v1", "sha256")[:16]


def _key() -> bytes:
    return _derive(str(current_app.config["PERSONAL_DATA_KEY"]))


def encrypt(value: str | None, field: str) -> bytes | None:
    """``value`` as stored in column ``field`` (None and "" stay None)."""
    if not value:
        return None
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(_key()), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(field.encode("ascii"))
    body = encryptor.update(value.encode("utf-8")) + encryptor.finalize()
    return bytes([FORMAT_SM4_GCM]) + nonce + body + encryptor.tag


def decrypt(stored: bytes | None, field: str) -> str | None:
    """The clear value of column ``field``; PersonalDataError when it does not authenticate."""
    if not stored:
        return None
    data = bytes(stored)
    if data[0] != FORMAT_SM4_GCM or len(data) < 1 + NONCE_BYTES + TAG_BYTES:
        raise PersonalDataError("unknown format of a stored personal value")
    nonce, body, tag = (
        data[1 : 1 + NONCE_BYTES],
        data[1 + NONCE_BYTES : -TAG_BYTES],
        data[-TAG_BYTES:],
    )
    decryptor = Cipher(algorithms.SM4(_key()), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(field.encode("ascii"))
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
    except InvalidTag:
        raise PersonalDataError("a stored personal value does not authenticate") from None


def fingerprint(value: str | None, field: str) -> str | None:
    """A keyed digest of ``value`` for equality look-ups without decrypting (HMAC-SHA256)."""
    if not value:
        return None
    return hmac.new(_key(), f"{field}\0{value}".encode(), hashlib.sha256).hexdigest()


# -- whole files ----------------------------------------------------------------------------------

FORMAT_SEALED_FILE = 2


def seal(data: bytes, purpose: str) -> bytes:
    """A whole file (an uploaded spreadsheet holding personal data, a plan made of it) as it is
    kept on disk: SM4-GCM with the same key as the columns, ``purpose`` bound as associated
    data (a sealed plan does not open as an upload). Files are bounded by the upload limits,
    so they are sealed and opened in memory, at once: nothing clear is ever written."""
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(_key()), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(b"file\0" + purpose.encode("ascii"))
    body = encryptor.update(data) + encryptor.finalize()
    return bytes([FORMAT_SEALED_FILE]) + nonce + body + encryptor.tag


def unseal(sealed: bytes, purpose: str) -> bytes:
    """The clear content of a file :func:`seal` wrote; PersonalDataError when it does not
    authenticate (another key, another purpose, an altered byte)."""
    if len(sealed) < 1 + NONCE_BYTES + TAG_BYTES or sealed[0] != FORMAT_SEALED_FILE:
        raise PersonalDataError("not a sealed file")
    nonce, tag = sealed[1 : 1 + NONCE_BYTES], sealed[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(_key()), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(b"file\0" + purpose.encode("ascii"))
    try:
        return decryptor.update(memoryview(sealed)[1 + NONCE_BYTES : -TAG_BYTES]) + (
            decryptor.finalize()
        )
    except InvalidTag:
        raise PersonalDataError("a sealed file does not authenticate") from None


# -- masks ---------------------------------------------------------------------------------------


def mask_name(name: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name's first character only."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str:
    """13812345678 → 138****5678; a short number keeps only its last two characters."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 1) + phone[-2:]


def mask_id_number(number: str | None) -> str:
    """460100199001011234 → 4601**********1234 (the first four and the last four characters)."""
    number = (number or "").strip()
    if not number:
        return ""
    if len(number) > 8:
        return number[:4] + "*" * (len(number) - 8) + number[-4:]
    return "*" * max(len(number) - 2, 1) + number[-2:]
