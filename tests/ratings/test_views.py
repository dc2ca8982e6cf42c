"""Pages and APIs of ratings: masked everywhere except to the one handling the ticket, scoped by
reach on every view, step and API, the queue sorted by time left."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from app.extensions import db
from tests.ratings.factories import rated_item, rating

CLEAR = ("13812345678", "460100199001011234", "张三")
MASKED = ("138****5678", "4601**********1234", "张*")


@pytest.fixture
def ids(app, world):
    with app.app_context():
        item = rated_item(world)
        poor = rating(item.id, "2", rated_at=dt.datetime(2026, 3, 6, 16, 0))
        good = rating(item.id, "5")
        db.session.commit()
        return {"item": item.id, "poor": poor.id, "good": good.id, "ticket": poor.ticket.id}


def _version(app, ticket_id):
    from app.ratings.models import RectificationTicket

    with app.app_context():
        return db.session.get(RectificationTicket, ticket_id).version


def test_lists_show_and_api_show_personal_data_masked(app, ids, login, api_token):
    client = login("unit_operator")
    pages = [
        client.get("/ratingview/list/").get_data(as_text=True),
        client.get(f"/ratingview/show/{ids['poor']}").get_data(as_text=True),
        client.get(f"/rectificationticketview/show/{ids['ticket']}").get_data(as_text=True),
        client.get("/rectificationticketview/queue/").get_data(as_text=True),
    ]
    headers = api_token("unit_operator")
    api = app.test_client()
    pages.append(api.get(f"/api/v1/rating/{ids['poor']}", headers=headers).get_data(as_text=True))
    pages.append(api.get("/api/v1/rating/", headers=headers).get_data(as_text=True))
    pages.append(
        api.get(f"/api/v1/rectification_ticket/{ids['ticket']}", headers=headers).get_data(
            as_text=True
        )
    )
    for page in pages:
        assert not any(value in page for value in CLEAR)
    assert "138****5678" in pages[0] and "张*" in pages[2]


def test_the_handling_operator_sees_the_contact_on_request_audited(app, ids, login, api_token):
    page = login("unit_operator").post(f"/rectificationticketview/contact/{ids['ticket']}")
    assert page.status_code == 200 and "13812345678" in page.get_data(as_text=True)
    answer = app.test_client().post(
        f"/api/v1/rectification_ticket/{ids['ticket']}/contact",
        headers=api_token("unit_operator"),
    )
    assert answer.status_code == 200 and answer.json["phone"] == "13812345678"
    refused = app.test_client().post(
        f"/api/v1/rectification_ticket/{ids['ticket']}/contact",
        headers=api_token("county_coordinator"),
    )
    assert refused.status_code == 403 and "13812345678" not in refused.get_data(as_text=True)


@pytest.mark.parametrize("username", ["unit_operator2", "county_coordinator2"])
def test_another_reach_gets_404_on_every_page_step_and_api(app, ids, login, api_token, username):
    client = login(username)
    version = _version(app, ids["ticket"])
    for url in (
        f"/ratingview/show/{ids['poor']}",
        f"/rectificationticketview/show/{ids['ticket']}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/rectificationticketview/step/{ids['ticket']}/verify",
        f"/rectificationticketview/contact/{ids['ticket']}",
    ):
        response = client.post(url, data={"version": version, "valid": "1"})
        assert response.status_code == 404, url
    assert "张*" not in client.get("/rectificationticketview/queue/").get_data(as_text=True)
    assert "138****5678" not in client.get("/ratingview/list/").get_data(as_text=True)
    headers, api = api_token(username), app.test_client()
    assert api.get(f"/api/v1/rating/{ids['poor']}", headers=headers).status_code == 404
    assert (
        api.get(f"/api/v1/rectification_ticket/{ids['ticket']}", headers=headers).status_code == 404
    )
    for step in (
        "verify",
        "decide_invalid",
        "rectify",
        "call_back",
        "coordinator_close",
        "contact",
    ):
        response = api.post(
            f"/api/v1/rectification_ticket/{ids['ticket']}/{step}",
            headers=headers,
            json={"version": version, "valid": True},
        )
        assert response.status_code == 404, step
    recorded = api.post(
        "/api/v1/rating/record",
        headers=headers,
        json={"rating_no": "X1", "item_id": ids["item"], "channel": "pc", "level": "2",
              "rated_at": "2026-03-02T10:00"},
    )  # fmt: skip
    assert recorded.status_code == 404
    assert _version(app, ids["ticket"]) == version


@pytest.mark.parametrize("username", ["unit_operator2", "county_coordinator2"])
def test_another_reach_cannot_take_any_page_step_nor_see_the_figures_export_or_charts(
    app, ids, login, monkeypatch, username
):
    from app.core import charts
    from app.ratings.models import RectificationTicket

    client, version = login(username), _version(app, ids["ticket"])
    for step in ("verify", "decide_invalid", "rectify", "call_back", "coordinator_close"):
        response = client.post(
            f"/rectificationticketview/step/{ids['ticket']}/{step}",
            data={"version": version, "valid": "1", "agree": "1", "note": "x", "reached": "1",
                  "satisfied": "1"},
        )  # fmt: skip
        assert response.status_code == 404, step
    with app.app_context():
        ticket = db.session.get(RectificationTicket, ids["ticket"])
        assert (ticket.state, ticket.version) == ("verify", version)
    drawn = []
    for name in ("line_png", "bar_png"):
        monkeypatch.setattr(charts, name, lambda title, labels, values, **kw: drawn.append(values))
    for chart in ("trend", "channels", "overdue"):
        client.get(f"/ratingfigures/chart/{chart}?period=2026-03")
    assert drawn == [[], [], []]  # nothing of the other reach drawn
    export = client.get("/ratingfigures/export/?group_by=unit&period=2026-03")
    data = export.data
    export.close()
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == 0  # the header and a total of nothing
    own = login("county_coordinator").get("/ratingfigures/export/?group_by=unit&period=2026-03")
    data = own.data
    own.close()
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[-1][1] == 2  # the same export within reach counts the two ratings


def test_a_ticket_moves_through_its_steps_by_api(app, ids, api_token):
    headers, api = api_token("unit_operator"), app.test_client()
    url = f"/api/v1/rectification_ticket/{ids['ticket']}"
    version = _version(app, ids["ticket"])
    missing = api.post(f"{url}/verify", headers=headers, json={"valid": True})
    assert missing.status_code == 409
    answer = api.post(f"{url}/verify", headers=headers, json={"valid": True, "version": version})
    assert answer.json["state"] == "rectify"
    answer = api.post(
        f"{url}/rectify",
        headers=headers,
        json={"measures": "增开窗口", "version": answer.json["version"]},
    )
    assert answer.json["state"] == "call_back"
    answer = api.post(
        f"{url}/call_back",
        headers=headers,
        json={"reached": True, "satisfied": True, "version": answer.json["version"]},
    )
    assert answer.json["state"] == "closed"


def test_the_page_steps_and_the_buttons_follow_the_workflow(app, ids, login):
    operator = login("unit_operator")
    page = operator.get(f"/rectificationticketview/show/{ids['ticket']}").get_data(as_text=True)
    assert 'id="ticket-verify"' in page and 'id="ticket-rectify"' not in page
    operator.post(
        f"/rectificationticketview/step/{ids['ticket']}/verify",
        data={"valid": "0", "invalid_reason": "malicious", "note": "恶意评价",
              "version": _version(app, ids["ticket"])},
    )  # fmt: skip
    page = operator.get(f"/rectificationticketview/show/{ids['ticket']}").get_data(as_text=True)
    assert 'id="ticket-decide"' not in page
    coordinator = login("county_coordinator")
    page = coordinator.get(f"/rectificationticketview/show/{ids['ticket']}").get_data(as_text=True)
    assert 'id="ticket-decide"' in page
    coordinator.post(
        f"/rectificationticketview/step/{ids['ticket']}/decide_invalid",
        data={"agree": "1", "note": "同意", "version": _version(app, ids["ticket"])},
    )
    page = coordinator.get(f"/rectificationticketview/show/{ids['ticket']}").get_data(as_text=True)
    assert "恶意评价" in page


def test_overdue_tickets_are_flagged_in_the_queue_and_list(app, ids, login, clock):
    clock(dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC))
    client = login("unit_operator")
    queue = client.get("/rectificationticketview/queue/").get_data(as_text=True)
    assert "label-danger" in queue
    listing = client.get("/rectificationticketview/list/").get_data(as_text=True)
    assert "label-danger" in listing


def test_an_overdue_call_back_is_flagged_on_the_page_queue_and_api(
    app, ids, api_token, login, clock
):
    # Rated Friday 6 March; rectified Monday the 9th: the call-back is due Tuesday the 10th.
    clock(dt.datetime(2026, 3, 9, 2, 0, tzinfo=dt.UTC))
    headers, api = api_token("unit_operator"), app.test_client()
    url = f"/api/v1/rectification_ticket/{ids['ticket']}"
    answer = api.post(
        f"{url}/verify",
        headers=headers,
        json={"valid": True, "version": _version(app, ids["ticket"])},
    )
    api.post(
        f"{url}/rectify",
        headers=headers,
        json={"measures": "增开窗口", "version": answer.json["version"]},
    )
    client = login("unit_operator")
    page = client.get(f"/rectificationticketview/show/{ids['ticket']}").get_data(as_text=True)
    assert "2026-03-10" in page and 'id="ticket-step-overdue"' not in page
    assert api.get(url, headers=headers).json["result"]["step_overdue"] is False
    clock(dt.datetime(2026, 3, 11, 2, 0, tzinfo=dt.UTC))
    page = client.get(f"/rectificationticketview/show/{ids['ticket']}").get_data(as_text=True)
    assert 'id="ticket-step-overdue"' in page and 'id="ticket-overdue"' not in page
    assert "step-overdue" in client.get("/rectificationticketview/queue/").get_data(as_text=True)
    # Two days idle signed the token out: a fresh one.
    late = api.get(url, headers=api_token("unit_operator"))
    assert late.json["result"]["step_overdue"] is True


def test_window_staff_record_a_rating_by_hand(app, ids, login):
    client = login("window_staff")
    page = client.post(
        "/ratingview/record/",
        data={"rating_no": "ZJ0001", "item_id": ids["item"], "channel": "window",
              "level": "1", "rated_at": "2026-03-02T10:00", "text": "纸质评价",
              "rater_name": "王五", "phone": "13700001111"},
        follow_redirects=True,
    )  # fmt: skip
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "ZJ0001" in text and "13700001111" not in text
    with app.app_context():
        from app.ratings.models import Rating

        stored = db.session.query(Rating).filter_by(rating_no="ZJ0001").one()
        assert stored.ticket is not None and stored.source == "manual"


@pytest.mark.parametrize("username", ["unit_operator2", "county_coordinator2"])
def test_recording_by_hand_on_the_page_for_an_item_outside_reach_is_404(app, ids, login, username):
    page = login(username).post(
        "/ratingview/record/",
        data={"rating_no": "ZJ0404", "item_id": ids["item"], "channel": "window",
              "level": "1", "rated_at": "2026-03-02T10:00"},
    )  # fmt: skip
    assert page.status_code == 404
    with app.app_context():
        from app.ratings.models import Rating

        assert db.session.query(Rating).filter_by(rating_no="ZJ0404").count() == 0
