"""The audit log as an auditor reads it: Chinese labels for actions, object types, workflow steps
and fields, before → after as a table, filters as drop-downs, times to the second."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.catalogue import services
from app.core.actor import system_actor
from app.core.models import AuditLog, Unit
from app.extensions import db
from tests.catalogue import factories as f


def _text(html: str) -> str:
    html = re.sub(r"(?s)<script.*?</script>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _submitted_adjustment(app, world) -> int:
    with app.app_context():
        row = f.item(world, published=True)
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
        return adjustment.id


def test_audit_list_shows_labels_not_codes(app, world, login):
    _submitted_adjustment(app, world)
    client = login("audit_admin")
    text = _text(client.get("/auditlogview/list/?psize_AuditLogView=100").get_data(True))
    assert "登录" in text and "用户账号" in text
    for code in (" login ", " transition ", " create ", " AdjustmentRequest ", " User "):
        assert code not in text, code


def test_a_transition_reads_as_its_step_and_states(app, world, login):
    pk = _submitted_adjustment(app, world)
    client = login("audit_admin")
    page = client.get(
        f"/auditlogview/list/?_flt_0_action=transition&_flt_0_object_id={pk}"
    ).get_data(as_text=True)
    text = _text(page)
    assert "流程办理" in text and "提交" in text
    assert "submit:" not in text
    with app.app_context():
        row_id = db.session.execute(
            select(AuditLog.id).where(
                AuditLog.action == "transition", AuditLog.object_type == "AdjustmentRequest"
            )
        ).scalar()
    show = _text(client.get(f"/auditlogview/show/{row_id}").get_data(as_text=True))
    # before → after as a table of labelled fields: 状态 草稿 → 合法性审核
    assert "修改前" in show and "修改后" in show
    assert re.search(r"状态\s+草稿\s+合法性审核", show), show
    assert "legality_review" not in show and '"state"' not in show


def test_an_update_names_fields_as_the_form_does(app, world, login):
    with app.app_context():
        unit = db.session.get(Unit, world.unit("xiuying_edu"))
        unit.liaison_name = "王五"
        db.session.commit()
        row_id = db.session.execute(
            select(AuditLog.id)
            .where(AuditLog.action == "update", AuditLog.object_type == "Unit")
            .order_by(AuditLog.id.desc())
        ).scalar()
    show = _text(login("audit_admin").get(f"/auditlogview/show/{row_id}").get_data(True))
    assert "协调联络员" in show and "王五" in show
    assert "&lt;" not in show and "None" not in show
    assert "liaison_name" not in show


def test_audit_filters_are_drop_downs_of_labels(app, world, login):
    page = login("audit_admin").get("/auditlogview/list/").get_data(as_text=True)
    # FAB's filter widget carries each field's HTML in its script (JSON-escaped).
    assert re.search(r'<select[^>]*name=\\"action\\"', page) or 'name=\\"action\\"' in page
    assert "\\u6d41\\u7a0b\\u529e\\u7406" in page or "流程办理" in page  # 流程办理


def test_audit_times_are_province_times_to_the_second(app, world, login):
    text = _text(login("audit_admin").get("/auditlogview/list/").get_data(as_text=True))
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text)
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", text)
    assert "UTC" not in text


def test_audit_export_keeps_the_stored_codes(app, world, login):
    import io

    from openpyxl import load_workbook

    with login("audit_admin").get("/auditlogview/export/") as export:
        data = export.data
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    values = {value for row in workbook.active.iter_rows(values_only=True) for value in row}
    workbook.close()
    assert "login" in values
