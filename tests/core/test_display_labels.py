"""Core pages read in Chinese: the calendar's source by its label, empty values empty."""

from __future__ import annotations

import re


def _text(html: str) -> str:
    html = re.sub(r"(?s)<script.*?</script>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_calendar_years_show_where_they_came_from_in_chinese(app, world, login):
    text = _text(login("province_admin").get("/calendaryearview/list/").data.decode())
    assert "系统预置" in text
    assert "chinese-calendar" not in text


def test_the_province_has_no_parent_and_shows_none_as_empty(app, world, login):
    client = login("province_admin")
    text = _text(client.get(f"/regionview/show/{world.region('460000')}").data.decode())
    assert "None" not in text
    assert "None" not in _text(client.get("/regionview/list/").data.decode())
