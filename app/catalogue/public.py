"""Same-source publication (同源同步, seed 000 art. 17): the published version of every item,
read-only and without login, as HTML service-guide pages and as JSON.

* ``/public/`` — regions with published items, and a search box
* ``/public/region/<division code>`` — implementing units of a region (and below)
* ``/public/unit/<credit code>`` — the items of a unit
* ``/public/item/<implementation code>`` — the service guide of one item
* ``/public/search?q=`` — search by item name, implementation code or basic code
* ``/public/api/items?region=&unit=&q=&page=`` and ``/public/api/items/<implementation code>``
  — the same content as JSON (every item carries ``version``, ``published_at`` and
  ``implementation_code``)

Only :class:`~app.catalogue.models.ItemVersion` snapshots are read (see
``services.public_versions_query``): a draft or an unapproved proposal is never shown.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from sqlalchemy import func, select

from app.catalogue import services
from app.catalogue.models import ImplementationItem
from app.catalogue.states import ItemStatus
from app.core.models import Region, Unit
from app.extensions import db

blueprint = Blueprint("public", __name__, url_prefix="/public")
PAGE_SIZE = 50
#: Larger page numbers are read as this one (an empty page), never passed to the database.
MAX_PAGE = 10_000


def _rows(query: Any, page: int = 1) -> list[dict[str, Any]]:
    result = db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return [services.public_payload(version) for version, _item in result]


def _page() -> int:
    try:
        return min(max(1, int(request.args.get("page", "1"))), MAX_PAGE)
    except ValueError:
        return 1


@blueprint.get("/")
def index() -> Any:
    counts = db.session.execute(
        select(Region, func.count(ImplementationItem.id))
        .join(ImplementationItem, ImplementationItem.region_id == Region.id)
        .where(
            ImplementationItem.published_version_id.is_not(None),
            ImplementationItem.status.in_(services.PUBLIC_STATUSES),
        )
        .group_by(Region.id)
        .order_by(Region.path)
    ).all()
    return render_template("catalogue/public/index.html", regions=counts)


@blueprint.get("/region/<code>")
def region(code: str) -> Any:
    region_row = db.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()
    if region_row is None:
        abort(404)
    subtree = Region.subtree(region_row.path)
    units = db.session.execute(
        select(Unit, func.count(ImplementationItem.id))
        .join(ImplementationItem, ImplementationItem.unit_id == Unit.id)
        .where(
            ImplementationItem.region_id.in_(subtree),
            ImplementationItem.published_version_id.is_not(None),
            ImplementationItem.status.in_(services.PUBLIC_STATUSES),
        )
        .group_by(Unit.id)
        .order_by(Unit.name)
    ).all()
    return render_template("catalogue/public/region.html", region=region_row, units=units)


@blueprint.get("/unit/<credit_code>")
def unit(credit_code: str) -> Any:
    unit_row = db.session.execute(
        select(Unit).where(Unit.credit_code == credit_code)
    ).scalar_one_or_none()
    if unit_row is None:
        abort(404)
    items = _rows(services.public_versions_query(unit_credit_code=credit_code), _page())
    return render_template(
        "catalogue/public/items.html", heading=unit_row.name, items=items, unit=unit_row
    )


@blueprint.get("/search")
def search() -> Any:
    q = (request.args.get("q") or "").strip()
    items = _rows(services.public_versions_query(search=q), _page()) if q else []
    return render_template("catalogue/public/items.html", heading=q, items=items, q=q)


@blueprint.get("/item/<code>")
def item(code: str) -> Any:
    version = services.public_item(db.session, code)
    if version is None:
        abort(404)
    data = services.public_payload(version)
    from app.catalogue.views import field_label, show_value

    return render_template(
        "catalogue/public/item.html",
        item=data,
        published_at=version.published_at,
        field_label=field_label,
        show_value=show_value,
        status_label=ItemStatus.label_of(data["status"]),
        standardized=services.STANDARDIZED_FIELDS,
        personalized=services.PERSONALIZED_FIELDS,
    )


@blueprint.get("/api/items")
def api_items() -> Any:
    query = services.public_versions_query(
        region_code=request.args.get("region") or None,
        unit_credit_code=request.args.get("unit") or None,
        search=request.args.get("q") or None,
    )
    page = _page()
    return jsonify(page=page, page_size=PAGE_SIZE, result=_rows(query, page))


@blueprint.get("/api/items/<code>")
def api_item(code: str) -> Any:
    version = services.public_item(db.session, code)
    if version is None:
        return jsonify(message="not found"), 404
    return jsonify(services.public_payload(version))
