"""Implementing units (实施单位) as a spreadsheet: the provincial administrator bulk-loads them.

Key: the unified social credit code. The region is given by its division code. A row whose
unit or region lies outside the importer's reach is an error, as is an invalid credit code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.core.actor import Actor
from app.core.audit import record_many
from app.core.bulk import one_of
from app.core.models import Region, Unit
from app.core.services import credit_code_message, exercise_level_of
from app.core.states import KIND_LABELS, LEVEL_LABELS, ReachKind
from app.excel.spec import BOOLEAN, CHOICE, Column, ListSpec, Row

KIND_VALUES = {label: value for value, label in KIND_LABELS.items()}
LEVEL_VALUES = {label: value for value, label in LEVEL_LABELS.items()}


@dataclass(frozen=True, slots=True)
class KnownRegion:
    id: int
    path: str
    level: str


@dataclass(slots=True)
class UnitImportContext:
    """What the rows of one units import are checked against: the regions by division code."""

    regions: dict[str, KnownRegion]


class UnitListSpec(ListSpec):
    name = "units"
    title = "实施单位"
    permission = "Units"
    object_type = "Unit"
    key = ("credit_code",)
    columns = (
        Column(
            "name",
            "单位名称",
            required=True,
            max_length=128,
            width=36,
            synonyms=("单位全称", "机构名称", "实施单位名称"),
            meaning="实施单位的全称",
            example="海口市秀英区市场监督管理局",
        ),
        Column(
            "credit_code",
            "统一社会信用代码",
            required=True,
            max_length=18,
            width=22,
            synonyms=("信用代码", "社会信用代码", "单位信用代码", "实施主体编码"),
            meaning="18 位统一社会信用代码（GB 32100-2015），用于识别单位；已存在则更新该单位",
            example="11460105MB0123456X",
        ),
        Column(
            "region_code",
            "所属区划代码",
            required=True,
            max_length=12,
            width=14,
            synonyms=("区划代码", "行政区划代码", "所属区划"),
            meaning="单位所在区划的行政区划代码（6、9 或 12 位）",
            example="460105",
        ),
        Column(
            "kind",
            "单位类型",
            kind=CHOICE,
            required=True,
            choices=tuple(KIND_LABELS.values()),
            width=16,
            synonyms=("机构类型", "单位性质"),
            meaning="单位的类型",
            example="政府部门",
        ),
        Column(
            "exercise_level",
            "行使层级",
            kind=CHOICE,
            choices=tuple(LEVEL_LABELS.values()),
            width=14,
            synonyms=("层级",),
            meaning="行使层级；不填则按所属区划的级别确定",
            example="县级",
        ),
        Column(
            "liaison_name",
            "联络员",
            max_length=64,
            width=12,
            synonyms=("协调联络员", "联系人"),
            meaning="单位指定的协调联络员姓名",
            example="张三",
        ),
        Column(
            "liaison_phone",
            "联络电话",
            max_length=32,
            width=16,
            synonyms=("联系电话", "联络员电话"),
            meaning="联络员电话",
            example="0898-12345678",
        ),
        Column(
            "active",
            "是否启用",
            kind=BOOLEAN,
            width=10,
            synonyms=("启用", "状态"),
            meaning="停用的单位不再出现在选择列表中；不填为“是”",
            example="是",
        ),
    )
    instructions = (
        "实施单位导入模板：第 1 行为表头，从第 2 行起每行一个单位。",
        "以统一社会信用代码识别单位：代码已存在则更新该单位，不存在则新增。",
        "只能导入您管辖范围内区划的单位；带下拉框的列请从列表中选择。",
    )

    def normalise(self, values: dict[str, Any]) -> None:
        if values.get("credit_code"):
            values["credit_code"] = values["credit_code"].strip().upper()
        if values.get("region_code"):
            values["region_code"] = values["region_code"].strip()

    def prepare(self, session: Session, actor: Actor) -> UnitImportContext:
        regions = session.execute(select(Region.code, Region.id, Region.path, Region.level)).all()
        return UnitImportContext(
            regions={code: KnownRegion(rid, path, level) for code, rid, path, level in regions}
        )

    def existing(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        codes = [key[0] for key in keys]
        rows = session.execute(
            select(Unit, Region.code, Region.path)
            .join(Region, Unit.region_id == Region.id)
            .where(one_of(session, Unit.credit_code, codes))
        ).all()
        result = {}
        for unit, region_code, path in rows:
            values = self._values(unit, region_code)
            values["_id"], values["_version"] = unit.id, unit.version
            values["_in_reach"] = actor.reach.contains(path, unit.id)
            result[(unit.credit_code,)] = values
        return result

    @staticmethod
    def _values(unit: Unit, region_code: str) -> dict[str, Any]:
        return {
            "name": unit.name,
            "credit_code": unit.credit_code,
            "region_code": region_code,
            "kind": KIND_LABELS.get(unit.kind, unit.kind),
            "exercise_level": LEVEL_LABELS.get(unit.exercise_level, unit.exercise_level),
            "liaison_name": unit.liaison_name,
            "liaison_phone": unit.liaison_phone,
            "active": unit.active,
        }

    def check(
        self, row: Row, stored: dict[str, Any] | None, context: UnitImportContext, actor: Actor
    ) -> None:
        values = row.values
        message = credit_code_message(values.get("credit_code"))
        if message:
            row.errors["credit_code"] = message
        region = context.regions.get(str(values.get("region_code") or ""))
        if region is None:
            row.errors["region_code"] = _(
                "There is no region with division code %(code)s.", code=values.get("region_code")
            )
        elif not actor.reach.contains(region.path, region_only=True):
            row.errors["region_code"] = _(
                "Region %(code)s is outside your reach.", code=values.get("region_code")
            )
        elif actor.reach.kind is ReachKind.UNIT and stored is None:
            row.errors["credit_code"] = _("You may only change your own unit.")
        # Blank means "derive from the region" (new) or "keep" (existing): not a change.
        if values.get("exercise_level") is None:
            values.pop("exercise_level", None)
        if values.get("active") is None:
            values.pop("active", None)

    def write(
        self,
        session: Session,
        actor: Actor,
        creates: list[dict[str, Any]],
        updates: list[tuple[dict[str, Any], dict[str, Any]]],
        context: UnitImportContext,
    ) -> None:
        regions = context.regions
        events: list[dict[str, Any]] = []
        if creates:
            rows = []
            for values in creates:
                region = regions[values["region_code"]]
                level_value = LEVEL_VALUES.get(values.get("exercise_level") or "") or (
                    exercise_level_of(region.level)
                )
                rows.append(
                    {
                        "name": values["name"],
                        "credit_code": values["credit_code"],
                        "region_id": region.id,
                        "kind": KIND_VALUES[values["kind"]],
                        "exercise_level": level_value,
                        "liaison_name": values.get("liaison_name"),
                        "liaison_phone": values.get("liaison_phone"),
                        "active": values.get("active", True),
                        "version": 1,
                    }
                )
            ids = session.scalars(
                insert(Unit).returning(Unit.id, sort_by_parameter_order=True), rows
            ).all()
            events.extend(
                {
                    "action": "create",
                    "object_type": "Unit",
                    "object_id": unit_id,
                    "summary": row["name"],
                    "after": row,
                }
                for unit_id, row in zip(ids, rows, strict=True)
            )
        if updates:
            params = []
            for stored, changes in updates:
                columns = self._columns(changes, regions)
                params.append({"_id": stored["_id"], **columns})
                events.append(
                    {
                        "action": "update",
                        "object_type": "Unit",
                        "object_id": stored["_id"],
                        "summary": changes.get("name") or stored["name"],
                        "before": {k: stored.get(k) for k in changes},
                        "after": changes,
                    }
                )
            # Rows differ in which columns change: group them so each executemany is uniform.
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for param in params:
                groups.setdefault(tuple(sorted(param)), []).append(param)
            table = Unit.__table__
            for names, group in groups.items():
                statement = (
                    update(table)
                    .where(table.c.id == bindparam("_id"))
                    .values(
                        version=table.c.version + 1,
                        **{n: bindparam(n) for n in names if n != "_id"},
                    )
                )
                session.execute(statement, group)
        record_many(session, events)

    @staticmethod
    def _columns(changes: dict[str, Any], regions: dict[str, KnownRegion]) -> dict[str, Any]:
        columns: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "region_code":
                columns["region_id"] = regions[value].id
            elif key == "kind":
                columns["kind"] = KIND_VALUES[value]
            elif key == "exercise_level":
                columns["exercise_level"] = LEVEL_VALUES[value]
            else:
                columns[key] = value
        return columns

    def export_query(self, session: Session, actor: Actor) -> Any:
        return session.query(Unit)

    def export_rows(
        self, session: Session, actor: Actor, query: Any = None
    ) -> Iterator[dict[str, Any]]:
        statement = (
            select(Unit, Region.code)
            .join(Region, Unit.region_id == Region.id)
            .order_by(Unit.name, Unit.id)
            .execution_options(yield_per=2000)
        )
        if query is not None:
            statement = statement.where(Unit.id.in_(query.with_entities(Unit.id).statement))
        statement = actor.reach.scope(statement, Unit)
        for unit, region_code in session.execute(statement):
            yield self._values(unit, region_code)
