"""The licence tiles on the workbench: submissions to review (the reviewer's own unit's counted
apart), objections due with their deadlines, rejected registrations; each within reach."""

from __future__ import annotations

import datetime as dt
import re

from app.core.models import AppUser
from app.extensions import db
from tests.licences.factories import make_application, make_entry, make_objection


def _tile(page: str, key: str) -> tuple[int, str]:
    match = re.search(rf'<a [^>]*id="todo-{key}" data-count="(\d+)"[^>]*>(.*?)</a>', page, re.S)
    assert match, f"no tile {key}"
    return int(match.group(1)), match.group(2)


def test_the_licence_reviewer_sees_submissions_and_follows_the_tile_to_the_queue(app, world, login):
    with app.app_context():
        entry = make_entry(world.unit("xiuying_market"), state="submitted")
        make_entry(world.unit("haitang_market"), number=2, state="resubmitted")
        make_entry(world.unit("longhua_market"), number=3, state="draft")
        make_application(world.unit("haitang_market"), entry, state="submitted")
    client = login("licence_reviewer")
    page = client.get("/").get_data(as_text=True)
    assert _tile(page, "licence-registrations")[0] == 2
    assert _tile(page, "licence-applications")[0] == 1
    queue = client.get("/licencereview/queue/")
    assert queue.status_code == 200
    assert 'href="/licencereview/queue/" id="todo-licence-registrations"' in page


def test_the_reviewers_own_units_registration_is_counted_apart(app, world, login):
    with app.app_context():
        reviewer = db.session.get(AppUser, world.user("licence_reviewer"))
        reviewer.unit_id = world.unit("province")
        db.session.commit()
        make_entry(world.unit("province"), state="submitted")
    page = login("licence_reviewer").get("/").get_data(as_text=True)
    count, text = _tile(page, "licence-registrations")
    assert count == 0 and "须由其他审核员审核" in text


def test_objections_due_are_counted_for_the_issuing_unit_only_with_the_overdue_ones(
    app, world, login
):
    with app.app_context():
        entry = make_entry(world.unit("xiuying_market"), state="approved")
        make_objection(entry, received_on=dt.date(2026, 3, 2))  # marked by 3 March: overdue
        make_objection(entry)
    page = login("unit_operator").get("/").get_data(as_text=True)
    count, text = _tile(page, "licence-objections")
    assert count == 2 and "1 项已超期" in text
    other = login("unit_operator2").get("/").get_data(as_text=True)
    assert _tile(other, "licence-objections")[0] == 0
    reviewer = login("licence_reviewer").get("/").get_data(as_text=True)
    assert _tile(reviewer, "licence-objections")[0] == 2


def test_rejected_registrations_wait_for_their_unit_to_revise(app, world, login):
    with app.app_context():
        make_entry(world.unit("xiuying_market"), state="rejected")
    client = login("unit_operator")
    page = client.get("/").get_data(as_text=True)
    assert _tile(page, "licence-rejected")[0] == 1
    href = re.search(r'href="([^"]+)" id="todo-licence-rejected"', page).group(1)
    assert "营业执照" in client.get(href).get_data(as_text=True)
    assert (
        _tile(login("unit_operator2").get("/").get_data(as_text=True), "licence-rejected")[0] == 0
    )


def test_the_queue_shows_the_own_units_registration_as_for_another_reviewer(app, world, login):
    with app.app_context():
        reviewer = db.session.get(AppUser, world.user("licence_reviewer"))
        reviewer.unit_id = world.unit("province")
        db.session.commit()
        own = make_entry(world.unit("province"), state="submitted")
        other = make_entry(world.unit("haitang_market"), number=2, state="submitted")
    client = login("licence_reviewer")
    queue = client.get("/licencereview/queue/").get_data(as_text=True)
    assert queue.count("须由其他审核员审核") == 1
    assert f'class="btn btn-sm btn-primary" href="/licencereview/entry/{other}"' in queue
    assert f'class="btn btn-sm btn-primary" href="/licencereview/entry/{own}"' not in queue
    review = client.get(f"/licencereview/entry/{own}").get_data(as_text=True)
    assert 'id="review-by-other"' in review and 'id="review-approve"' not in review
    # Pressed anyway (an old page): refused, back on the review page with the reason.
    answer = client.post(f"/licencereview/entry/{own}/decide", data={"decision": "approve"})
    assert answer.status_code in (302, 303, 403, 409)
    if answer.status_code in (302, 303):
        assert answer.headers["Location"].endswith(f"/licencereview/entry/{own}")
