"""The catalogue's bulk path (a spreadsheet import) keeps the single-record path's rules: the
same refusals with the same messages, the same defaults, CHANGE adjustments validated as
create_adjustment validates them, and an audit chain that verifies afterwards."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.catalogue import bulk, services
from app.catalogue.models import AdjustmentRequest, ImplementationItem
from app.core.audit import verify_chain
from app.core.errors import ValidationError
from app.core.models import AuditLog, Unit
from app.extensions import db
from tests.catalogue import factories as cf
from tests.excel.factories import workbook_bytes
from tests.excel.helpers import post_file

URL = "/api/v1/implementation_list"
HEADER = ["事项名称", "基本编码", "实施主体", "承诺办结时限", "办件类型", "网办深度", "到现场次数"]


@pytest.fixture(autouse=True)
def eager_jobs(app):
    """The imports here run their jobs inline, as the spreadsheet tests do: a job thread would
    share the test's database connection (seen: "session is provisioning a new connection")."""
    previous = app.config.get("JOBS_EAGER")
    app.config["JOBS_EAGER"] = True
    yield
    app.config["JOBS_EAGER"] = previous


UNIT = "海口市秀英区市场监督管理局"


def _import(app, api_token, *rows):
    client, headers = app.test_client(), api_token("county_coordinator")
    data = workbook_bytes({"实施清单": [HEADER, *rows]})
    preview = post_file(client, headers, data, url=f"{URL}/import").json
    return client, headers, preview


def _confirm(client, headers, preview):
    done = client.post(f"{URL}/import/{preview['id']}/confirm", headers=headers)
    assert done.json["status"] == "applied", done.json


def _entry(app, code="460105001000", name="食品经营许可"):
    with app.app_context():
        cf.basic_entry(code, name, legal_time_limit_days=20)
        db.session.commit()


def _form_error(app, world, field, **values):
    """The single-record path's message for ``values`` (a new item of another entry)."""
    with app.app_context():
        entry = cf.basic_entry("460105002000", "药品零售许可", legal_time_limit_days=20)
        unit = db.session.get(Unit, world.unit("xiuying_market"))
        with pytest.raises(ValidationError) as error:
            services.create_implementation_item(
                db.session,
                actor=cf.actor("county_coordinator"),
                basic_entry=entry,
                unit=unit,
                values=values,
            )
        db.session.rollback()
        return error.value.errors[field]


def test_import_and_form_refuse_a_promised_limit_over_the_legal_one_with_the_same_message(
    world, app, api_token
):
    _entry(app)
    _client, _headers, preview = _import(
        app, api_token, ["食品经营许可", "460105001000", UNIT, 25, None, None, None]
    )
    assert preview["counts"]["invalid"] == 1
    [error] = preview["errors"]
    assert error["column"] == "承诺办结时限"
    assert error["message"] == _form_error(
        app, world, "promised_time_limit_days", promised_time_limit_days=25
    )


def test_import_and_form_refuse_visits_of_a_fully_online_item_with_the_same_message(
    world, app, api_token
):
    _entry(app)
    header = [*HEADER, "全程网办"]
    client, headers = app.test_client(), api_token("county_coordinator")
    data = workbook_bytes(
        {"实施清单": [header, ["食品经营许可", "460105001000", UNIT, 5, None, "四级", 2, "是"]]}
    )
    preview = post_file(client, headers, data, url=f"{URL}/import").json
    [error] = preview["errors"]
    assert error["column"] == "到现场次数"
    assert error["message"] == _form_error(
        app, world, "onsite_visits", fully_online=True, onsite_visits=2
    )


def test_import_and_form_give_a_new_item_the_same_defaults(world, app, api_token):
    _entry(app)
    client, headers, preview = _import(
        app, api_token, ["食品经营许可", "460105001000", UNIT, None, None, None, None]
    )
    assert preview["counts"]["new"] == 1, preview.get("errors")
    _confirm(client, headers, preview)
    with app.app_context():
        imported = db.session.scalar(select(ImplementationItem))
        entry = cf.basic_entry("460105002000", "药品零售许可", legal_time_limit_days=20)
        typed = services.create_implementation_item(
            db.session,
            actor=cf.actor("county_coordinator"),
            basic_entry=entry,
            unit=db.session.get(Unit, world.unit("xiuying_market")),
        )
        assert services.item_values(imported) == services.item_values(typed)
        assert services.item_values(typed) == services.ITEM_DEFAULTS
        assert (imported.status, imported.exercise_level) == (typed.status, typed.exercise_level)


def test_audit_chain_verifies_after_a_bulk_import(world, app, api_token):
    """New drafts (the fast append), a draft changed in place and a published item's change
    adjustment: every audit row's keyed hash and link check out."""
    _entry(app)
    with app.app_context():
        published = cf.item(
            world,
            entry=cf.basic_entry("460105002000", "药品零售许可", legal_time_limit_days=20),
            published=True,
        )
        published_id = published.id
        db.session.commit()
    client, headers, preview = _import(
        app,
        api_token,
        ["食品经营许可", "460105001000", UNIT, 10, None, None, None],
        ["药品零售许可", "460105002000", UNIT, 7, None, None, None],
    )
    assert (preview["counts"]["new"], preview["counts"]["changed"]) == (1, 1), preview
    _confirm(client, headers, preview)
    client, headers, preview = _import(
        app, api_token, ["食品经营许可", "460105001000", UNIT, 8, None, None, None]
    )
    assert preview["counts"]["changed"] == 1, preview
    _confirm(client, headers, preview)
    with app.app_context():
        actions = db.session.execute(
            select(AuditLog.action, AuditLog.object_type).where(
                AuditLog.object_type.in_(["ImplementationItem", "AdjustmentRequest"])
            )
        ).all()
        assert ("create", "AdjustmentRequest") in actions
        assert ("update", "ImplementationItem") in actions
        adjustment = db.session.scalar(
            select(AdjustmentRequest).where(AdjustmentRequest.item_id == published_id)
        )
        assert json.loads(adjustment.proposed_values) == {"promised_time_limit_days": 7}
        report = verify_chain(db.session)
        assert report.ok, report


def test_proposed_changes_are_validated_as_a_single_adjustment_is(world, app):
    """A proposal that changes nothing is refused by the bulk path with create_adjustment's
    message; only the legal basis may wait until the unit submits."""
    with app.app_context():
        item = cf.item(world, published=True)
        actor = cf.actor("county_coordinator")
        same = {"promised_time_limit_days": item.promised_time_limit_days}
        with pytest.raises(ValidationError) as single:
            services.create_adjustment(
                db.session,
                actor=actor,
                item=item,
                kind="change",
                ground="15.4",
                legal_basis="《条例》",
                proposed_values=same,
            )
        with pytest.raises(ValidationError) as many:
            bulk.propose_changes(db.session, [(item.id, same)], actor=actor)
        assert many.value.errors["proposed_values"] == single.value.errors["proposed_values"]
        assert "legal_basis" not in many.value.errors
        [proposal] = bulk.propose_changes(
            db.session, [(item.id, {"promised_time_limit_days": 3})], actor=actor
        )
        assert (proposal.state, proposal.legal_basis, proposal.unit_id) == (
            "draft",
            "",
            item.unit_id,
        )
