"""Service items that accept a licence (免证办): linked within reach, looked up by window staff."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.licences.models import LicenceItemLink
from tests.catalogue import factories as catalogue
from tests.licences.factories import make_entry


@pytest.fixture
def setup(world, app):
    with app.app_context():
        licence = make_entry(
            world.unit("haitang_market"), number=1, state="approved", name="营业执照"
        )
        draft = make_entry(world.unit("xiuying_market"), number=2, name="草稿证照")
        own = catalogue.item(world, "xiuying_market").id
        other = catalogue.item(
            world, "haitang_market", catalogue.basic_entry("460105002000", "食品生产许可")
        ).id
        db.session.commit()
    return {"licence": licence, "draft": draft, "own": own, "other": other}


def test_unit_links_its_item_to_a_published_licence_and_window_staff_sees_it(
    app, api_token, login, setup
):
    client = app.test_client()
    headers = api_token("unit_operator")
    created = client.post(
        "/api/v1/licence_item_link/",
        headers=headers,
        json={"item": setup["own"], "entry": setup["licence"]},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    duplicate = client.post(
        "/api/v1/licence_item_link/",
        headers=headers,
        json={"item": setup["own"], "entry": setup["licence"]},
    )
    assert duplicate.status_code == 422
    window = api_token("window_staff")
    accepted = client.get(f"/api/v1/licence_item_link/item/{setup['own']}", headers=window).json
    assert [row["name"] for row in accepted["result"]] == ["营业执照"]
    page = login("window_staff").get("/licenceitemlinkview/list/").get_data(as_text=True)
    assert "营业执照" in page and "食品经营许可" in page
    assert (
        client.post(
            "/api/v1/licence_item_link/",
            headers=window,
            json={"item": setup["own"], "entry": setup["licence"]},
        ).status_code
        == 403
    )


def test_only_published_licences_can_be_accepted(app, api_token, setup):
    response = app.test_client().post(
        "/api/v1/licence_item_link/",
        headers=api_token("unit_operator"),
        json={"item": setup["own"], "entry": setup["draft"]},
    )
    assert response.status_code == 422
    assert "entry" in response.json["errors"]


def test_items_outside_reach_cannot_be_linked_or_looked_up(app, api_token, login, setup):
    client = app.test_client()
    headers = api_token("unit_operator")
    response = client.post(
        "/api/v1/licence_item_link/",
        headers=headers,
        json={"item": setup["other"], "entry": setup["licence"]},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.query(LicenceItemLink).count() == 0
        link = LicenceItemLink(item_id=setup["other"], entry_id=setup["licence"])
        db.session.add(link)
        db.session.commit()
        link_id = link.id
    assert (
        client.get(f"/api/v1/licence_item_link/item/{setup['other']}", headers=headers).status_code
        == 404
    )
    assert client.get(f"/api/v1/licence_item_link/{link_id}", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/licence_item_link/{link_id}", headers=headers).status_code == 404
    ui = login("window_staff")
    assert ui.get(f"/licenceitemlinkview/show/{link_id}").status_code == 404
    assert "食品生产许可" not in ui.get("/licenceitemlinkview/list/").get_data(as_text=True)


def test_link_through_the_ui_and_shown_on_the_catalogue_entry(app, login, setup):
    client = login("unit_operator")
    response = client.post(
        "/licenceitemlinkview/add",
        data={"item": str(setup["own"]), "entry": str(setup["licence"])},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(LicenceItemLink).count() == 1
    page = login("window_staff").get(f"/licencecatalogueview/show/{setup['licence']}")
    assert "食品经营许可" in page.get_data(as_text=True)
