"""The catalogue through the browser forms, the REST API and the public pages."""

from __future__ import annotations

import json

import pytest

from app.catalogue import services
from app.catalogue.models import AdjustmentRequest, BasicCatalogueEntry, ImplementationItem
from app.catalogue.services import entries
from app.core.actor import system_actor
from app.core.errors import MESSAGE_SEPARATOR
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
        return {
            "entry": entry.id,
            "published": published.id,
            "draft": draft.id,
            "other": other.id,
            "published_code": published.implementation_code,
            "draft_code": draft.implementation_code,
        }


def _get(app, model, pk):
    with app.app_context():
        return db.session.get(model, pk)


# -- basic catalogue ---------------------------------------------------------------------------


def test_province_admin_adds_entry_and_bad_code_is_refused(app, world, login) -> None:
    with app.app_context():
        type_id = f.item_type().id
        db.session.commit()
    client = login("province_admin")
    form = {
        "basic_code": "12AB",
        "name": "测试事项",
        "item_type": str(type_id),
        "source": "provincial",
        "status": "active",
        "legal_time_limit_days": "15",
        "competent_department": "省政务服务中心",
        "legal_basis": "《海南省某某条例》",
        "acceptance_conditions": "无",
        "application_materials": "申请书",
        "handling_process": "受理—审查—决定",
        "fee_standard": "不收费",
        "complaint_phone": "12345",
        "form_content": "申请表",
    }
    response = client.post("/basiccatalogueview/add", data=form, follow_redirects=True)
    assert "“12AB”" in response.get_data(as_text=True)
    form["basic_code"] = "460000100000"
    client.post("/basiccatalogueview/add", data=form, follow_redirects=True)
    with app.app_context():
        assert (
            db.session.query(BasicCatalogueEntry).filter_by(basic_code="460000100000").count() == 1
        )
    listing = client.get("/basiccatalogueview/list/?_flt_0_basic_code=460000100000")
    assert "测试事项" in listing.get_data(as_text=True)


def test_unit_operator_cannot_add_basic_entries(app, world, login, api_token) -> None:
    with app.app_context():
        type_id = f.item_type().id
        db.session.commit()
    response = login("unit_operator").get("/basiccatalogueview/add")
    assert response.status_code in (302, 403)
    response = login("unit_operator").get("/basiccatalogueview/list/")
    assert response.status_code == 200
    api = app.test_client().post(
        "/api/v1/basic_catalogue/",
        json={
            "basic_code": "460000100000",
            "name": "x",
            "item_type": type_id,
            "source": "national",
            "status": "active",
            "legal_time_limit_days": 5,
        },
        headers=api_token("unit_operator"),
    )
    assert api.status_code == 403


# -- implementation items: read-only standardized elements ------------------------------------


def test_edit_form_shows_standardized_elements_read_only_and_ignores_them(app, data, login) -> None:
    client = login("unit_operator")
    page = client.get(f"/implementationitemview/edit/{data['draft']}").get_data(as_text=True)
    assert "readonly" in page and "草稿事项" in page
    item = _get(app, ImplementationItem, data["draft"])
    response = client.post(
        f"/implementationitemview/edit/{data['draft']}",
        data={
            "std_item_name": "篡改的名称",
            "std_legal_time_limit_days": "99",
            "service_hours": "周一至周五",
            "service_location": "大厅",
            "consult_phone": "0898-1",
            "approver": "",
            "promised_time_limit_days": "8",
            "handling_type": "promised",
            "onsite_visits": "1",
            "online_depth": "2",
            "faq": "",
            "result_sample": "",
            "lock_version": str(item.version),
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    with app.app_context():
        item = db.session.get(ImplementationItem, data["draft"])
        assert item.service_hours == "周一至周五"
        assert item.promised_time_limit_days == 8
        assert item.item_name == "草稿事项"
        assert item.legal_time_limit_days == 20


def test_promised_above_legal_refused_in_form(app, data, login) -> None:
    client = login("unit_operator")
    item = _get(app, ImplementationItem, data["draft"])
    response = client.post(
        f"/implementationitemview/edit/{data['draft']}",
        data={
            "promised_time_limit_days": "25",
            "handling_type": "promised",
            "onsite_visits": "1",
            "online_depth": "1",
            "lock_version": str(item.version),
        },
        follow_redirects=True,
    )
    assert "exceeds the legal time limit" in response.get_data(
        as_text=True
    ) or "超过" in response.get_data(as_text=True)
    assert _get(app, ImplementationItem, data["draft"]).promised_time_limit_days == 10


def test_api_put_of_a_standardized_element_is_refused(app, data, api_token) -> None:
    headers = api_token("unit_operator")
    client = app.test_client()
    item = client.get(f"/api/v1/implementation_item/{data['draft']}", headers=headers).json[
        "result"
    ]
    assert item["item_name"] == "草稿事项" and item["legal_time_limit_days"] == 20
    response = client.put(
        f"/api/v1/implementation_item/{data['draft']}",
        json={"legal_time_limit_days": 99, "item_name": "x", "version": item["version"]},
        headers=headers,
    )
    assert response.status_code in (400, 422)
    response = client.put(
        f"/api/v1/implementation_item/{data['draft']}",
        json={"approver": "张三", "version": item["version"]},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    with app.app_context():
        row = db.session.get(ImplementationItem, data["draft"])
        assert (
            row.approver == "张三"
            and row.legal_time_limit_days == 20
            and row.item_name == "草稿事项"
        )


def test_second_save_with_old_version_is_refused(app, data, api_token, login) -> None:
    headers = api_token("unit_operator")
    client = app.test_client()
    version = client.get(f"/api/v1/implementation_item/{data['draft']}", headers=headers).json[
        "result"
    ]["version"]
    first = client.put(
        f"/api/v1/implementation_item/{data['draft']}",
        json={"approver": "甲", "version": version},
        headers=headers,
    )
    assert first.status_code == 200
    second = client.put(
        f"/api/v1/implementation_item/{data['draft']}",
        json={"approver": "乙", "version": version},
        headers=headers,
    )
    assert second.status_code == 409
    assert _get(app, ImplementationItem, data["draft"]).approver == "甲"
    page = (
        login("unit_operator")
        .post(
            f"/implementationitemview/edit/{data['draft']}",
            data={
                "approver": "丙",
                "handling_type": "promised",
                "onsite_visits": "1",
                "online_depth": "1",
                "promised_time_limit_days": "5",
                "lock_version": str(version),
            },
            follow_redirects=True,
        )
        .get_data(as_text=True)
    )
    assert "changed by someone else" in page or "其他人" in page or "他人" in page
    assert _get(app, ImplementationItem, data["draft"]).approver == "甲"


def test_api_creates_item_with_derived_code(app, world, api_token) -> None:
    with app.app_context():
        entry = f.basic_entry()
        db.session.commit()
        entry_id = entry.id
    response = app.test_client().post(
        "/api/v1/implementation_item/",
        json={
            "basic_entry": entry_id,
            "unit": world.unit("xiuying_market"),
            "promised_time_limit_days": 3,
            "handling_type": "promised",
            "onsite_visits": 1,
            "online_depth": "1",
        },
        headers=api_token("unit_operator"),
    )
    assert response.status_code == 201, response.json
    with app.app_context():
        row = db.session.get(ImplementationItem, response.json["id"])
        assert row.implementation_code.endswith("4460105001000") and row.status == "draft"


# -- reach: every view and API gives 404 outside ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/implementationitemview/show/{other}",
        "/implementationitemview/edit/{other}",
        "/implementationitemview/versions/{other}",
        "/api/v1/implementation_item/{other}",
    ],
)
def test_county_coordinator_cannot_open_other_county_item(app, data, login, api_token, url) -> None:
    target = url.format(**data)
    if target.startswith("/api/"):
        response = app.test_client().get(target, headers=api_token("county_coordinator"))
    else:
        response = login("county_coordinator").get(target)
    assert response.status_code == 404


def test_cross_region_adjustment_views_and_apis_give_404(app, data, login, api_token) -> None:
    with app.app_context():
        row = db.session.get(ImplementationItem, data["other"])
        adjustment = services.create_adjustment(
            db.session,
            actor=system_actor(),
            item=row,
            kind="change",
            ground="15.1",
            legal_basis="x",
            proposed_values={"approver": "王五"},
        )
        db.session.commit()
        pk = adjustment.id
    client = login("county_coordinator")
    assert client.get(f"/adjustmentview/show/{pk}").status_code == 404
    assert (
        client.post(f"/adjustmentview/transition/{pk}", data={"name": "submit"}).status_code == 404
    )
    headers = api_token("legal_reviewer")
    api = app.test_client()
    assert api.get(f"/api/v1/adjustment/{pk}", headers=headers).status_code == 404
    assert api.get(f"/api/v1/adjustment/{pk}/diff", headers=headers).status_code == 404
    assert (
        api.post(
            f"/api/v1/adjustment/{pk}/transition",
            json={"name": "submit"},
            headers=api_token("unit_operator"),
        ).status_code
        == 404
    )
    assert _get(app, AdjustmentRequest, pk).state == "draft"


def test_cross_region_item_writes_through_the_api_give_404(app, data, api_token) -> None:
    client = app.test_client()
    headers = api_token("county_coordinator")
    put = client.put(
        f"/api/v1/implementation_item/{data['other']}",
        json={"approver": "x", "version": 1},
        headers=headers,
    )
    assert put.status_code == 404
    assert (
        client.delete(f"/api/v1/implementation_item/{data['other']}", headers=headers).status_code
        == 404
    )
    created = client.post(
        "/api/v1/implementation_item/",
        json={"basic_entry": data["entry"], "unit": world_unit(app, "三亚市海棠区市场监督管理局")},
        headers=api_token("unit_operator"),
    )
    # Out of reach is answered before any rule: nothing said about the other unit's items.
    assert created.status_code == 404, created.get_data(as_text=True)
    assert "已实施" not in created.get_data(as_text=True)
    assert _get(app, ImplementationItem, data["other"]).approver == ""


def world_unit(app, name: str) -> int:
    with app.app_context():
        from app.core.models import Unit

        return db.session.query(Unit).filter_by(name=name).one().id


def test_unit_operator_list_shows_only_own_unit(app, data, login) -> None:
    page = login("unit_operator").get("/implementationitemview/list/").get_data(as_text=True)
    assert data["published_code"] in page
    with app.app_context():
        other_code = db.session.get(ImplementationItem, data["other"]).implementation_code
    assert other_code not in page


# -- the workflow through the API ---------------------------------------------------------------


def test_adjustment_workflow_through_the_api(app, data, api_token) -> None:
    client = app.test_client()
    operator = api_token("unit_operator")
    created = client.post(
        "/api/v1/adjustment/",
        json={
            "item": data["published"],
            "kind": "change",
            "ground": "15.4",
            "legal_basis": "第十五条",
            "proposed_values": json.dumps({"approver": "新审批人"}),
        },
        headers=operator,
    )
    assert created.status_code == 201, created.json
    pk = created.json["id"]
    diff = client.get(f"/api/v1/adjustment/{pk}/diff", headers=operator).json["result"]
    assert diff == [{"field": "approver", "old": "", "new": "新审批人"}]
    bad = client.post(
        f"/api/v1/adjustment/{pk}/transition",
        json={"name": "approve"},
        headers=api_token("province_admin"),
    )
    assert bad.status_code == 409

    # Every transition sends the version the caller loaded (optimistic lock).
    def version() -> int:
        return client.get(f"/api/v1/adjustment/{pk}", headers=operator).json["result"]["version"]

    ok = client.post(
        f"/api/v1/adjustment/{pk}/transition",
        json={"name": "submit", "version": version()},
        headers=operator,
    )
    assert ok.json["state"] == "legality_review"
    reviewer = api_token("legal_reviewer")
    queue = client.get("/api/v1/adjustment/queue", headers=reviewer).json["result"]
    assert [e["id"] for e in queue] == [pk]
    no_reason = client.post(
        f"/api/v1/adjustment/{pk}/transition",
        json={"name": "reject", "version": version()},
        headers=reviewer,
    )
    assert no_reason.status_code == 422
    client.post(
        f"/api/v1/adjustment/{pk}/transition",
        json={"name": "pass_legality", "version": version()},
        headers=reviewer,
    )
    admin = api_token("province_admin")
    stale = client.post(
        f"/api/v1/adjustment/{pk}/transition", json={"name": "approve", "version": 1}, headers=admin
    )
    assert stale.status_code == 409
    done = client.post(
        f"/api/v1/adjustment/{pk}/transition",
        json={"name": "approve", "version": version()},
        headers=admin,
    )
    assert done.json["state"] == "applied"
    public = client.get(f"/public/api/items/{data['published_code']}").json
    assert public["approver"] == "新审批人" and public["version"] == 2


def test_reviewer_sees_diff_and_buttons_and_rejects_with_reason(app, data, login) -> None:
    with app.app_context():
        row = db.session.get(ImplementationItem, data["published"])
        adjustment = services.create_adjustment(
            db.session,
            actor=system_actor(),
            item=row,
            kind="change",
            ground="15.1",
            legal_basis="x",
            proposed_values={"promised_time_limit_days": 4},
        )
        services.submit(db.session, actor=system_actor(), adjustment=adjustment)
        db.session.commit()
        pk = adjustment.id
    client = login("legal_reviewer")
    page = client.get(f"/adjustmentview/show/{pk}").get_data(as_text=True)
    assert 'id="btn-pass_legality"' in page and 'id="btn-reject"' in page
    assert "<del>10</del>" in page and "<ins>4</ins>" in page
    queue = client.get("/adjustmentview/queue").get_data(as_text=True)
    assert f"#{pk}" in queue
    version = _get(app, AdjustmentRequest, pk).version  # the form's hidden field
    page = client.post(
        f"/adjustmentview/transition/{pk}",
        data={"name": "reject", "reason": "", "version": version},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert _get(app, AdjustmentRequest, pk).state == "legality_review"
    client.post(
        f"/adjustmentview/transition/{pk}",
        data={"name": "reject", "reason": "依据不足", "version": version},
    )
    assert _get(app, AdjustmentRequest, pk).state == "returned"


def test_unit_operator_proposes_change_through_the_form(app, data, login) -> None:
    client = login("unit_operator")
    response = client.post(
        "/adjustmentview/add",
        data={
            "item": str(data["published"]),
            "kind": "change",
            "ground": "15.4",
            "legal_basis": "第十五条",
            "p_approver": "张三",
            "p_handling_type": "",
            "p_online_depth": "",
            "p_fully_online": "",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    with app.app_context():
        adjustment = db.session.query(AdjustmentRequest).one()
        assert services.proposed(adjustment) == {"approver": "张三"}
        assert adjustment.state == "draft" and adjustment.created_by == "unit_operator"


# -- filing and publication ---------------------------------------------------------------------


def test_filing_through_the_views(app, data, login) -> None:
    coordinator = login("county_coordinator")
    response = coordinator.post(
        "/filingview/file", data={"note": "2026年度"}, follow_redirects=True
    )
    assert "frozen" in response.get_data(as_text=True).lower() or "冻结" in response.get_data(
        as_text=True
    )
    admin = login("province_admin")
    pk = _filing_id(app)
    from app.catalogue.models import Filing

    version = _get(app, Filing, pk).version  # the form's hidden field
    admin.post(
        f"/filingview/decide/{pk}",
        data={"decision": "return", "reason": "缺少说明", "version": version},
    )
    with app.app_context():
        assert db.session.get(Filing, pk).state == "returned"
    assert login("county_coordinator2").get(f"/filingview/show/{pk}").status_code == 404
    changes = coordinator.get("/filingview/changes").get_data(as_text=True)
    assert data["published_code"] in changes


def _filing_id(app) -> int:
    with app.app_context():
        from app.catalogue.models import Filing

        return db.session.query(Filing).one().id


def test_public_pages_show_published_items_without_login_and_never_drafts(app, data) -> None:
    client = app.test_client()
    index = client.get("/public/").get_data(as_text=True)
    assert "秀英区" in index
    item = client.get(f"/public/item/{data['published_code']}")
    assert item.status_code == 200
    text = item.get_data(as_text=True)
    assert data["published_code"] in text and "v1" in text
    assert client.get(f"/public/item/{data['draft_code']}").status_code == 404
    assert client.get(f"/public/api/items/{data['draft_code']}").status_code == 404
    listing = client.get("/public/api/items?region=460105").json["result"]
    assert [r["implementation_code"] for r in listing] == [data["published_code"]]
    assert {"version", "published_at", "implementation_code"} <= set(listing[0])
    search = client.get("/public/search?q=草稿").get_data(as_text=True)
    assert data["draft_code"] not in search
    with app.app_context():
        from app.core.models import Unit

        credit = db.session.get(
            Unit, _get(app, ImplementationItem, data["published"]).unit_id
        ).credit_code
    unit_page = client.get(f"/public/unit/{credit}").get_data(as_text=True)
    assert data["published_code"] in unit_page and data["draft_code"] not in unit_page


def test_filing_api_and_cross_region_filing_404(app, data, api_token) -> None:
    client = app.test_client()
    filed = client.post("/api/v1/filing/file", json={}, headers=api_token("county_coordinator"))
    assert filed.status_code == 201, filed.json
    pk = filed.json["id"]
    other = api_token("county_coordinator2")
    assert client.get(f"/api/v1/filing/{pk}", headers=other).status_code == 404
    assert (
        client.post(
            f"/api/v1/filing/{pk}/decide", json={"acknowledge": True}, headers=other
        ).status_code
        == 404
    )
    version = filed.json.get("version", 1)  # a new filing is version 1
    assert (
        client.post(
            f"/api/v1/filing/{pk}/decide",
            json={"acknowledge": False, "version": version},
            headers=api_token("province_admin"),
        ).status_code
        == 422
    )
    done = client.post(
        f"/api/v1/filing/{pk}/decide",
        json={"acknowledge": True, "version": version},
        headers=api_token("province_admin"),
    )
    assert done.json["state"] == "acknowledged"
    assert (
        client.post("/api/v1/filing/file", json={}, headers=api_token("unit_operator")).status_code
        == 403
    )


def test_basic_entry_edit_in_the_form_updates_the_published_page(app, data, login) -> None:
    client = login("province_admin")
    with app.app_context():
        entry = db.session.get(BasicCatalogueEntry, data["entry"])
        form = {
            "basic_code": entry.basic_code,
            "name": entry.name,
            "item_type": str(entry.item_type_id),
            "source": entry.source,
            "status": entry.status,
            "competent_department": "",
            "legal_basis": entry.legal_basis,
            "acceptance_conditions": entry.acceptance_conditions,
            "application_materials": entry.application_materials,
            "legal_time_limit_days": str(entry.legal_time_limit_days),
            "handling_process": entry.handling_process,
            "fee_standard": "按省定标准收费",
            "complaint_phone": entry.complaint_phone,
            "form_content": entry.form_content,
            "lock_version": str(entry.version),
        }
    client.post(f"/basiccatalogueview/edit/{data['entry']}", data=form, follow_redirects=True)
    public = app.test_client().get(f"/public/api/items/{data['published_code']}").json
    assert public["fee_standard"] == "按省定标准收费" and public["version"] == 2
    # The same form again with the old version: refused, nothing changes.
    form["fee_standard"] = "另一个标准"
    page = client.post(
        f"/basiccatalogueview/edit/{data['entry']}", data=form, follow_redirects=True
    ).get_data(as_text=True)
    assert "他人" in page or "someone else" in page
    assert _get(app, BasicCatalogueEntry, data["entry"]).fee_standard == "按省定标准收费"


def test_item_page_links_to_versions_and_proposal(app, data, login) -> None:
    client = login("unit_operator")
    page = client.get(f"/implementationitemview/show/{data['published']}").get_data(as_text=True)
    assert "item-versions" in page and "item-propose" in page
    assert "#AdjustmentView" in page  # the adjustments of the item, in a tab
    form = client.get(f"/adjustmentview/add?_flt_0_item={data['published']}")
    assert form.status_code == 200
    versions = client.get(f"/implementationitemview/versions/{data['published']}")
    assert 'id="version-1"' in versions.get_data(as_text=True)


def test_window_staff_reads_but_cannot_propose(app, data, login, api_token) -> None:
    client = login("window_staff")
    assert client.get("/implementationitemview/list/").status_code == 200
    assert client.get("/adjustmentview/add").status_code in (302, 403)
    response = app.test_client().post(
        "/api/v1/adjustment/",
        json={
            "item": data["published"],
            "kind": "change",
            "ground": "15.4",
            "legal_basis": "x",
            "proposed_values": "{}",
        },
        headers=api_token("window_staff"),
    )
    assert response.status_code in (401, 403)


def test_basic_entry_api_update_republishes_and_needs_version(app, data, api_token) -> None:
    client = app.test_client()
    headers = api_token("province_admin")
    entry = client.get(f"/api/v1/basic_catalogue/{data['entry']}", headers=headers).json["result"]
    no_version = client.put(
        f"/api/v1/basic_catalogue/{data['entry']}",
        json={"complaint_phone": "0898-12345"},
        headers=headers,
    )
    assert no_version.status_code == 409
    ok = client.put(
        f"/api/v1/basic_catalogue/{data['entry']}",
        json={"complaint_phone": "0898-12345", "version": entry["version"]},
        headers=headers,
    )
    assert ok.status_code == 200, ok.json
    public = client.get(f"/public/api/items/{data['published_code']}").json
    assert public["complaint_phone"] == "0898-12345" and public["version"] == 2
    bad = client.put(
        f"/api/v1/basic_catalogue/{data['entry']}",
        json={"basic_code": "bad", "version": entry["version"] + 1},
        headers=headers,
    )
    assert bad.status_code == 422 and "basic_code" in bad.json["errors"]


def test_basic_entry_api_refuses_a_stale_version_and_a_role_that_may_not_edit(
    app, data, api_token
) -> None:
    client = app.test_client()
    headers = api_token("province_admin")
    entry = client.get(f"/api/v1/basic_catalogue/{data['entry']}", headers=headers).json["result"]
    client.put(
        f"/api/v1/basic_catalogue/{data['entry']}",
        json={"complaint_phone": "0898-12345", "version": entry["version"]},
        headers=headers,
    )
    stale = client.put(
        f"/api/v1/basic_catalogue/{data['entry']}",
        json={"complaint_phone": "0898-99999", "version": entry["version"]},
        headers=headers,
    )
    assert stale.status_code == 409 and stale.json["message"] and stale.json["errors"] == {}
    county = client.put(
        f"/api/v1/basic_catalogue/{data['entry']}",
        json={"complaint_phone": "0898-99999", "version": entry["version"] + 1},
        headers=api_token("county_coordinator"),
    )
    assert county.status_code == 403
    assert _get(app, BasicCatalogueEntry, data["entry"]).complaint_phone == "0898-12345"
    public = client.get(f"/public/api/items/{data['published_code']}").json
    assert public["complaint_phone"] == "0898-12345" and public["version"] == 2


def test_a_refused_api_entry_carries_the_field_errors_and_their_joined_message(
    app, world, api_token
) -> None:
    with app.app_context():
        type_id = f.item_type().id
        db.session.commit()
    response = app.test_client().post(
        "/api/v1/basic_catalogue/",
        json={
            "basic_code": "12AB",
            "name": " ",
            "item_type": type_id,
            "source": "provincial",
            "status": "active",
            "legal_time_limit_days": 5,
        },
        headers=api_token("province_admin"),
    )
    assert response.status_code == 422, response.json
    errors = response.json["errors"]
    assert {"basic_code", "name"} <= set(errors)
    assert response.json["message"] == MESSAGE_SEPARATOR.join(errors.values())


def _published_number(app, pk) -> int:
    with app.app_context():
        return db.session.get(ImplementationItem, pk).published_version.number


def _failing_publication(monkeypatch) -> None:
    def publish(*_args, **_kwargs):
        raise RuntimeError("publication failed")

    # republish_entry_items calls the ``publish`` of the module that defines it
    monkeypatch.setattr(entries, "publish", publish)


def test_a_failing_republication_rolls_back_the_basic_entry_api_edit(
    app, data, api_token, monkeypatch
) -> None:
    client = app.test_client()
    headers = api_token("province_admin")
    entry = client.get(f"/api/v1/basic_catalogue/{data['entry']}", headers=headers).json["result"]
    _failing_publication(monkeypatch)
    response = client.put(
        f"/api/v1/basic_catalogue/{data['entry']}",
        json={"complaint_phone": "0898-12345", "version": entry["version"]},
        headers=headers,
    )
    assert response.status_code == 500
    assert _get(app, BasicCatalogueEntry, data["entry"]).complaint_phone == entry["complaint_phone"]
    assert _published_number(app, data["published"]) == 1


def test_a_failing_republication_rolls_back_the_basic_entry_form_edit(
    app, data, login, monkeypatch
) -> None:
    client = login("province_admin")
    with app.app_context():
        entry = db.session.get(BasicCatalogueEntry, data["entry"])
        form = {
            "basic_code": entry.basic_code,
            "name": entry.name,
            "item_type": str(entry.item_type_id),
            "source": entry.source,
            "status": entry.status,
            "competent_department": "",
            "legal_basis": entry.legal_basis,
            "acceptance_conditions": entry.acceptance_conditions,
            "application_materials": entry.application_materials,
            "legal_time_limit_days": str(entry.legal_time_limit_days),
            "handling_process": entry.handling_process,
            "fee_standard": "按省定标准收费",
            "complaint_phone": entry.complaint_phone,
            "form_content": entry.form_content,
            "lock_version": str(entry.version),
        }
        before = entry.fee_standard
    _failing_publication(monkeypatch)
    page = client.post(
        f"/basiccatalogueview/edit/{data['entry']}", data=form, follow_redirects=True
    ).get_data(as_text=True)
    assert "publication failed" in page
    assert _get(app, BasicCatalogueEntry, data["entry"]).fee_standard == before
    assert _published_number(app, data["published"]) == 1


def test_implementation_list_page_offers_export_with_its_filters_and_import(app, data, login):
    page = (
        login("county_coordinator")
        .get("/implementationitemview/list/?_flt_0_implementation_code=X")
        .get_data(as_text=True)
    )
    assert 'id="item-export"' in page
    assert "/excel/implementation_list/export?_flt_0_implementation_code=X" in page
    assert 'href="/excel/implementation_list/"' in page


def test_adjustment_page_says_when_a_planned_suspension_takes_effect(app, world, login) -> None:
    import datetime as dt

    from app.core.unit_of_work import unit_of_work

    with app.app_context():
        row = f.item(world, published=True)
        admin = system_actor()
        with unit_of_work(db.session, admin):
            adjustment = services.create_adjustment(
                db.session,
                actor=admin,
                item=row,
                kind="suspend",
                ground="O.2",
                legal_basis="第十四条",
                planned_start=dt.date(2026, 10, 12),
                planned_resume=dt.date(2026, 10, 16),
            )
            for step in ("submit", "pass_legality", "approve"):
                services.transition(
                    db.session,
                    actor=admin,
                    adjustment=adjustment,
                    name=step,
                    today=dt.date(2026, 9, 28),
                )
        pk, row_id = adjustment.id, row.id
    client = login("county_coordinator")
    page = client.get(f"/adjustmentview/show/{pk}").get_data(as_text=True)
    assert "将于 2026-10-12 0 时生效" in page and "2026-10-16" in page
    item_page = client.get(f"/implementationitemview/show/{row_id}").get_data(as_text=True)
    assert "将于 2026-10-12 起暂停，计划于 2026-10-16 恢复" in item_page
