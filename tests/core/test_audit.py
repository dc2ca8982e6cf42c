"""The audit log: automatic, append-only, hash-chained, readable only by the audit administrator."""

from __future__ import annotations

import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from app.core.audit import AuditTampering, verify_chain
from app.core.models import AuditLog, Unit
from app.extensions import db


def _rows_for(object_type: str, object_id: object) -> list[AuditLog]:
    return (
        db.session.execute(
            select(AuditLog)
            .where(AuditLog.object_type == object_type, AuditLog.object_id == str(object_id))
            .order_by(AuditLog.id)
        )
        .scalars()
        .all()
    )


def test_unit_edit_through_the_ui_is_logged_with_who_where_and_before_after(world, login, app):
    unit_id = world.unit("xiuying_edu")
    client = login("province_admin")
    form = client.get(f"/unitview/edit/{unit_id}").get_data(as_text=True)
    version = form.split('id="lock_version" name="lock_version" type="hidden" value="')[1][:1]
    response = client.post(
        f"/unitview/edit/{unit_id}",
        data={
            "name": "海口市秀英区教育局（更名）",
            "credit_code": _credit(app, unit_id),
            "region": str(world.region("460105")),
            "kind": "department",
            "exercise_level": "4",
            "liaison_name": "王五",
            "liaison_phone": "0898-1234567",
            "active": "y",
            "lock_version": version,
        },
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 302
    with app.app_context():
        update = [r for r in _rows_for("Unit", unit_id) if r.action == "update"][-1]
        assert update.actor_name == "province_admin"
        assert update.actor_id == world.user("province_admin")
        assert update.ip == "10.1.2.3"
        assert json.loads(update.before)["name"] == "海口市秀英区教育局"
        assert json.loads(update.after) == {
            "name": "海口市秀英区教育局（更名）",
            "liaison_name": "王五",
            "liaison_phone": "0898-1234567",
        }


def _credit(app, unit_id):
    with app.app_context():
        return db.session.get(Unit, unit_id).credit_code


def test_creation_and_login_attempts_are_logged(world, app):
    client = app.test_client()
    client.post(
        "/login/",
        data={"username": "county_coordinator", "password": "wrong"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    client.post("/login/", data={"username": "nobody", "password": "wrong"})
    with app.app_context():
        created = _rows_for("Unit", world.unit("province"))
        assert created[0].action == "create"
        assert json.loads(created[0].after)["name"] == "海南省人民政府政务服务中心"
        failed = (
            db.session.execute(
                select(AuditLog)
                .where(AuditLog.action == "login_failed")
                .order_by(AuditLog.id.desc())
            )
            .scalars()
            .all()
        )
        assert failed[0].summary == "nobody"
        assert failed[1].summary == "county_coordinator" and failed[1].ip == "10.9.9.9"
        # the password hash of a created user never enters the log
        user_rows = _rows_for("AppUser", world.user("sys_admin"))
        assert json.loads(user_rows[0].after)["password"] == "***"


def test_successful_login_is_logged(world, login, app):
    login("supervisor")
    with app.app_context():
        last = (
            db.session.execute(
                select(AuditLog).where(AuditLog.action == "login").order_by(AuditLog.id.desc())
            )
            .scalars()
            .first()
        )
        assert last.actor_name == "supervisor"
        assert last.object_id == str(world.user("supervisor"))


def test_chain_verifies_and_detects_tampering(world, app):
    with app.app_context():
        assert verify_chain(db.session).ok
        victim = db.session.execute(
            select(AuditLog).order_by(AuditLog.id).offset(3).limit(1)
        ).scalar_one()
        original = victim.summary
        with _triggers_disabled():
            db.session.execute(
                text("UPDATE audit_log SET summary = 'forged' WHERE id = :i"), {"i": victim.id}
            )
            db.session.commit()
        try:
            report = verify_chain(db.session)
            assert not report.ok
            assert report.first_bad_id == victim.id
        finally:
            with _triggers_disabled():
                db.session.execute(
                    text("UPDATE audit_log SET summary = :s WHERE id = :i"),
                    {"s": original, "i": victim.id},
                )
                db.session.commit()
        assert verify_chain(db.session).ok


def test_bulk_appended_rows_with_awkward_text_verify_against_the_reference_hash(world, ctx):
    """append_serialized builds each row's hash payload itself; verify_chain recomputes it with
    row_hash from what was stored: quotes, backslashes, control characters, Chinese text, empty
    and missing JSON must all give the same bytes."""
    from app.core.actor import system_actor
    from app.core.audit import append_serialized, dumps, row_hash
    from app.core.unit_of_work import unit_of_work

    awkward = ['say "hi"', "back\\slash", "tab\tnew\nline\x01", "海口市秀英区", "", "\u2028"]
    rows = [
        ("transition", "ImplementationItem", str(n), text, None, dumps({"v": text, "n": n}))
        for n, text in enumerate(awkward)
    ] + [("update", "Unit", "7", "x", dumps({"a": None}), "{}")]
    with unit_of_work(db.session, system_actor()):
        before = db.session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
        append_serialized(db.session, rows)
        db.session.commit()
    stored = (
        db.session.execute(
            select(AuditLog.__table__).where(AuditLog.id > before).order_by(AuditLog.id)
        )
        .mappings()
        .all()
    )
    assert [r["summary"] for r in stored] == [*awkward, "x"]
    for row in stored:
        assert row["hash"] == row_hash(row["prev_hash"], row)
    assert verify_chain(db.session).ok


class _triggers_disabled:  # noqa: N801 - used as a context manager
    """Simulate someone with raw database access (the app itself cannot do this)."""

    def __enter__(self):
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            db.session.execute(text("DROP TRIGGER audit_log_no_update"))

    def __exit__(self, *exc):
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        else:
            db.session.execute(
                text(
                    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                )
            )
        db.session.commit()


def test_cli_audit_verify_reports_intact_chain(world, app):
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 0
    assert "audit chain intact" in result.output


def test_application_cannot_change_or_delete_audit_rows(world, ctx):
    row = db.session.execute(select(AuditLog).limit(1)).scalar_one()
    row.summary = "changed"
    with pytest.raises(AuditTampering):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.execute(select(AuditLog).limit(1)).scalar_one())
    with pytest.raises(AuditTampering):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_raw_update_and_delete_of_young_rows(world, ctx):
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE audit_log SET summary = 'x'"))
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM audit_log"))
    db.session.rollback()


def test_retention_job_never_drops_rows_younger_than_180_days(world, app):
    with app.app_context():
        before = db.session.execute(select(AuditLog.id)).scalars().all()
    result = app.test_cli_runner().invoke(args=["audit-retention", "--days", "1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        after = db.session.execute(select(AuditLog.id)).scalars().all()
    assert set(before) <= set(after)


@pytest.mark.parametrize(
    "username",
    ["province_admin", "sys_admin", "security_admin", "county_coordinator", "supervisor"],
)
def test_only_the_audit_administrator_reads_the_audit_log(world, login, username):
    client = login(username)
    response = client.get("/auditlogview/list/")
    assert response.status_code == 403
    assert "login_failed" not in response.get_data(as_text=True)
    assert client.get("/auditlogview/export/").status_code == 403


def test_audit_administrator_filters_and_exports_to_excel(world, login, app):
    client = login("audit_admin")
    page = client.get("/auditlogview/list/?_flt_0_action=create").get_data(as_text=True)
    assert "海南省人民政府政务服务中心" in page
    with client.get("/auditlogview/export/?_flt_0_action=create") as export:
        assert export.status_code == 200
        data = export.data
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "时间", "用户")
    actions = {row[5] for row in rows[1:]}
    assert actions == {"create"}
    with app.app_context():
        exported = (
            db.session.execute(
                select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id.desc())
            )
            .scalars()
            .first()
        )
        assert exported.actor_name == "audit_admin"


def test_audit_list_counts_at_most_the_cap(world, login, app):
    from app.extensions import appbuilder

    view = next(v for v in appbuilder.baseviews if type(v).__name__ == "AuditLogView")
    old_cap, view.datamodel.count_cap = view.datamodel.count_cap, 5
    try:
        page = login("audit_admin").get("/auditlogview/list/").get_data(as_text=True)
        assert re.search(r"记录数:\s*5\b", re.sub(r"<[^>]+>", "", page))
    finally:
        view.datamodel.count_cap = old_cap


def test_audit_export_of_rows_with_control_characters_opens_in_excel(world, login, app):
    from app.core.actor import system_actor
    from app.core.audit import AuditAction, record
    from app.core.unit_of_work import unit_of_work

    with app.app_context(), unit_of_work(db.session, system_actor()):
        record(
            db.session, AuditAction.UPDATE, object_type="Unit", summary="bell\x07 and\x01 tab\tend"
        )
        db.session.commit()
    with login("audit_admin").get("/auditlogview/export/?_flt_0_object_type=Unit") as export:
        assert export.status_code == 200
        data = export.data
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    assert any(
        "bell and tab\tend" in (cell or "") for row in rows for cell in row if isinstance(cell, str)
    )
