"""The basic catalogue as a spreadsheet (issue #18): the province imports new entries and
changes through the catalogue's rules, republishing only on confirmation; export round-trips."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from app.catalogue.models import BasicCatalogueEntry, ImplementationItem
from app.extensions import db
from tests.catalogue import factories as f
from tests.excel.factories import workbook_bytes
from tests.excel.helpers import post_file

URL = "/api/v1/basic_catalogue_list"
HEADER = ["基本编码", "事项名称", "事项类型", "法定办结时限", "收费标准"]


@pytest.fixture(autouse=True)
def eager_jobs(app):
    previous = app.config.get("JOBS_EAGER")
    app.config["JOBS_EAGER"] = True
    yield
    app.config["JOBS_EAGER"] = previous


@pytest.fixture
def published(app, world):
    with app.app_context():
        row = f.item(world, published=True)
        db.session.commit()
        return row.id


def _import(app, headers, rows, header=HEADER):
    data = workbook_bytes({"基本目录": [header, *rows]})
    return post_file(app.test_client(), headers, data, url=f"{URL}/import").json


def test_new_entries_and_standardized_changes_republish_only_on_confirmation(
    app, world, published, api_token
):
    headers = api_token("province_admin")
    preview = _import(
        app,
        headers,
        [
            ["460105001000", "食品经营许可", "行政许可", 20, "按省定标准收费"],
            ["460105009000", "药品零售许可", "行政许可", 15, "不收费"],
        ],
    )
    assert (preview["counts"]["new"], preview["counts"]["changed"]) == (1, 1), preview
    [change] = preview["changes"]
    assert change["fields"] == [{"column": "收费标准", "old": "不收费", "new": "按省定标准收费"}]
    assert "1" in change["note"] and "重新发布" in change["note"]
    with app.app_context():  # the preview changed nothing
        item = db.session.get(ImplementationItem, published)
        assert item.published_version.number == 1 and item.fee_standard == "不收费"
    done = app.test_client().post(f"{URL}/import/{preview['id']}/confirm", headers=headers)
    assert done.json["status"] == "applied", done.json
    with app.app_context():
        item = db.session.get(ImplementationItem, published)
        assert item.published_version.number == 2
        assert json.loads(item.published_version.snapshot)["fee_standard"] == "按省定标准收费"
        new = db.session.query(BasicCatalogueEntry).filter_by(basic_code="460105009000").one()
        assert (new.name, new.source, new.status, new.legal_time_limit_days) == (
            "药品零售许可",
            "national",
            "active",
            15,
        )


def test_rows_breaking_the_catalogue_rules_are_refused_and_nothing_is_written(
    app, world, api_token
):
    with app.app_context():
        f.item_type()  # the item-type lookup, as seeded
        db.session.commit()
    headers = api_token("province_admin")
    preview = _import(
        app,
        headers,
        [
            ["46-105", "坏编码", "行政许可", 20, ""],
            ["460105002000", "行政处罚事项", "行政处罚", 20, ""],
            ["460105003000", "", "行政许可", 20, ""],
        ],
    )
    assert preview["counts"]["invalid"] == 3, preview
    columns = {(error["row"], error["column"]) for error in preview["errors"]}
    assert columns == {(2, "基本编码"), (3, "事项类型"), (4, "事项名称")}
    with app.app_context():
        assert db.session.query(BasicCatalogueEntry).count() == 0


def test_basic_catalogue_export_imports_back_unchanged(app, world, published, api_token):
    headers = api_token("province_admin")
    response = app.test_client().get(f"{URL}/export", headers=headers)
    content = response.data
    response.close()
    book = openpyxl.load_workbook(io.BytesIO(content))
    header = [c.value for c in book["基本目录"][1]]
    assert header[:3] == ["基本编码", "事项名称", "事项类型"]
    preview = post_file(app.test_client(), headers, content, url=f"{URL}/import").json
    assert preview["counts"]["unchanged"] == 1 and preview["counts"]["invalid"] == 0, preview


@pytest.mark.parametrize("username", ["county_coordinator", "unit_operator", "supervisor"])
def test_only_the_province_admin_imports_the_basic_catalogue(app, world, api_token, username):
    response = post_file(
        app.test_client(),
        api_token(username),
        workbook_bytes({"基本目录": [HEADER, ["460105009000", "新事项", "行政许可", 15, ""]]}),
        url=f"{URL}/import",
    )
    assert response.status_code in (401, 403)
    with app.app_context():
        assert db.session.query(BasicCatalogueEntry).count() == 0
