"""Flows that guide: only the buttons one may use on that record, an adjustment started from an
item offers the kinds its state allows and opens the saved request with 「提交审核」."""

from __future__ import annotations

import re

import pytest

from app.catalogue.models import AdjustmentRequest
from app.extensions import db
from tests.catalogue import factories as f


@pytest.fixture
def data(app, world):
    """A published item and a draft in 秀英区, a published item in 海棠区."""
    with app.app_context():
        entry = f.basic_entry()
        published = f.item(world, entry=entry, published=True)
        draft = f.item(world, entry=f.basic_entry(code="460105002000", name="草稿事项"))
        other = f.item(world, unit_key="haitang_market", entry=entry, published=True)
        db.session.commit()
        return {"published": published.id, "draft": draft.id, "other": other.id}


def test_the_list_offers_edit_and_delete_on_a_draft_only(data, login):
    page = login("unit_operator").get("/implementationitemview/list/").get_data(as_text=True)
    assert f"/implementationitemview/edit/{data['draft']}" in page
    assert f"/implementationitemview/delete/{data['draft']}" in page
    assert f"/implementationitemview/edit/{data['published']}" not in page
    assert f"/implementationitemview/delete/{data['published']}" not in page
    assert f"/implementationitemview/show/{data['published']}" in page


@pytest.mark.parametrize(
    ("username", "offered"),
    [("unit_operator", True), ("legal_reviewer", False), ("window_staff", False)],
)
def test_the_item_page_offers_an_adjustment_only_to_a_proposer(data, login, username, offered):
    page = login(username).get(f"/implementationitemview/show/{data['published']}")
    assert page.status_code == 200
    assert ('id="item-propose"' in page.get_data(as_text=True)) is offered


def test_an_adjustment_of_another_units_item_cannot_be_started(data, login):
    client = login("unit_operator")
    assert client.get(f"/adjustmentview/add?_flt_0_item={data['other']}").status_code == 404
    page = client.get(f"/implementationitemview/show/{data['other']}")
    assert page.status_code == 404


def _kinds(page: str) -> set[str]:
    select = re.search(r'<select[^>]*id="kind"[^>]*>(.*?)</select>', page, re.S).group(1)
    return {v for v in re.findall(r'value="([^"]*)"', select) if v}


def test_an_adjustment_started_from_a_published_item_shows_it_and_only_its_kinds(data, login):
    page = login("unit_operator").get(f"/adjustmentview/add?_flt_0_item={data['published']}")
    text = page.get_data(as_text=True)
    assert 'id="adjustment-item"' in text and "食品经营许可" in text
    assert _kinds(text) == {"cancel", "change", "suspend", "terminate"}
    assert '"planned_start": ["suspend"]' in text  # hidden unless a suspension is chosen
    legal_basis = re.search(r'<textarea[^>]*id="legal_basis"[^>]*>', text).group(0)
    assert 'rows="5"' in legal_basis and "form-control" in legal_basis
    draft_page = login("unit_operator").get(f"/adjustmentview/add?_flt_0_item={data['draft']}")
    assert _kinds(draft_page.get_data(as_text=True)) == {"add"}


def test_saving_an_adjustment_opens_it_with_submit_for_review(app, data, login):
    client = login("unit_operator")
    response = client.post(
        f"/adjustmentview/add?_flt_0_item={data['published']}",
        data={
            "kind": "change",
            "ground": "15.4",
            "legal_basis": "《海南省政务服务事项管理办法》第十五条",
            "p_approver": "张三",
            "p_handling_type": "",
            "p_online_depth": "",
            "p_fully_online": "",
        },
    )
    with app.app_context():
        adjustment = db.session.query(AdjustmentRequest).one()
        pk = adjustment.id
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/adjustmentview/show/{pk}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="btn-submit"' in page and "提交审核" in page


def test_a_refused_kind_for_the_items_state_changes_nothing(app, data, login):
    client = login("unit_operator")
    client.post(
        f"/adjustmentview/add?_flt_0_item={data['published']}",
        data={"kind": "add", "ground": "13.1", "legal_basis": "第十三条"},
    )
    with app.app_context():
        assert db.session.query(AdjustmentRequest).count() == 0


def test_a_refused_save_stays_on_its_form_with_the_message_and_what_was_typed(app, data, login):
    client = login("unit_operator")
    page = client.post(
        f"/adjustmentview/add?_flt_0_item={data['published']}",
        data={"kind": "suspend", "ground": "O.1", "legal_basis": "《某条例》第九条"},
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="adjustment-item"' in text
    assert "《某条例》第九条" in text  # kept
    assert "暂停" in text and "alert-danger" in text  # the refusal: no planned first day
    with app.app_context():
        assert db.session.query(AdjustmentRequest).count() == 0


def test_the_adjustment_list_offers_edit_only_while_the_proposer_holds_it(app, world, login):
    from tests.catalogue.test_workbench import draft, submitted

    with app.app_context():
        held = draft(world, "unit_operator").id
        sent = submitted(world, "unit_operator").id
    page = login("unit_operator").get("/adjustmentview/list/").get_data(as_text=True)
    assert f"/adjustmentview/edit/{held}" in page
    assert f"/adjustmentview/edit/{sent}" not in page


def test_a_refused_delete_stays_on_the_page_it_came_from_with_the_reason(data, login, app):
    from app.catalogue.models import ImplementationItem

    client = login("unit_operator")
    show = f"http://localhost/implementationitemview/show/{data['published']}"
    response = client.post(
        f"/implementationitemview/delete/{data['published']}", headers={"Referer": show}
    )
    assert response.status_code == 302 and response.headers["Location"] == show
    page = client.get(show).get_data(as_text=True)
    assert "只能删除未发布的草稿" in page
    with app.app_context():
        assert db.session.get(ImplementationItem, data["published"]) is not None
    deleted = client.post(
        f"/implementationitemview/delete/{data['draft']}",
        headers={"Referer": f"http://localhost/implementationitemview/show/{data['draft']}"},
    )
    assert deleted.status_code == 302
    assert not deleted.headers["Location"].endswith(f"/show/{data['draft']}")


@pytest.mark.parametrize(
    ("username", "files", "imports"),
    [
        ("county_coordinator", True, True),
        ("province_admin", False, True),
        ("legal_reviewer", False, False),
        ("supervisor", False, False),
    ],
)
def test_filing_and_excel_import_are_offered_only_to_who_may_use_them(
    data, login, username, files, imports
):
    client = login(username)
    filings = client.get("/filingview/list/")
    if filings.status_code == 200:
        assert ('id="file-list"' in filings.get_data(as_text=True)) is files
    else:
        assert not files
    items = client.get("/implementationitemview/list/").get_data(as_text=True)
    assert ('id="item-import"' in items) is imports


def test_the_edit_form_of_a_change_shows_no_suspension_fields(app, world, login):
    from tests.catalogue.test_workbench import draft

    with app.app_context():
        pk = draft(world, "unit_operator").id
    page = login("unit_operator").get(f"/adjustmentview/edit/{pk}").get_data(as_text=True)
    assert 'id="p_approver"' in page
    assert 'id="planned_start"' not in page and 'id="urgent"' not in page
