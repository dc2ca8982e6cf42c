"""The short paths of cell_converter give exactly what convert gives: the same value, or the
same error message, for every kind of cell a real file holds."""

from __future__ import annotations

import datetime as dt

import pytest

from app.catalogue.spreadsheet import ImplementationListSpec
from app.excel.spec import CellError, cell_converter, convert

SPEC = ImplementationListSpec()
CELLS = [
    "承诺件",
    " 承诺 ",
    "即办",
    "三级",
    "3",
    "四级（全程网办）",
    "x",
    "",
    "   ",
    "是",
    " 否 ",
    "Y",
    "0",
    "12",
    " 7 ",
    "-1",
    "1.5",
    0,
    1,
    10,
    11,
    -1,
    1.0,
    3.5,
    20.0,
    True,
    False,
    dt.date(2026, 11, 22),
    dt.datetime(2026, 11, 22, 9, 30),
    dt.timedelta(hours=1),
]


def _outcome(function, value):
    try:
        return ("value", function(value))
    except CellError as error:
        return ("error", str(error))


@pytest.mark.parametrize(
    "key",
    ["handling_type", "online_depth", "onsite_visits", "promised_time_limit_days", "fully_online"],
)
def test_short_paths_match_convert(app, key):
    column = SPEC.column(key)
    with app.test_request_context():
        fast = cell_converter(column, column.choices or None)
        for value in CELLS:
            expected = _outcome(lambda v: convert(column, v, column.choices or None), value)
            assert _outcome(fast, value) == expected, (key, value)
