"""Production fails closed: unknown environments, the development key and weak keys do not start;
production forces secure cookies and no Swagger; no demo data in production."""

from __future__ import annotations

import importlib
import secrets

import pytest
from sqlalchemy import func, select

from app.core import production
from app.core.models import AppUser
from app.extensions import db

STRONG_KEY = secrets.token_urlsafe(32)


@pytest.mark.parametrize("env", ["Production", "prod", "PRODUCTION", "staging", "", "test"])
def test_an_unknown_environment_does_not_start(env):
    from app import create_app

    with pytest.raises(production.UnsafeConfiguration, match="ZWFW_ENV"):
        create_app({"ENV": env, "SECRET_KEY": STRONG_KEY})


@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,
        "ab" * 32,
        "0123" * 16,
        "short-but-random-" + secrets.token_hex(4),
        "zwfw-development-only-key-never-use-in-production",
    ],
    ids=["32-a", "ab-repeated", "0123-repeated", "short", "development-key"],
)
def test_production_refuses_a_key_without_real_entropy(key):
    from app import create_app

    with pytest.raises(production.UnsafeConfiguration, match="SECRET_KEY"):
        create_app({"ENV": "production", "SECRET_KEY": key})


def test_production_accepts_a_random_key_and_forces_secure_cookies_and_no_swagger():
    config = {
        "ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "FAB_API_SWAGGER_UI": True,
    }
    production.settle(config)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["FAB_API_SWAGGER_UI"] is False
    assert production.secret_key_bits(secrets.token_hex(32)) >= production.SECRET_KEY_MIN_BITS


def test_the_environment_variables_reach_the_same_checks(monkeypatch):
    import config

    try:
        monkeypatch.setenv("ZWFW_ENV", "prod")
        monkeypatch.delenv("SECRET_KEY", raising=False)
        importlib.reload(config)
        with pytest.raises(production.UnsafeConfiguration, match="ZWFW_ENV"):
            production.settle(vars(config).copy())
        monkeypatch.setenv("ZWFW_ENV", "production")
        monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
        monkeypatch.setenv("FAB_API_SWAGGER_UI", "true")
        importlib.reload(config)
        # the development key when SECRET_KEY is unset
        with pytest.raises(production.UnsafeConfiguration, match="SECRET_KEY"):
            production.settle(vars(config).copy())
        monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
        importlib.reload(config)
        settings = vars(config).copy()
        production.settle(settings)
        assert settings["SESSION_COOKIE_SECURE"] and not settings["FAB_API_SWAGGER_UI"]
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_development_may_use_the_development_key():
    import config

    production.settle({"ENV": "development", "SECRET_KEY": config.DEFAULT_SECRET_KEY})


def test_seed_demo_is_refused_in_production_and_creates_nothing(app):
    runner = app.test_cli_runner()
    previous = app.config["ENV"]
    app.config["ENV"] = "production"
    try:
        result = runner.invoke(args=["seed-demo"])
    finally:
        app.config["ENV"] = previous
    assert result.exit_code != 0
    assert "production" in result.output
    with app.app_context():
        demo_users = db.session.execute(
            select(func.count())
            .select_from(AppUser)
            .where(AppUser.username.in_(["sys_admin", "security_admin", "audit_admin"]))
        ).scalar_one()
        assert demo_users == 0


def test_seed_demo_data_itself_refuses_in_production(app):
    from app.core.cli import DemoRefused, seed_demo_data

    previous = app.config["ENV"]
    app.config["ENV"] = "production"
    try:
        with app.app_context(), pytest.raises(DemoRefused):
            seed_demo_data()
    finally:
        app.config["ENV"] = previous
