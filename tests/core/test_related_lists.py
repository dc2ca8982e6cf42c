"""Related lists (an API's ``_info``, form select lists, search filters) offer only what the
user may see: the related model's reach, plus the published licence catalogue; accounts never.

The sweep asks ``_info`` of every registered REST API as every role and checks each offered
value against the reach rule, evaluated here independently in Python over the stored rows.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask_appbuilder import ModelRestApi
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.core.models import Deadline, Region
from app.extensions import db
from tests.factories import USERS

# The reach of each test user, written out here rather than taken from app.core.roles.
REACH_OF = {
    "province_admin": "province",
    "county_coordinator": "region",
    "county_coordinator2": "region",
    "city_coordinator": "region",
    "unit_operator": "unit",
    "unit_operator2": "unit",
    "legal_reviewer": "region",
    "licence_reviewer": "province",
    "supervisor": "region",
    "window_staff": "unit",
    "sys_admin": "province",
    "security_admin": "province",
    "audit_admin": "province",
}
PUBLISHED = {"approved", "deprecated"}


@pytest.fixture
def province(world, app):
    """Licence entries in every state in several counties (with face fields), objections with
    their deadlines in the province and in 海棠区, service items in two counties."""
    from app.core.actor import system_actor
    from app.core.unit_of_work import unit_of_work
    from tests.catalogue.factories import basic_entry, item
    from tests.licences.factories import make_entry, make_objection

    with app.app_context(), unit_of_work(db.session, system_actor()):
        entries = {
            "haitang_draft": make_entry(world.unit("haitang_market"), number=1, name="海棠草稿证"),
            "haitang_submitted": make_entry(
                world.unit("haitang_market"), number=2, name="海棠待审证", state="submitted"
            ),
            "longhua_rejected": make_entry(
                world.unit("longhua_market"), number=3, name="龙华退回证", state="rejected"
            ),
            "haitang_published": make_entry(
                world.unit("haitang_market"), number=4, name="海棠公开证", state="approved"
            ),
            "xiuying_draft": make_entry(world.unit("xiuying_market"), number=5, name="秀英草稿证"),
            "province_published": make_entry(
                world.unit("province"), number=6, name="全省公开证", state="approved"
            ),
        }
        make_objection(entries["province_published"], received_on=dt.date(2026, 3, 2))
        make_objection(entries["haitang_published"], received_on=dt.date(2026, 3, 3))
        entry = basic_entry()
        item(world, "xiuying_market", entry, published=True)
        item(world, "haitang_market", entry, published=True)
        db.session.commit()
    return entries


def _anchor(username: str, world: Any) -> tuple[str, int | None]:
    _role, region_code, unit_key = USERS[username]
    path = db.session.get(Region, world.region(region_code)).path
    return path, world.unit(unit_key) if unit_key else None


def _in_reach(obj: Any, username: str, world: Any) -> bool:
    """The reach rule of ``obj``'s model, evaluated on the loaded row."""
    kind = REACH_OF[username]
    if kind == "province":
        return True
    if isinstance(obj, Deadline):  # in reach where a row pointing at it is
        return any(_in_reach(owner, username, world) for owner in _owners_of(obj))
    rule = getattr(type(obj), "__reach__", None)
    if rule is None:
        return True
    path, unit_id = _anchor(username, world)
    if rule.via:
        parent = getattr(obj, rule.via)
        return parent is not None and _in_reach(parent, username, world)
    if kind == "unit" and rule.unit:
        return getattr(obj, rule.unit) == unit_id
    region = obj if isinstance(obj, Region) else db.session.get(Region, getattr(obj, rule.region))
    return region is not None and region.path.startswith(path)


def _owners_of(deadline: Deadline) -> list[Any]:
    from app.catalogue.models import AdjustmentRequest
    from app.licences.models import LicenceObjection

    owners: list[Any] = []
    for model, columns in (
        (AdjustmentRequest, ("deadline_id", "legality_deadline_id", "final_deadline_id")),
        (LicenceObjection, ("mark_deadline_id", "verify_deadline_id")),
    ):
        for column in columns:
            owners += db.session.scalars(
                select(model).where(getattr(model, column) == deadline.id)
            ).all()
    return owners


def _visible(obj: Any, username: str, world: Any) -> bool:
    from app.licences.models import LicenceEntry

    if isinstance(obj, LicenceEntry) and obj.state in PUBLISHED:
        return True
    return _in_reach(obj, username, world)


def _apis(app: Any) -> list[Any]:
    from app.extensions import appbuilder

    return [view for view in appbuilder.baseviews if isinstance(view, ModelRestApi)]


def test_info_of_every_api_offers_each_role_only_related_rows_in_its_reach(
    world, province, api_token, app
):
    client = app.test_client()
    apis = _apis(app)
    assert len(apis) >= 15
    problems: list[str] = []
    asked = 0
    for username in REACH_OF:
        headers = api_token(username)
        for api in apis:
            response = client.get(f"/api/v1/{api.resource_name}/_info", headers=headers)
            if response.status_code in (401, 403):
                continue
            assert response.status_code == 200, (api.resource_name, username)
            asked += 1
            with app.app_context():
                for section in ("add_columns", "edit_columns"):
                    for field in response.json.get(section, []):
                        if "values" not in field:
                            continue
                        model = api.datamodel.get_related_model(field["name"])
                        where = f"{username} /{api.resource_name}/_info {section} {field['name']}"
                        if issubclass(model, User):
                            problems.append(f"{where}: offers accounts {field['values']}")
                            continue
                        for value in field["values"]:
                            obj = db.session.get(model, value["id"])
                            if not _visible(obj, username, world):
                                problems.append(f"{where}: {value['value']}")
    assert asked > 50
    assert not problems, "\n".join(problems)


def _values(response: Any, section: str, name: str) -> set[str]:
    fields = {field["name"]: field for field in response.json[section]}
    return {value["value"] for value in fields[name]["values"]} if name in fields else set()


def test_window_staff_sees_neither_accounts_nor_unpublished_entries_in_the_catalogue_info(
    world, province, api_token, app
):
    response = app.test_client().get(
        "/api/v1/licence_catalogue/_info", headers=api_token("window_staff")
    )
    assert response.status_code == 200
    offered = {
        str(value["value"])
        for section in ("add_columns", "edit_columns")
        for field in response.json[section]
        for value in field.get("values", [])
    }
    for name in ("sys_admin", "security_admin", "audit_admin", "province_admin"):
        assert not any(name in text for text in offered)
    assert not any("海棠草稿证" in text or "龙华退回证" in text for text in offered)


def test_county_user_is_offered_no_province_deadline(world, province, api_token, app):
    client = app.test_client()
    with app.app_context():
        province_due = {
            repr(d)
            for d in db.session.scalars(select(Deadline)).all()
            if not _in_reach(d, "county_coordinator", world)
        }
    assert province_due
    for resource in ("adjustment", "licence_objection"):
        response = client.get(f"/api/v1/{resource}/_info", headers=api_token("county_coordinator"))
        assert response.status_code == 200
        for section in ("add_columns", "edit_columns"):
            for field in response.json[section]:
                assert not {str(v["value"]) for v in field.get("values", [])} & province_due


def test_licence_entry_lists_offer_published_entries_and_own_drafts_only(
    world, province, api_token, app
):
    """A unit applies to use another unit's published licence; it never sees their drafts."""
    client = app.test_client()
    headers = api_token("unit_operator")
    usage = client.get("/api/v1/licence_usage_application/_info", headers=headers)
    entries = _values(usage, "add_columns", "entry")
    assert any("海棠公开证" in e for e in entries) and any("全省公开证" in e for e in entries)
    assert not any(("草稿" in e or "待审" in e or "退回" in e) for e in entries)
    face = client.get("/api/v1/licence_face_field/_info", headers=headers)
    entries = _values(face, "add_columns", "entry")
    assert any("秀英草稿证" in e for e in entries)
    assert not any(("海棠草稿证" in e or "海棠待审证" in e or "龙华退回证" in e) for e in entries)


# -- HTML forms and search filters: the same mechanism ------------------------------------------


def _escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


def test_forms_and_search_filters_offer_only_related_rows_in_reach(world, province, login):
    window = login("window_staff")
    catalogue = window.get("/licencecatalogueview/list/").get_data(as_text=True)
    assert "海棠公开证" in catalogue  # the published catalogue, province-wide …
    # … but the issuing-unit search filter (options in the page's script, JSON-escaped) offers
    # only units within the user's reach.
    assert _escaped("海口市秀英区市场监督管理局") in catalogue
    assert _escaped("海口市龙华区市场监督管理局") not in catalogue
    assert "海口市龙华区市场监督管理局" not in catalogue
    operator = login("unit_operator")
    form = operator.get("/licenceusageapplicationview/add").get_data(as_text=True)
    assert "海棠公开证" in form and "全省公开证" in form
    assert "海棠草稿证" not in form and "龙华退回证" not in form
    objection = login("county_coordinator").get("/licenceobjectionview/add").get_data(as_text=True)
    assert "秀英草稿证" in objection
    assert "海棠草稿证" not in objection and "海棠待审证" not in objection
