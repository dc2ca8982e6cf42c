"""Properties of the identifiers and of the working-day calendar, over generated inputs.

Each property is one a user relies on: a typo in a credit code or licence number is caught by
its check character, an implementation code reads back as the parts it was built from, and
counting the working days to a computed deadline gives back the days that were added.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from app.catalogue.codes import implementation_code, parse_implementation_code
from app.core.calendar import WorkingCalendar
from app.core.codes import CREDIT_ALPHABET, credit_check_character, is_valid_credit_code
from app.licences.services import iso7064_mod37_36, licence_number_message, make_licence_number

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
first17 = st.text(alphabet=CREDIT_ALPHABET, min_size=17, max_size=17)
credit_codes = first17.map(lambda head: head + credit_check_character(head))
basic_codes = st.builds(
    lambda a, b, c: a + b + c,
    st.text(alphabet="0123456789", min_size=2, max_size=2),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=7, max_size=7),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)


@given(credit_codes)
def test_a_credit_code_with_its_check_character_is_valid(code):
    assert is_valid_credit_code(code)


@given(credit_codes, st.integers(min_value=0, max_value=17), st.data())
def test_any_single_wrong_character_of_a_credit_code_is_caught(code, position, data):
    wrong = data.draw(st.sampled_from([c for c in CREDIT_ALPHABET if c != code[position]]))
    typo = code[:position] + wrong + code[position + 1 :]
    assert not is_valid_credit_code(typo)


@given(credit_codes, st.sampled_from("123456"), basic_codes)
def test_an_implementation_code_reads_back_as_its_parts(credit, level, basic):
    code = implementation_code(credit, level, basic)
    assert len(code) == 31
    assert parse_implementation_code(code) == (credit, level, basic)
    assert parse_implementation_code(code.lower()) == (credit, level, basic)


type_codes = st.builds(
    lambda body, digits: body + digits,
    credit_codes,
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
serials = st.text(alphabet=ALNUM, min_size=1, max_size=32)


@given(type_codes, credit_codes, serials, st.integers(min_value=1, max_value=999))
def test_a_made_licence_number_is_valid_for_its_type(app, type_code, issuer, serial, version):
    number = make_licence_number(type_code, issuer, serial, version)
    with app.app_context():
        assert licence_number_message(number, type_code) is None


@given(type_codes, credit_codes, serials, st.data())
def test_any_single_wrong_character_of_a_licence_number_body_is_caught(
    type_code, issuer, serial, data
):
    body = f"{type_code}{issuer}{serial}001"
    position = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    wrong = data.draw(st.sampled_from([c for c in ALNUM if c != body[position]]))
    typo = body[:position] + wrong + body[position + 1 :]
    assert iso7064_mod37_36(typo) != iso7064_mod37_36(body)


days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))
calendars = st.builds(
    WorkingCalendar,
    st.sets(st.integers(min_value=2020, max_value=2030)),
    st.dictionaries(days, st.booleans(), max_size=60),
)


@settings(max_examples=200)
@given(calendars, days, st.integers(min_value=0, max_value=120))
def test_counting_the_working_days_to_a_deadline_gives_back_the_days_added(calendar, start, n):
    due = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, due.date) == n
    assert calendar.working_days_between(due.date, start) == -n
    if n:
        assert calendar.is_working_day(due.date)


@given(calendars, days, st.integers(min_value=0, max_value=60), st.integers(0, 60))
def test_adding_working_days_in_two_steps_is_adding_them_at_once(calendar, start, a, b):
    once = calendar.add_working_days(start, a + b).date
    twice = calendar.add_working_days(calendar.add_working_days(start, a).date, b).date
    assert once == twice
