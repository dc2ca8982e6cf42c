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

from collections.abc import Iterator, Sequence
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalogue.codes import parse_implementation_code
from app.catalogue.models import (
    AdjustmentRequest,
    BasicCatalogueEntry,
    ImplementationItem,
    ItemType,
)
from app.catalogue.spreadsheet_rows import PERSONALIZED, ImplementationRows
from app.catalogue.states import DEPTH_LABELS, HANDLING_LABELS, STATUS_LABELS
from app.core.actor import Actor
from app.core.models import Unit
from app.core.states import LEVEL_LABELS
from app.excel.spec import BOOLEAN, CHOICE, INTEGER, Column


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


class ImplementationListSpec(ImplementationRows):
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
            # The national form is 31 characters; some provinces publish longer dashed forms
            # (normalise maps them to the national one).
            max_length=64,
            synonyms=("事项实施编码",),
            meaning="由系统生成：实施主体编码 + 行使层级 + 基本编码（31 位）；"
            "也接受带短横线的长格式，按其中的基本编码和统一社会信用代码换算",
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
        if values.get("implementation_code"):
            _map_implementation_code(values)

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

    def outcome_links(self, session: Session, batch: Any) -> list[tuple[str, str]]:
        """The draft change requests the import made of published rows (its transaction wrote
        them between the preview and the confirmation, as the importer), and the list."""
        start = batch.previewed_at or batch.created_at
        made = session.execute(
            select(func.count(), func.max(AdjustmentRequest.id)).where(
                AdjustmentRequest.created_by == batch.created_by_name,
                AdjustmentRequest.kind == "change",
                AdjustmentRequest.created_at >= start,
                AdjustmentRequest.created_at <= batch.confirmed_at,
            )
        ).one()
        links = []
        if made[0]:
            url = (
                url_for("AdjustmentView.show", pk=made[1])
                if made[0] == 1
                else f"{url_for('AdjustmentView.list')}?_flt_0_state=draft"
                f"&_flt_3_created_by={batch.created_by_name}"
            )
            links.append(
                (
                    _(
                        "%(n)d draft change request(s) for published items: state the legal "
                        "basis and submit them for review",
                        n=made[0],
                    ),
                    url,
                )
            )
        if batch.new_rows:
            links.append((_("The implementation list"), url_for("ImplementationItemView.list")))
        return links


def _map_implementation_code(values: dict[str, Any]) -> None:
    """An implementation code in a form other than the national 31 characters (the dashed
    ``511Z07001006-511602000000-000-11511301008778183N-1-00``): its basic code and credit code
    fill the row's when it has none (the check then compares it with the derived national
    form, :func:`app.catalogue.spreadsheet_rows.names_item`)."""
    code = values["implementation_code"]
    parsed = parse_implementation_code(code) if len(code) != 31 else None
    if parsed is None:
        return
    credit, _level, basic = parsed
    values["basic_code"] = values.get("basic_code") or basic
    if not values.get("unit_code") and not values.get("unit_name"):
        values["unit_code"] = credit
