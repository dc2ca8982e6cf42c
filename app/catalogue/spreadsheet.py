"""The implementation list (实施清单) as a spreadsheet: 24 columns, the counties' own names for
them, and the catalogue's rules (app.catalogue.services) applied to every row.

A row is identified by its basic code (基本编码) and its implementing unit (实施主体编码, or the
unit's name when the file has no code). What an import may do, per DOMAIN.md §2:

* a new row enters the unit's list as a **draft** (not published): publication goes through an
  ADD adjustment as for any draft;
* a changed **draft** row is updated in place (drafts are edited directly);
* a changed **published** row (在用 / 已暂停) becomes a draft CHANGE **adjustment request** with the
  proposed values; the unit completes its legal basis and submits it to review. A row whose item
  already has an adjustment in progress, or is cancelled or terminated, is an error;
* standardized elements (事项名称, 事项类型, 法定办结时限, 设定依据 ...) are read-only: a value
  that differs from the basic catalogue is an error, never a silent skip. So are unknown basic codes
  and units outside the importer's reach.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from app.catalogue import codes as catalogue_codes
from app.catalogue import services as catalogue
from app.catalogue.models import (
    AdjustmentRequest,
    BasicCatalogueEntry,
    ImplementationItem,
    ItemType,
)
from app.catalogue.states import (
    AdjustmentKind,
    AdjustmentState,
    EntryStatus,
    HandlingType,
    ItemStatus,
    OnlineDepth,
)
from app.core import audit
from app.core.actor import Actor
from app.core.audit import record_many
from app.core.bulk import insert_rows, one_of
from app.core.models import Region, Unit, utcnow
from app.core.spreadsheet import LEVEL_LABELS
from app.excel.spec import BOOLEAN, CHOICE, INTEGER, Column, ListSpec, Row, digest

HANDLING_LABELS = {HandlingType.INSTANT.value: "即办件", HandlingType.PROMISED.value: "承诺件"}
DEPTH_LABELS = {
    OnlineDepth.INFO.value: "一级（网上信息发布）",
    OnlineDepth.FORMS.value: "二级（网上表单下载）",
    OnlineDepth.APPLY.value: "三级（网上申报）",
    OnlineDepth.FULL.value: "四级（全程网办）",
}
STATUS_LABELS = {
    ItemStatus.DRAFT.value: "草稿（未发布）",
    ItemStatus.ACTIVE.value: "在用",
    ItemStatus.SUSPENDED.value: "已暂停",
    ItemStatus.CANCELLED.value: "已取消",
    ItemStatus.TERMINATED.value: "已终止",
}
HANDLING_VALUES = {v: k for k, v in HANDLING_LABELS.items()}
DEPTH_VALUES = {v: k for k, v in DEPTH_LABELS.items()}
# Standardized elements in this sheet: key → the basic-catalogue attribute they must equal.
STANDARDIZED = {
    "item_name": "name",
    "item_type": "item_type",
    "legal_time_limit_days": "legal_time_limit_days",
    "legal_basis": "legal_basis",
    "acceptance_conditions": "acceptance_conditions",
    "fee_standard": "fee_standard",
    "complaint_phone": "complaint_phone",
}
PERSONALIZED = catalogue.PERSONALIZED_FIELDS
_PERSONALIZED = frozenset(PERSONALIZED)
PUBLISHED = (ItemStatus.ACTIVE.value, ItemStatus.SUSPENDED.value)
# What app.catalogue.services.item_value_errors looks at.
RULE_INPUTS = (
    "promised_time_limit_days",
    "handling_type",
    "online_depth",
    "onsite_visits",
    "fully_online",
)
_rule_inputs = operator.itemgetter(*RULE_INPUTS)
# The item columns an import fills from a new row (ImplementationListSpec.plan_values), in order;
# the status, timestamps and version are the same for every row of a write.
_MODEL_KEYS = PERSONALIZED  # the item's personalized columns, in this order
_model_tuple = operator.itemgetter(*_MODEL_KEYS)

_CREATE_COLUMNS = (
    "basic_entry_id",
    "unit_id",
    "region_id",
    "exercise_level",
    "implementation_code",
    *_MODEL_KEYS,
)
_by_code = operator.itemgetter(_CREATE_COLUMNS.index("implementation_code"))
CHANGE_GROUND = "15.4"  # 第十五条（四）其他依法变更: the unit corrects it before submitting


def _text(
    key: str,
    header: str,
    *,
    width: int = 20,
    max_length: int | None = None,
    synonyms: tuple[str, ...] = (),
    meaning: str = "",
    example: str = "",
    readonly: bool = False,
    required: bool = False,
) -> Column:
    return Column(
        key,
        header,
        width=width,
        max_length=max_length,
        synonyms=synonyms,
        meaning=meaning,
        example=example,
        readonly=readonly,
        required=required,
    )


class ImplementationListSpec(ListSpec):
    name = "implementation_list"
    title = "实施清单"
    permission = "ImplementationList"
    object_type = "ImplementationItem"
    key = ("basic_code", "unit_code")
    columns = (
        _text(
            "item_name",
            "事项名称",
            width=30,
            readonly=True,
            synonyms=("权力名称", "职权名称", "事项名称（主项）"),
            meaning="标准化要素，取自基本目录",
            example="食品经营许可",
        ),
        _text(
            "basic_code",
            "基本编码",
            width=15,
            required=True,
            max_length=12,
            synonyms=("职权编码", "事项编码", "目录编码", "基本目录编码"),
            meaning="基本目录中的 12 位基本编码，用于识别事项",
            example="442199806003",
        ),
        Column(
            "item_type",
            "事项类型",
            kind=CHOICE,
            readonly=True,
            width=14,
            synonyms=("权力类型", "职权类型", "事项类别"),
            meaning="标准化要素，取自基本目录",
            example="行政许可",
        ),
        _text(
            "unit_name",
            "实施主体",
            width=30,
            max_length=128,
            synonyms=("行使主体", "实施机构", "实施单位", "实施主体名称"),
            meaning="实施单位名称；未填实施主体编码时按名称识别单位",
            example="海口市秀英区市场监督管理局",
        ),
        _text(
            "unit_code",
            "实施主体编码",
            width=22,
            max_length=18,
            synonyms=(
                "实施主体统一社会信用代码",
                "行使主体编码",
                "统一社会信用代码",
                "实施单位编码",
            ),
            meaning="实施单位的统一社会信用代码（优先于名称）",
            example="11460105MB0123456X",
        ),
        _text(
            "implementation_code",
            "实施编码",
            width=34,
            readonly=True,
            max_length=31,
            synonyms=("事项实施编码",),
            meaning="由系统生成：实施主体编码 + 行使层级 + 基本编码（31 位）",
        ),
        Column(
            "exercise_level",
            "行使层级",
            kind=CHOICE,
            readonly=True,
            width=12,
            choices=tuple(LEVEL_LABELS.values()),
            meaning="取自实施单位",
        ),
        Column(
            "legal_time_limit_days",
            "法定办结时限",
            kind=INTEGER,
            readonly=True,
            width=12,
            min_value=0,
            synonyms=("法定期限（天/日）", "法定时限", "法定办结时限（工作日）", "法定期限"),
            meaning="标准化要素（工作日），取自基本目录",
            example="20",
        ),
        Column(
            "promised_time_limit_days",
            "承诺办结时限",
            kind=INTEGER,
            width=12,
            min_value=0,
            synonyms=("承诺期限（天/日）", "承诺时限", "承诺办结时限（工作日）", "承诺期限"),
            meaning="工作日，不得大于法定办结时限",
            example="10",
        ),
        Column(
            "handling_type",
            "办件类型",
            kind=CHOICE,
            width=10,
            choices=tuple(HANDLING_LABELS.values()),
            aliases=(("即办", "即办件"), ("承诺", "承诺件")),
            meaning="即办件或承诺件；不填为承诺件",
            example="承诺件",
        ),
        Column(
            "onsite_visits",
            "到现场次数",
            kind=INTEGER,
            width=10,
            min_value=0,
            max_value=10,
            synonyms=("跑动次数", "到办事现场次数"),
            meaning="整数；全程网办的事项为 0",
            example="1",
        ),
        Column(
            "online_depth",
            "网办深度",
            kind=CHOICE,
            width=20,
            choices=tuple(DEPTH_LABELS.values()),
            aliases=(
                ("1", DEPTH_LABELS["1"]),
                ("2", DEPTH_LABELS["2"]),
                ("3", DEPTH_LABELS["3"]),
                ("4", DEPTH_LABELS["4"]),
                ("一级", DEPTH_LABELS["1"]),
                ("二级", DEPTH_LABELS["2"]),
                ("三级", DEPTH_LABELS["3"]),
                ("四级", DEPTH_LABELS["4"]),
            ),
            meaning="网上办理深度一至四级；不填为一级",
            example="三级（网上申报）",
        ),
        Column(
            "fully_online",
            "全程网办",
            kind=BOOLEAN,
            width=10,
            synonyms=("是否全程网办",),
            meaning="是或否；不填为否",
            example="否",
        ),
        _text(
            "service_hours",
            "办理时间",
            width=24,
            max_length=256,
            meaning="个性化要素",
            example="工作日 9:00-12:00，14:30-17:30",
        ),
        _text(
            "service_location",
            "办理地点",
            width=30,
            max_length=256,
            meaning="个性化要素",
            example="秀英区政务服务中心 2 楼 12 号窗口",
        ),
        _text(
            "consult_phone",
            "咨询电话",
            width=16,
            max_length=64,
            synonyms=("咨询方式",),
            meaning="个性化要素",
            example="0898-68600000",
        ),
        _text(
            "approver",
            "审批人员",
            width=12,
            max_length=128,
            synonyms=("审批人",),
            meaning="个性化要素",
            example="张三",
        ),
        _text("faq", "常见问题", width=30, meaning="个性化要素"),
        _text("result_sample", "结果样本", width=20, meaning="个性化要素，例如证照样本的说明"),
        _text(
            "legal_basis",
            "设定依据",
            width=40,
            readonly=True,
            synonyms=("法律依据", "实施依据"),
            meaning="标准化要素，取自基本目录",
        ),
        _text(
            "acceptance_conditions",
            "受理条件",
            width=30,
            readonly=True,
            meaning="标准化要素，取自基本目录",
        ),
        _text(
            "fee_standard",
            "收费标准",
            width=20,
            readonly=True,
            synonyms=("收费依据及标准",),
            meaning="标准化要素，取自基本目录",
        ),
        _text(
            "complaint_phone",
            "投诉电话",
            width=16,
            readonly=True,
            synonyms=("监督投诉电话",),
            meaning="标准化要素，取自基本目录",
        ),
        Column(
            "status",
            "事项状态",
            kind=CHOICE,
            readonly=True,
            width=12,
            choices=tuple(STATUS_LABELS.values()),
            synonyms=("状态",),
            meaning="只读：新增行为草稿；状态变化经动态调整审核",
        ),
    )
    instructions = (
        "实施清单导入模板：第 1 行为表头，从第 2 行起每行一个事项；"
        "也可以直接上传本地原有的表格，系统会识别表头和常见列名。",
        "以“基本编码 + 实施主体编码（或实施主体名称）”识别事项："
        "已存在则比较变化，不存在则新增为草稿。",
        "标准化要素（事项名称、事项类型、法定办结时限、设定依据、受理条件、收费标准、投诉电话）"
        "取自基本目录，只读；与基本目录不一致的行会报错。",
        "已发布事项的个性化要素变化不会直接生效，"
        "而是生成“变更”调整申请草稿，补充调整依据后提交审核。",
        "只能导入您管辖范围内单位的事项；带下拉框的列请从列表中选择。",
    )

    # -- keys -------------------------------------------------------------------------------

    def normalise(self, values: dict[str, Any]) -> None:
        for key in ("basic_code", "unit_code", "implementation_code"):
            if values.get(key):
                values[key] = str(values[key]).strip().upper()

    def key_of(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        code = values.get("basic_code")
        unit = values.get("unit_code") or (
            f"名:{values['unit_name']}" if values.get("unit_name") else None
        )
        return (code, unit) if code and unit else None

    def choices(self, column: Column, session: Session) -> Sequence[str]:
        if column.key == "item_type":
            return list(
                session.scalars(
                    select(ItemType.name)
                    .where(ItemType.active.is_(True))
                    .order_by(ItemType.sort_order, ItemType.code)
                )
            )
        return column.choices

    # -- lookups ----------------------------------------------------------------------------

    def prepare(self, session: Session, actor: Actor) -> dict[str, Any]:
        units = session.execute(
            select(
                Unit.id,
                Unit.name,
                Unit.credit_code,
                Unit.exercise_level,
                Unit.region_id,
                Region.path,
            ).join(Region, Unit.region_id == Region.id)
        ).all()
        by_code, by_name = {}, {}
        for row in units:
            info = {
                "id": row.id,
                "name": row.name,
                "credit_code": row.credit_code,
                "level": row.exercise_level,
                "region_id": row.region_id,
                "path": row.path,
            }
            by_code[row.credit_code] = info
            by_name.setdefault(row.name, []).append(info)
        return {
            "by_code": by_code,
            "by_name": by_name,
            "entries": {},
            "session": session,
            "code_messages": {},
            "unit_reach": {},
            "unit_tokens": {},
            "standardized": {},
            "standardized_errors": {},
        }

    @staticmethod
    def _unit_in_reach(actor: Actor, unit: dict[str, Any], context: dict[str, Any]) -> bool:
        known = context["unit_reach"]
        if unit["id"] not in known:
            known[unit["id"]] = actor.reach.contains(unit["path"], unit["id"])
        return known[unit["id"]]

    def _unit_of_key(self, key: tuple[Any, ...], context: dict[str, Any]) -> tuple[Any, Any]:
        """The unit a key's second part names, or (None, reason); remembered per import."""
        known = context["unit_tokens"]
        token = key[1]
        if token not in known:
            known[token] = self._unit(self._key_values(key), context)
        return known[token]

    def _unit(self, values: dict[str, Any], context: dict[str, Any]) -> tuple[Any, str | None]:
        """The unit a row names, or (None, reason)."""
        code, name = values.get("unit_code"), values.get("unit_name")
        if code:
            unit = context["by_code"].get(code)
            if unit is None:
                return None, _(
                    "There is no implementing unit with credit code %(code)s.", code=code
                )
            if name and name != unit["name"]:
                return None, _(
                    "The credit code %(code)s belongs to “%(name)s”, not to “%(given)s”.",
                    code=code,
                    name=unit["name"],
                    given=name,
                )
            return unit, None
        if not name:
            return None, _("Give the implementing unit (its credit code or its name).")
        matches = context["by_name"].get(name, [])
        if not matches:
            return None, _("There is no implementing unit named “%(name)s”.", name=name)
        if len(matches) > 1:
            return None, _("Several units are named “%(name)s”: give the credit code.", name=name)
        return matches[0], None

    def _load_entries(self, session: Session, codes: set[str], context: dict[str, Any]) -> None:
        missing = [c for c in codes if c and c not in context["entries"]]
        if not missing:
            return
        rows = session.execute(
            select(BasicCatalogueEntry, ItemType.name)
            .join(ItemType, BasicCatalogueEntry.item_type_id == ItemType.id)
            .where(BasicCatalogueEntry.basic_code.in_(missing))
        ).all()
        for entry, type_name in rows:
            context["entries"][entry.basic_code] = {
                "id": entry.id,
                "status": entry.status,
                "name": entry.name,
                "item_type": type_name,
                "legal_time_limit_days": entry.legal_time_limit_days,
                "legal_basis": entry.legal_basis,
                "acceptance_conditions": entry.acceptance_conditions,
                "fee_standard": entry.fee_standard,
                "complaint_phone": entry.complaint_phone,
            }
        for code in missing:
            context["entries"].setdefault(code, None)

    def existing(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        self._load_entries(session, {k[0] for k in keys}, context)
        wanted: dict[str, tuple[Any, ...]] = {}
        for key in keys:
            basic_code = key[0]
            unit, _reason = self._unit_of_key(key, context)
            if unit is not None and len(basic_code) == 12 and len(unit["credit_code"]) == 18:
                wanted[unit["credit_code"] + unit["level"] + basic_code] = key
        if not wanted:
            return {}
        items, units, regions = (
            ImplementationItem.__table__,
            Unit.__table__,
            Region.__table__,
        )
        # Core rows, not ORM objects: nothing piles up in the session's identity map, and no
        # ORM result processing for up to 100,000 rows per import.
        rows = (
            session.connection()
            .execute(
                select(
                    *[items.c[name] for name in _STORED_COLUMNS],
                    units.c.name,
                    units.c.credit_code,
                    regions.c.path,
                )
                .join(units, items.c.unit_id == units.c.id)
                .join(regions, items.c.region_id == regions.c.id)
                .where(one_of(session, items.c.implementation_code, list(wanted)))
            )
            .all()
        )
        open_items = set()
        if rows:
            open_items = set(
                session.scalars(
                    select(AdjustmentRequest.item_id).where(
                        one_of(session, AdjustmentRequest.item_id, [r[0] for r in rows]),
                        AdjustmentRequest.state != AdjustmentState.APPLIED.value,
                    )
                )
            )
        result = {}
        standardized = context["standardized"]
        for row in rows:
            item_id, code, level, status, version, unit_id = row[:6]
            unit_name, credit_code, path = row[-3:]
            basic_code = code[-12:]
            values = dict(zip(PERSONALIZED, row[6:-3], strict=True))
            values["handling_type"] = HANDLING_LABELS.get(
                values["handling_type"], values["handling_type"]
            )
            values["online_depth"] = DEPTH_LABELS.get(
                values["online_depth"], values["online_depth"]
            )
            if basic_code not in standardized:
                standardized[basic_code] = _standardized(context["entries"].get(basic_code))
            values.update(standardized[basic_code])
            in_reach = actor.reach.contains(path, unit_id)
            values.update(
                basic_code=basic_code,
                unit_name=unit_name,
                unit_code=credit_code,
                implementation_code=code,
                exercise_level=LEVEL_LABELS.get(level, level),
                status=STATUS_LABELS.get(status, status),
                _id=item_id,
                _status=status,
                _version=version,
                _open_adjustment=item_id in open_items,
                _in_reach=in_reach,
                # What the checks read of this record, for the plan's fingerprint.
                _read=(tuple(row), item_id in open_items, in_reach),
            )
            result[wanted[code]] = values
        return result

    def refresh_references(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> None:
        self._load_entries(session, {k[0] for k in keys}, context)

    def fingerprint(
        self,
        keys: Sequence[tuple[Any, ...]],
        stored: dict[tuple[Any, ...], dict[str, Any]],
        context: Any,
    ) -> str | None:
        """check() reads, per row, the stored item, the unit the key names (name, code, level,
        region) and the basic-catalogue entry of its code: the digest covers exactly these."""
        parts, units, codes = [], {}, set()
        for key in keys:
            unit, reason = self._unit_of_key(key, context)
            if unit is not None:
                units[unit["id"]] = unit
            codes.add(key[0])
            record = stored.get(key)
            parts.append((key, record and record["_read"], unit and unit["id"], reason))
        entries = sorted((code, context["entries"].get(code)) for code in codes)
        return digest((parts, sorted(units.items()), entries))

    def plan_values(self, values: dict[str, Any], context: Any) -> tuple[Any, ...]:
        """A new row as the values of :data:`_CREATE_COLUMNS`, ready to insert."""
        unit = values["_unit_info"]
        model = values["_model"]
        return (
            values["_entry"],
            unit["id"],
            unit["region_id"],
            unit["level"],
            values["_code"],
        ) + _model_tuple(model)

    @staticmethod
    def _key_values(key: tuple[Any, ...]) -> dict[str, Any]:
        basic_code, token = key
        if token.startswith("名:"):
            return {"basic_code": basic_code, "unit_name": token[2:]}
        return {"basic_code": basic_code, "unit_code": token}

    # -- rules ------------------------------------------------------------------------------

    def check(self, row: Row, stored: dict[str, Any] | None, context: Any, actor: Actor) -> None:
        values, errors = row.values, row.errors
        code = values.get("basic_code")
        messages = context["code_messages"]  # rows repeat their codes: check each once
        message = (
            messages[code]
            if code in messages
            else messages.setdefault(code, catalogue.basic_code_message(code))
        )
        entry = None
        if message:
            errors["basic_code"] = message
        else:
            if code not in context["entries"]:  # a row without a unit was not looked up yet
                self._load_entries(context["session"], {code}, context)
            entry = context["entries"].get(code)
            if entry is None:
                errors["basic_code"] = _(
                    "Basic code %(code)s is not in the basic catalogue.", code=code
                )
        unit, reason = self._unit(values, context)
        unit_column = "unit_code" if values.get("unit_code") else "unit_name"
        if reason:
            errors[unit_column] = reason
        elif not self._unit_in_reach(actor, unit, context):
            errors[unit_column] = _(
                "“%(name)s” is outside your reach: you may import only your own units' items.",
                name=unit["name"],
            )
        if errors or entry is None or unit is None:
            return
        try:
            derived = catalogue_codes.implementation_code(unit["credit_code"], unit["level"], code)
        except ValueError:  # a unit without its exercise level: no 31-character code
            errors[unit_column] = _(
                "“%(name)s” has no exercise level; set it on the unit before importing its items.",
                name=unit["name"],
            )
            return
        if values.get("implementation_code") not in (None, derived):
            errors["implementation_code"] = _(
                "The implementation code is derived (%(code)s), not typed.", code=derived
            )
        # Identity helpers are not compared; blank personalized cells keep today's values.
        for key in ("unit_name", "unit_code", "implementation_code"):
            values.pop(key, None)
        if stored is None:
            self._check_new(row, entry, unit, context)
        else:
            self._check_existing(row, stored, entry, context)
        values["_unit"], values["_entry"] = unit["id"], entry["id"]
        values["_unit_info"], values["_code"] = unit, derived

    def _check_new(
        self, row: Row, entry: dict[str, Any], unit: dict[str, Any], context: dict[str, Any]
    ) -> None:
        values, errors = row.values, row.errors
        if entry["status"] != EntryStatus.ACTIVE.value:
            errors["basic_code"] = _(
                "Basic-catalogue entry %(code)s is cancelled.", code=values["basic_code"]
            )
        # Rows of one entry repeat its standardized elements: compare each variant once.
        given = tuple(map(values.get, STANDARDIZED))  # a sheet may leave some out
        known = context["standardized_errors"]
        found = known.get((entry["id"], given))
        if found is None:
            found = {
                key: _(
                    "“%(column)s” is a standardized element and cannot be changed here "
                    "(stored: %(old)s).",
                    column=self.column(key).header,
                    old=entry[attribute],
                )
                for (key, attribute), value in zip(STANDARDIZED.items(), given, strict=True)
                if value not in (None, "") and not _same(value, entry[attribute])
            }
            if len(known) < 100_000:
                known[(entry["id"], given)] = found
        if found:
            errors.update(found)
        given_level = values.pop("exercise_level", None)
        if given_level not in (None, LEVEL_LABELS.get(unit["level"])):
            errors["exercise_level"] = _(
                "The exercise level comes from the unit (%(level)s).",
                level=LEVEL_LABELS.get(unit["level"]),
            )
        values.pop("status", None)
        values["_model"] = model = _new_model(values)
        self._rules(row, model, entry, context)

    def _check_existing(
        self, row: Row, stored: dict[str, Any], entry: dict[str, Any], context: dict[str, Any]
    ) -> None:
        values, errors = row.values, row.errors
        for key in PERSONALIZED:
            if values.get(key) is None and key in (
                "handling_type",
                "online_depth",
                "fully_online",
                "onsite_visits",
            ):
                values.pop(key, None)
        changes = {
            k: v for k, v in values.items() if k in _PERSONALIZED and not _same(stored[k], v)
        }
        if not changes:
            return
        status = stored["_status"]
        if status not in (ItemStatus.DRAFT.value, *PUBLISHED):
            errors[next(iter(changes))] = _(
                "This item is “%(status)s” and can no longer be changed.",
                status=STATUS_LABELS.get(status, status),
            )
            return
        if status in PUBLISHED and stored["_open_adjustment"]:
            errors[next(iter(changes))] = _(
                "This item already has an adjustment in progress; finish it before importing "
                "changes."
            )
            return
        current = {k: stored[k] for k in PERSONALIZED}
        model = _model_values({**current, **changes}, None)
        self._rules(row, model, entry, context)

    def _rules(
        self, row: Row, model: dict[str, Any], entry: dict[str, Any], context: dict[str, Any]
    ) -> None:
        # The catalogue's rules read only these values: rows repeat them, so remember results.
        key = (_rule_inputs(model), entry["legal_time_limit_days"])
        cache = context.setdefault("rules", {})  # per import: messages are in its language
        errors = cache.get(key)
        if errors is None:
            errors = catalogue.item_value_errors(
                model, legal_time_limit_days=entry["legal_time_limit_days"]
            )
            if len(cache) < 100_000:
                cache[key] = errors
        for column, message in errors.items():
            row.errors.setdefault(column, message)

    # -- writing ----------------------------------------------------------------------------

    def write(
        self,
        session: Session,
        actor: Actor,
        creates: list[tuple[Any, ...]],
        updates: list[tuple[dict[str, Any], dict[str, Any]]],
        context: Any,
    ) -> None:
        now = utcnow()
        events: list[dict[str, Any]] = []
        if creates:
            # In code order: the unique code index and the (unit, code) and (region, code)
            # indexes then grow in runs instead of at random places (~20% faster on SQLite).
            creates = sorted(creates, key=_by_code)
            ids = insert_rows(
                session,
                ImplementationItem.__table__,
                creates,
                columns=_CREATE_COLUMNS,
                fixed={
                    "status": ItemStatus.DRAFT.value,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                },
                return_ids=True,
            )
            codes = [_by_code(row) for row in creates]
            # One audit row per item, compact (the values are in the import's stored file):
            # {"implementation_code": ..., "import": ..., "status": "draft"} as audit.dumps
            # writes it, with only the code put in per row.
            head, tail = audit.dumps(
                {
                    "implementation_code": "\0",
                    "import": context.get("batch_id"),
                    "status": ItemStatus.DRAFT.value,
                }
            ).split('"\\u0000"')
            text_of = audit.json_string
            audit.append_serialized(
                session,
                [
                    (
                        "create",
                        "ImplementationItem",
                        str(item_id),
                        code,
                        None,
                        head + text_of(code) + tail,
                    )
                    for code, item_id in zip(codes, ids, strict=True)
                ],
            )
        drafts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        adjustments = []
        for stored, changes in updates:
            model_changes = _model_changes(changes)
            if stored["_status"] == ItemStatus.DRAFT.value:
                param = {"_id": stored["_id"], **model_changes}
                drafts.setdefault(tuple(sorted(param)), []).append(param)
                events.append(
                    {
                        "action": "update",
                        "object_type": "ImplementationItem",
                        "object_id": stored["_id"],
                        "summary": stored["implementation_code"],
                        "before": {k: stored.get(k) for k in changes},
                        "after": changes,
                    }
                )
            else:
                adjustments.append(
                    AdjustmentRequest(
                        kind=AdjustmentKind.CHANGE.value,
                        state=AdjustmentState.DRAFT.value,
                        item_id=stored["_id"],
                        ground=CHANGE_GROUND,
                        legal_basis="",
                        explanation=_(
                            "Proposed by a spreadsheet import; state the legal basis "
                            "before submitting."
                        ),
                        proposed_values=json.dumps(
                            model_changes, ensure_ascii=False, sort_keys=True
                        ),
                        created_by=actor.username,
                        created_at=now,
                    )
                )
        table = ImplementationItem.__table__
        for names, group in drafts.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values(
                    version=table.c.version + 1,
                    updated_at=now,
                    **{n: bindparam(n) for n in names if n != "_id"},
                )
            )
            session.execute(statement, group)
        record_many(session, events)
        if adjustments:
            # Few per import: through the ORM, so the flush-time reach check and audit apply.
            items = {
                item.id: item
                for item in session.scalars(
                    select(ImplementationItem).where(
                        ImplementationItem.id.in_([a.item_id for a in adjustments])
                    )
                )
            }
            for adjustment in adjustments:
                item = items[adjustment.item_id]
                adjustment.region_id, adjustment.unit_id = item.region_id, item.unit_id
            session.add_all(adjustments)
            session.flush()

    def change_note(self, stored: dict[str, Any]) -> str | None:
        if stored.get("_status") in PUBLISHED:
            return _("Published: becomes a change adjustment request (draft) for review.")
        return None

    # -- export -----------------------------------------------------------------------------

    def export_query(self, session: Session, actor: Actor) -> Any:
        return session.query(ImplementationItem)

    def export_rows(
        self, session: Session, actor: Actor, query: Any = None
    ) -> Iterator[dict[str, Any]]:
        item = ImplementationItem
        entry = BasicCatalogueEntry
        statement = (
            select(
                item.implementation_code,
                item.exercise_level,
                item.status,
                *[getattr(item, key) for key in PERSONALIZED],
                entry.name,
                entry.legal_time_limit_days,
                entry.legal_basis,
                entry.acceptance_conditions,
                entry.fee_standard,
                entry.complaint_phone,
                ItemType.name.label("type_name"),
                Unit.name.label("unit_name"),
                Unit.credit_code,
            )
            .join(entry, item.basic_entry_id == entry.id)
            .join(ItemType, entry.item_type_id == ItemType.id)
            .join(Unit, item.unit_id == Unit.id)
            .order_by(item.implementation_code, item.id)
            .execution_options(yield_per=2000)
        )
        if query is not None:
            statement = statement.where(item.id.in_(query.with_entities(item.id).statement))
        statement = actor.reach.scope(statement, item)
        # Plain rows, not ORM objects: constant memory and no identity map to fill.
        for row in session.execute(statement):
            values = {key: getattr(row, key) for key in PERSONALIZED}
            values.update(
                item_name=row.name,
                basic_code=row.implementation_code[-12:],
                item_type=row.type_name,
                unit_name=row.unit_name,
                unit_code=row.credit_code,
                implementation_code=row.implementation_code,
                exercise_level=LEVEL_LABELS.get(row.exercise_level, row.exercise_level),
                legal_time_limit_days=row.legal_time_limit_days,
                handling_type=HANDLING_LABELS.get(row.handling_type, row.handling_type),
                online_depth=DEPTH_LABELS.get(row.online_depth, row.online_depth),
                legal_basis=row.legal_basis,
                acceptance_conditions=row.acceptance_conditions,
                fee_standard=row.fee_standard,
                complaint_phone=row.complaint_phone,
                status=STATUS_LABELS.get(row.status, row.status),
            )
            yield values


_STORED_COLUMNS = (
    "id",
    "implementation_code",
    "exercise_level",
    "status",
    "version",
    "unit_id",
    *PERSONALIZED,
)


def _standardized(entry: dict[str, Any] | None) -> dict[str, Any]:
    """A stored item's standardized elements, as the sheet shows them: its entry's."""
    entry = entry or {}
    return {key: entry.get(attribute) for key, attribute in STANDARDIZED.items()}


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        return old.strip() == new.strip()
    if old in (None, "") and new in (None, ""):
        return True
    return old == new


def _model_values(personalized: dict[str, Any], _unused: Any) -> dict[str, Any]:
    """Spreadsheet values → the item's column values, with the catalogue's defaults."""
    model = {
        "service_hours": "",
        "service_location": "",
        "consult_phone": "",
        "approver": "",
        "promised_time_limit_days": None,
        "handling_type": HandlingType.PROMISED.value,
        "onsite_visits": 1,
        "online_depth": OnlineDepth.INFO.value,
        "fully_online": False,
        "faq": "",
        "result_sample": "",
    }
    model.update(_model_changes(personalized))
    return model


def _new_model(values: dict[str, Any]) -> dict[str, Any]:
    """A new row's item column values: what ``_model_values`` makes of its personalized
    values, written out for the one case every row of a big import goes through."""
    get = values.get
    handling, depth, visits = get("handling_type"), get("online_depth"), get("onsite_visits")
    return {
        "service_hours": get("service_hours") or "",
        "service_location": get("service_location") or "",
        "consult_phone": get("consult_phone") or "",
        "approver": get("approver") or "",
        "promised_time_limit_days": get("promised_time_limit_days"),
        "handling_type": _PROMISED if handling is None else HANDLING_VALUES.get(handling, handling),
        "onsite_visits": 1 if visits is None else visits,
        "online_depth": _INFO if depth is None else DEPTH_VALUES.get(depth, depth),
        "fully_online": bool(get("fully_online")),
        "faq": get("faq") or "",
        "result_sample": get("result_sample") or "",
    }


_PROMISED, _INFO = HandlingType.PROMISED.value, OnlineDepth.INFO.value


def _model_changes(changes: dict[str, Any]) -> dict[str, Any]:
    model = {}
    for key, value in changes.items():
        if key not in PERSONALIZED:
            continue
        if value is None and key in ("handling_type", "online_depth"):
            continue  # blank: the default (承诺件, 一级), as the template's instructions say
        if key == "handling_type":
            value = HANDLING_VALUES.get(value, value)
        elif key == "online_depth":
            value = DEPTH_VALUES.get(value, value)
        elif key in ("promised_time_limit_days",):
            value = value if value not in ("",) else None
        elif key == "onsite_visits":
            value = 1 if value is None else value
        elif key == "fully_online":
            value = bool(value)
        elif value is None:
            value = ""
        model[key] = value
    return model
