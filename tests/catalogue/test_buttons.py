"""A button is shown exactly to the roles that may use it (the workflow's ``can``; the import
link only to who may upload), as each demo role sees the page."""

from __future__ import annotations

import pytest

from app.catalogue import services
from app.core.actor import system_actor
from app.extensions import db
from tests.catalogue import factories as f

PAGE_ROLES = (
    "province_admin",
    "county_coordinator",
    "unit_operator",
    "legal_reviewer",
    "licence_reviewer",
    "supervisor",
    "window_staff",
)


@pytest.mark.parametrize("username", PAGE_ROLES)
def test_import_from_excel_only_for_who_may_upload(app, world, login, username) -> None:
    client = login(username)
    page = client.get("/implementationitemview/list/").get_data(as_text=True)
    may_upload = username in ("province_admin", "county_coordinator", "unit_operator")
    assert ('id="item-import"' in page) is may_upload
    assert ("从 Excel 导入" in page) is may_upload
    if may_upload:  # and the page it leads to has the upload form
        history = client.get("/excel/implementation_list/").get_data(as_text=True)
        assert 'id="upload-form"' in history


@pytest.mark.parametrize("username", ["province_admin", "county_coordinator", "supervisor"])
def test_file_my_regions_list_only_for_coordinators(app, world, login, username) -> None:
    page = login(username).get("/filingview/list/").get_data(as_text=True)
    coordinator = username == "county_coordinator"
    assert ('id="file-list"' in page) is coordinator
    assert ("报送本区划实施清单备案" in page) is coordinator


def _adjustment(app, world, *, submitted: bool) -> int:
    with app.app_context():
        item = f.item(world, published=True)
        adjustment = services.create_adjustment(
            db.session,
            actor=system_actor(),
            item=item,
            kind="change",
            ground="15.4",
            legal_basis="第十五条",
            proposed_values={"approver": "张三"},
        )
        if submitted:
            services.submit(db.session, actor=system_actor(), adjustment=adjustment)
        db.session.commit()
        return adjustment.id


@pytest.mark.parametrize(
    ("username", "buttons"),
    [
        ("unit_operator", {"submit"}),
        ("county_coordinator", {"submit"}),
        ("province_admin", {"submit"}),
        ("legal_reviewer", set()),
        ("supervisor", set()),
    ],
)
def test_draft_adjustment_buttons_per_role(app, world, login, username, buttons) -> None:
    pk = _adjustment(app, world, submitted=False)
    page = login(username).get(f"/adjustmentview/show/{pk}").get_data(as_text=True)
    for name in ("submit", "pass_legality", "reject", "approve"):
        assert (f'id="btn-{name}"' in page) is (name in buttons), name


@pytest.mark.parametrize(
    ("username", "buttons"),
    [
        ("legal_reviewer", {"pass_legality", "reject"}),
        ("unit_operator", set()),
        ("province_admin", set()),
        ("supervisor", set()),
    ],
)
def test_legality_review_buttons_per_role(app, world, login, username, buttons) -> None:
    pk = _adjustment(app, world, submitted=True)
    page = login(username).get(f"/adjustmentview/show/{pk}").get_data(as_text=True)
    for name in ("submit", "pass_legality", "reject", "approve"):
        assert (f'id="btn-{name}"' in page) is (name in buttons), name


@pytest.mark.parametrize(
    ("username", "shown"), [("unit_operator", True), ("licence_reviewer", False)]
)
def test_deprecate_button_only_for_the_issuing_unit(app, world, login, username, shown) -> None:
    from tests.licences.factories import make_entry

    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="approved")
    page = login(username).get(f"/licenceentryview/show/{entry_id}").get_data(as_text=True)
    assert ('id="entry-deprecate"' in page) is shown
