"""Downloads are named in Chinese, as their lists are (实施清单导入模板.xlsx)."""

from __future__ import annotations

from urllib.parse import quote


def _filename(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition
    return disposition


def test_template_and_export_are_named_in_chinese(world, login):
    client = login("county_coordinator")
    with client.get("/excel/implementation_list/template") as response:
        assert quote("实施清单导入模板.xlsx") in _filename(response)
        assert "template" not in _filename(response)
    with client.get("/excel/implementation_list/export") as response:
        assert quote("实施清单-") in _filename(response)


def test_audit_export_is_named_in_chinese(world, login):
    with login("audit_admin").get("/auditlogview/export/") as response:
        assert quote("审计日志-") in _filename(response)


def test_export_of_a_role_without_the_list_is_refused(world, login):
    with login("audit_admin").get("/excel/implementation_list/export") as response:
        assert response.status_code in (302, 403)
