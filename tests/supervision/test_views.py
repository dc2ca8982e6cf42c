"""Pages and APIs of supervision: every view, action and API scoped by reach (a county's
supervisor, coordinator or unit cannot see or act on another county's findings or orders), the
roles held to their part, and the pages working end to end."""

from __future__ import annotations

import io

import pytest

from app.core.actor import system_actor
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.supervision import services
from app.supervision.models import Finding, RectificationOrder, SupervisionEvidence
from tests.supervision.factories import (
    check_point,
    county_supervisor,
    findings,
    item,
    plan,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture
def evidence_dir(app, tmp_path):
    previous = app.config["SUPERVISION_EVIDENCE_DIR"]
    app.config["SUPERVISION_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    yield
    app.config["SUPERVISION_EVIDENCE_DIR"] = previous


@pytest.fixture
def ids(app, world, evidence_dir):
    """A finding ordered to 秀英区市场监督管理局 (county 460105) with an evidence file, a plan of
    the province; supervisors of 秀英区 and of 海棠区."""
    with app.app_context():
        county_supervisor(world, "sup_xiuying", "460105")
        county_supervisor(world, "sup_haitang", "460202")
        item(world, published=True)
        point = check_point("elements_missing")
        onsite = check_point(None)
        row = plan(world, [point, onsite])
        db.session.commit()
        with unit_of_work(db.session, system_actor()):
            services.run_checks(db.session, row.id, actor=system_actor())
        (finding,) = findings(row.id)
        with unit_of_work(db.session, system_actor()):
            order = services.issue_order(db.session, finding.id, version=None, actor=system_actor())
            services.answer_order(
                db.session,
                order.id,
                measures="已整改",
                evidence=[("整改.pdf", PDF)],
                version=None,
                actor=system_actor(),
            )
        evidence = db.session.query(SupervisionEvidence).one()
        return {
            "plan": row.id,
            "point": onsite.id,
            "finding": finding.id,
            "order": order.id,
            "evidence": evidence.id,
        }


def test_the_supervisor_of_the_county_sees_its_findings_and_orders(app, ids, login):
    client = login("sup_xiuying")
    for url in (
        f"/findingview/show/{ids['finding']}",
        f"/rectificationorderview/show/{ids['order']}",
        "/findingview/list/",
        "/rectificationorderview/list/",
        "/rectificationorderview/queue/",
        f"/findingview/evidence/{ids['evidence']}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()
    page = client.get(f"/rectificationorderview/show/{ids['order']}").get_data(as_text=True)
    assert "order-accept" in page and "order-reject" in page


def test_another_countys_supervisor_coordinator_and_unit_get_404(app, ids, login):
    urls = (
        f"/findingview/show/{ids['finding']}",
        f"/rectificationorderview/show/{ids['order']}",
        f"/findingview/evidence/{ids['evidence']}",
    )
    for username in ("sup_haitang", "county_coordinator2", "unit_operator2"):
        client = login(username)
        for url in urls:
            assert client.get(url).status_code == 404, (username, url)
        assert "已整改" not in client.get("/rectificationorderview/queue/").get_data(as_text=True)
    client = login("sup_haitang")
    for step in ("accept", "reject"):
        response = client.post(
            f"/rectificationorderview/step/{ids['order']}/{step}",
            data={"version": "9", "note": "x"},
        )
        assert response.status_code == 404, step
    assert client.post(f"/findingview/order/{ids['finding']}", data={}).status_code == 404
    # The province's plan lies outside a county supervisor's reach.
    assert client.get(f"/checkplanview/show/{ids['plan']}").status_code == 404
    assert client.post(f"/checkplanview/run/{ids['plan']}").status_code == 404
    assert client.post(f"/checkplanview/record/{ids['plan']}", data={}).status_code == 404
    with app.app_context():
        assert db.session.get(RectificationOrder, ids["order"]).state == "answered"


def test_the_api_answers_404_outside_reach(app, ids, api_token):
    api = app.test_client()
    for username in ("sup_haitang", "county_coordinator2", "unit_operator2"):
        headers = api_token(username)
        assert (
            api.get(f"/api/v1/supervision_finding/{ids['finding']}", headers=headers).status_code
            == 404
        )
        assert (
            api.get(f"/api/v1/supervision_order/{ids['order']}", headers=headers).status_code == 404
        )
        listed = api.get("/api/v1/supervision_order/", headers=headers).json
        assert listed["count"] == 0
    headers = api_token("sup_haitang")
    for step in ("accept", "reject"):
        response = api.post(
            f"/api/v1/supervision_order/{ids['order']}/{step}",
            json={"version": 3, "reason": "x"},
            headers=headers,
        )
        assert response.status_code == 404, step
    response = api.post(
        f"/api/v1/supervision_finding/{ids['finding']}/order", json={}, headers=headers
    )
    assert response.status_code == 404


def test_the_api_takes_the_supervisors_decision(app, ids, api_token):
    api = app.test_client()
    headers = api_token("sup_xiuying")
    order = api.get(f"/api/v1/supervision_order/{ids['order']}", headers=headers).json["result"]
    response = api.post(
        f"/api/v1/supervision_order/{ids['order']}/reject",
        json={"version": order["version"], "reason": "佐证不足", "working_days": 3},
        headers=headers,
    )
    assert response.status_code == 200 and response.json["state"] == "issued"
    stale = api.post(
        f"/api/v1/supervision_order/{ids['order']}/accept",
        json={"version": order["version"]},
        headers=headers,
    )
    assert stale.status_code == 409


def test_units_and_coordinators_cannot_order_accept_or_manage_plans(app, ids, login):
    for username in ("unit_operator", "county_coordinator"):
        client = login(username)
        assert client.get(f"/findingview/show/{ids['finding']}").status_code == 200
        refused = client.post(
            f"/rectificationorderview/step/{ids['order']}/accept", data={"version": "3"}
        )
        assert refused.status_code in (302, 403)
        assert client.get("/checkplanview/list/").status_code in (302, 403)
        assert client.get("/checkpointview/add").status_code in (302, 403)
    with app.app_context():
        assert db.session.get(RectificationOrder, ids["order"]).state == "answered"


def test_the_unit_answers_and_the_supervisor_accepts_through_the_pages(app, ids, login):
    supervisor = login("sup_xiuying")
    with app.app_context():
        version = db.session.get(RectificationOrder, ids["order"]).version
    supervisor.post(
        f"/rectificationorderview/step/{ids['order']}/reject",
        data={"version": version, "note": "请补充佐证"},
    )
    operator = login("unit_operator")
    with app.app_context():
        order = db.session.get(RectificationOrder, ids["order"])
        assert order.state == "issued"
        version = order.version
    response = operator.post(
        f"/rectificationorderview/step/{ids['order']}/answer",
        data={
            "version": version,
            "note": "已公布咨询电话",
            "evidence": (io.BytesIO(PDF), "公示.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        version = db.session.get(RectificationOrder, ids["order"]).version
    supervisor.post(
        f"/rectificationorderview/step/{ids['order']}/accept", data={"version": version}
    )
    with app.app_context():
        order = db.session.get(RectificationOrder, ids["order"])
        assert order.state == "closed" and order.finding.state == "closed"
        assert {e.filename for e in db.session.query(SupervisionEvidence)} == {
            "整改.pdf",
            "公示.pdf",
        }


def test_a_supervisor_creates_a_plan_runs_it_and_records_a_finding(app, world, login, evidence_dir):
    with app.app_context():
        county_supervisor(world, "sup_xiuying", "460105")
        item(world, published=True)
        auto, manual = check_point("elements_missing").id, check_point(None).id
        db.session.commit()
    client = login("sup_xiuying")
    response = client.post(
        "/checkplanview/add",
        data={
            "name": "秀英区网上督查",
            "kind": "online",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "regions": [str(world.region("460105"))],
            "check_points": [str(auto), str(manual)],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        from app.supervision.models import CheckPlan

        plan_id = db.session.query(CheckPlan).one().id
    app.config["JOBS_EAGER"] = True
    try:
        assert client.post(f"/checkplanview/run/{plan_id}").status_code == 302
    finally:
        app.config["JOBS_EAGER"] = False
    page = client.get(f"/checkplanview/show/{plan_id}").get_data(as_text=True)
    assert "plan-findings" in page
    with app.app_context():
        assert db.session.query(Finding).filter_by(plan_id=plan_id).count() == 1
    recorded = client.post(
        f"/checkplanview/record/{plan_id}",
        data={
            "check_point_id": manual,
            "unit_id": world.unit("xiuying_market"),
            "subject": "窗口无人值守",
            "evidence": (io.BytesIO(PDF), "照片.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert recorded.status_code == 302
    with app.app_context():
        assert db.session.query(Finding).filter_by(source="manual").count() == 1


def test_a_county_supervisor_cannot_plan_outside_the_county(app, world, login):
    with app.app_context():
        county_supervisor(world, "sup_xiuying", "460105")
        auto = check_point("elements_missing").id
        db.session.commit()
    client = login("sup_xiuying")
    response = client.post(
        "/checkplanview/add",
        data={
            "name": "越权计划",
            "kind": "online",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "units": [str(world.unit("haitang_market"))],
            "check_points": [str(auto)],
        },
    )
    from app.supervision.models import CheckPlan

    with app.app_context():
        assert db.session.query(CheckPlan).count() == 0
    assert response.status_code in (200, 302, 404)


def test_check_points_are_validated_in_chinese(app, world, login):
    with app.app_context():
        check_point("elements_missing", code="JC-01")
        db.session.commit()
    client = login("supervisor")
    empty = client.post(
        "/checkpointview/add",
        data={"code": "", "description": "", "severity": "medium", "rule_key": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    twice = client.post(
        "/checkpointview/add",
        data={
            "code": "JC-01",
            "description": "重复",
            "severity": "high",
            "legal_basis": "某条例",
            "rule_key": "no_legal_basis",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    from app.supervision.models import CheckPoint

    with app.app_context():
        assert db.session.query(CheckPoint).count() == 1
    assert "该字段是必填字段" in empty
    assert "已经存在" in twice


def test_the_api_refuses_an_order_from_a_unit_and_issues_one_for_the_supervisor(
    app, world, api_token, evidence_dir
):
    with app.app_context():
        county_supervisor(world, "sup_xiuying", "460105")
        item(world, published=True)
        row = plan(world, [check_point("elements_missing")])
        db.session.commit()
        with unit_of_work(db.session, system_actor()):
            services.run_checks(db.session, row.id, actor=system_actor())
        (finding,) = findings(row.id)
        finding_id, version = finding.id, finding.version
    api = app.test_client()
    refused = api.post(
        f"/api/v1/supervision_finding/{finding_id}/order",
        json={"version": version},
        headers=api_token("unit_operator"),
    )
    assert refused.status_code == 403
    issued = api.post(
        f"/api/v1/supervision_finding/{finding_id}/order",
        json={"version": version, "working_days": 7},
        headers=api_token("sup_xiuying"),
    )
    assert issued.status_code == 201 and issued.json["due"]
    with app.app_context():
        order = db.session.get(RectificationOrder, issued.json["id"])
        assert order.working_days == 7 and order.state == "issued"
