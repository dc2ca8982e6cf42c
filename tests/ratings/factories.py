"""Factories of the ratings domain: items to rate, ratings, tickets moved along."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from app.core.actor import system_actor
from app.extensions import db
from app.ratings import services
from app.ratings.models import Rating
from tests.catalogue.factories import actor, basic_entry, item

__all__ = ["actor", "rated_item", "rating", "version_of"]

_numbers = itertools.count(1)
_codes = itertools.count(1)


def rated_item(world: Any, unit_key: str = "xiuying_market") -> Any:
    """A published implementation item of ``unit_key`` (its own basic entry)."""
    entry = basic_entry(code=f"4601050{next(_codes):05d}", name="食品经营许可")
    return item(world, unit_key, entry, published=True)


def rating(
    item_id: int,
    level: str = "2",
    *,
    rated_at: dt.datetime | None = None,
    real_name: bool = True,
    **values: Any,
) -> Rating:
    by = values.pop("by", None) or system_actor()
    data = services.RatingData(
        rating_no=values.pop("rating_no", f"PJ{next(_numbers):08d}"),
        item_id=item_id,
        channel=values.pop("channel", "pc"),
        level=level,
        rated_at=rated_at or dt.datetime(2026, 3, 2, 10, 0),
        rater_name="张三" if real_name else "",
        phone="13812345678" if real_name else "",
        id_number="460100199001011234" if real_name else "",
        text=values.pop("text", "等了很久"),
        **values,
    )
    result = services.record_rating(db.session, data, actor=by)
    db.session.flush()
    return result


def version_of(ticket_id: int) -> int:
    from app.ratings.models import RectificationTicket

    return db.session.get(RectificationTicket, ticket_id).version
