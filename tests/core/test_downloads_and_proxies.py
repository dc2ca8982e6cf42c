"""Downloads are never stored by the browser (Cache-Control: no-store); X-Forwarded-For is
believed only from as many proxies as TRUSTED_PROXIES says."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.core.models import AuditLog
from app.extensions import db

# -- downloads are never stored -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("province_admin", "/excel/units/template"),
        ("province_admin", "/excel/units/export?_flt_0_name=海口市秀英区"),
        ("audit_admin", "/auditlogview/export/?_flt_0_action=login"),
    ],
)
def test_a_signed_in_download_says_no_store(world, login, username, path):
    client = login(username)
    response = client.get(path)
    assert response.status_code == 200, response.status
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    response.close()


def test_an_api_sample_download_says_no_store(app, world, api_token, tmp_path):
    from tests.licences.factories import PDF, make_entry

    previous = app.config["LICENCE_SAMPLES_DIR"]
    app.config["LICENCE_SAMPLES_DIR"] = str(tmp_path)
    try:
        with app.app_context():
            entry_id = make_entry(world.unit("xiuying_market"))
        client = app.test_client()
        headers = api_token("unit_operator")
        upload = client.post(
            f"/api/v1/licence_entry/{entry_id}/sample",
            headers=headers,
            data={"file": (io.BytesIO(PDF), "样本.pdf"), "version": "1"},  # a new entry
            content_type="multipart/form-data",
        )
        assert upload.status_code == 200
        download = client.get(f"/api/v1/licence_entry/{entry_id}/sample", headers=headers)
        assert download.status_code == 200
        assert download.headers["Cache-Control"] == "no-store"
        download.close()
    finally:
        app.config["LICENCE_SAMPLES_DIR"] = previous


# -- trusted proxies ------------------------------------------------------------------------------


def _login_ip(app, client) -> str:
    from tests.factories import PASSWORD

    response = client.post(
        "/login/",
        data={"username": "supervisor", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert response.status_code == 302
    with app.app_context():
        last = (
            db.session.execute(
                select(AuditLog).where(AuditLog.action == "login").order_by(AuditLog.id.desc())
            )
            .scalars()
            .first()
        )
        return last.ip


def test_forwarded_for_is_ignored_without_trusted_proxies(app, world):
    assert app.config["TRUSTED_PROXIES"] == 0
    assert _login_ip(app, app.test_client()) == "10.0.0.1"


def test_one_trusted_proxy_gives_the_client_address(app, world):
    from app.core.guards import trust_proxies

    wsgi_app = app.wsgi_app
    app.config["TRUSTED_PROXIES"] = 1
    try:
        trust_proxies(app)
        assert _login_ip(app, app.test_client()) == "203.0.113.7"
    finally:
        app.wsgi_app = wsgi_app
        app.config["TRUSTED_PROXIES"] = 0
