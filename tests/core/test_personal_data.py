"""Personal data at rest: SM4-GCM with the configured key, bound to its column; the masks."""

from __future__ import annotations

import pytest
from flask import Flask

from app.core import personal_data
from app.core.personal_data import PersonalDataError


def test_a_value_round_trips_and_is_never_stored_in_clear(ctx):
    stored = personal_data.encrypt("13812345678", "phone")
    assert b"13812345678" not in stored and stored[0] == personal_data.FORMAT_SM4_GCM
    assert personal_data.decrypt(stored, "phone") == "13812345678"
    # A fresh nonce every time: equal values do not give equal ciphertexts.
    assert personal_data.encrypt("13812345678", "phone") != stored
    assert (
        personal_data.encrypt("", "phone") is None and personal_data.decrypt(None, "phone") is None
    )


def test_an_altered_value_or_another_column_does_not_decrypt(ctx):
    stored = bytearray(personal_data.encrypt("460100199001011234", "id_number"))
    with pytest.raises(PersonalDataError):
        personal_data.decrypt(bytes(stored), "phone")
    stored[20] ^= 1
    with pytest.raises(PersonalDataError):
        personal_data.decrypt(bytes(stored), "id_number")


def test_another_key_does_not_decrypt(app, ctx):
    stored = personal_data.encrypt("张三", "rater_name")
    previous = app.config["PERSONAL_DATA_KEY"]
    app.config["PERSONAL_DATA_KEY"] = "another-key-0123456789abcdefghijklmnop"
    try:
        with pytest.raises(PersonalDataError):
            personal_data.decrypt(stored, "rater_name")
    finally:
        app.config["PERSONAL_DATA_KEY"] = previous


@pytest.mark.parametrize(
    ("mask", "value", "shown"),
    [
        (personal_data.mask_name, "张三", "张*"),
        (personal_data.mask_name, "欧阳娜娜", "欧***"),
        (personal_data.mask_name, "", ""),
        (personal_data.mask_phone, "13812345678", "138****5678"),
        (personal_data.mask_phone, "66668888", "******88"),
        (personal_data.mask_id_number, "460100199001011234", "4601**********1234"),
        (personal_data.mask_id_number, "91460100MA5T", "9146****MA5T"),
    ],
)
def test_masks(mask, value, shown):
    assert mask(value) == shown


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, "not set"),
        ("zwfw-development-only-personal-data-key", "not set"),
        ("short-key", "random value"),
        ("a" * 40, "random value"),
    ],
)
def test_production_refuses_to_start_without_a_personal_data_key(key, problem):
    from app import _refuse_unkeyed_personal_data

    app = Flask("production")
    app.config.update(ENV="production", PERSONAL_DATA_KEY=key)
    with pytest.raises(RuntimeError, match=problem):
        _refuse_unkeyed_personal_data(app)
    app.config["PERSONAL_DATA_KEY"] = "7f1c0a9be2d34c8f95a1b6e07d2c4f3a8b9e0d1c2f3a4b5c"
    _refuse_unkeyed_personal_data(app)
    app.config.update(ENV="development", PERSONAL_DATA_KEY=key)
    _refuse_unkeyed_personal_data(app)
