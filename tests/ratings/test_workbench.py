"""The ratings tile and figure on the workbench: open tickets of the unit, 好评率."""

from __future__ import annotations

import datetime as dt
import re

from app.extensions import db
from tests.ratings.factories import rated_item, rating


def test_the_unit_sees_its_open_tickets_overdue_in_red_and_opens_the_queue(app, world, login):
    with app.app_context():
        item = rated_item(world)
        rating(item.id, "1", rated_at=dt.datetime(2026, 3, 2, 10, 0))
        db.session.commit()
    client = login("unit_operator")
    page = client.get("/").get_data(as_text=True)
    tile = re.search(
        r'<a ([^>]*)id="todo-rating-tickets" data-count="1"[^>]*>(.*?)</a>', page, re.S
    )
    assert tile and "list-group-item-danger" in tile.group(1) and "已超期" in tile.group(2)
    assert client.get("/rectificationticketview/queue/").status_code == 200
    assert 'id="figure-ratings"' in page and "好评率" in page
    other = login("unit_operator2").get("/").get_data(as_text=True)
    assert re.search(r'id="todo-rating-tickets" data-count="0"', other)
    assert "todo-rating-tickets" not in login("legal_reviewer").get("/").get_data(as_text=True)
