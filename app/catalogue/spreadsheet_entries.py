"""The basic catalogue (基本目录) as a spreadsheet: the province's administrators keep it in Excel
too. Key: the basic code. Every row goes through the basic catalogue's own rules
(``services.validate_basic_entry``); a new code becomes a new entry, a changed row an edit through
``services.update_basic_entry``: when a standardized element changes, the entry's published
items get a new published version, and the preview says so before anything is confirmed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalogue import services
from app.catalogue.models import BasicCatalogueEntry, ImplementationItem, ItemType
from app.catalogue.states import CatalogueSource, EntryStatus
from app.core.actor import Actor
from app.core.bulk import one_of
from app.core.errors import ValidationError
from app.excel.spec import CHOICE, INTEGER, Column, ListSpec, Row

# Exchanged data: Chinese whatever the user's language.
SOURCE_LABELS = {
    CatalogueSource.NATIONAL.value: "国家基本目录",
    CatalogueSource.PROVINCIAL.value: "省级基本目录",
}
STATUS_LABELS = {EntryStatus.ACTIVE.value: "在用", EntryStatus.CANCELLED.value: "已取消"}
SOURCE_VALUES = {label: value for value, label in SOURCE_LABELS.items()}
STATUS_VALUES = {label: value for value, label in STATUS_LABELS.items()}
TEXTS = (
    "competent_department",
    "legal_basis",
    "acceptance_conditions",
    "application_materials",
    "handling_process",
    "fee_standard",
    "complaint_phone",
    "form_content",
)


def _text(key: str, header: str, **options: Any) -> Column:
    return Column(key, header, width=options.pop("width", 30), **options)


@dataclass(slots=True)
class EntryContext:
    """The item types by name, loaded once per import, and the session the rules read."""

    session: Session
    types: dict[str, int]
    type_names: dict[int, str]
    batch_id: int | None = None


class BasicCatalogueSpec(ListSpec):
    name = "basic_catalogue"
    title = "基本目录"
    permission = "BasicCatalogue"
    object_type = "BasicCatalogueEntry"
    key = ("basic_code",)
    columns = (
        _text(
            "basic_code",
            "基本编码",
            width=15,
            required=True,
            max_length=12,
            synonyms=("事项编码", "目录编码", "基本目录编码", "职权编码"),
            meaning="12 位：2 位数字 + 7 位数字或大写字母 + 3 位数字",
            example="511Z07001006",
        ),
        _text(
            "name",
            "事项名称",
            required=True,
            max_length=256,
            synonyms=("权力名称", "职权名称"),
            example="食品经营许可",
        ),
        Column(
            "item_type",
            "事项类型",
            kind=CHOICE,
            required=True,
            width=14,
            synonyms=("权力类型", "职权类型", "事项类别"),
            meaning="只能是依申请的行政权力或公共服务",
            example="行政许可",
        ),
        Column(
            "source",
            "目录来源",
            kind=CHOICE,
            width=14,
            choices=tuple(SOURCE_LABELS.values()),
            aliases=(("国家", "国家基本目录"), ("省级", "省级基本目录")),
            meaning="国家基本目录或省级基本目录；不填为国家基本目录",
            example="国家基本目录",
        ),
        Column(
            "status",
            "目录状态",
            kind=CHOICE,
            width=10,
            choices=tuple(STATUS_LABELS.values()),
            meaning="在用或已取消；不填为在用",
        ),
        _text("competent_department", "主管部门", max_length=128),
        _text("legal_basis", "设定依据", width=40, synonyms=("法律依据", "实施依据")),
        _text("acceptance_conditions", "受理条件"),
        _text("application_materials", "申请材料"),
        Column(
            "legal_time_limit_days",
            "法定办结时限",
            kind=INTEGER,
            required=True,
            width=12,
            min_value=0,
            synonyms=("法定期限（天/日）", "法定时限", "法定期限"),
            meaning="工作日",
            example="20",
        ),
        _text("handling_process", "办理流程"),
        _text("fee_standard", "收费标准", synonyms=("收费依据及标准",)),
        _text("complaint_phone", "投诉电话", width=16, max_length=64, synonyms=("监督投诉电话",)),
        _text("form_content", "表单内容"),
    )
    instructions = (
        "基本目录导入模板：第 1 行为表头，从第 2 行起每行一个事项，以“基本编码”识别。",
        "新的基本编码新增为目录事项；已有事项的变化在确认后生效。",
        "标准化要素（事项名称、事项类型、设定依据、受理条件、申请材料、法定办结时限、办理流程、"
        "收费标准、投诉电话、表单内容）变化时，该事项已发布的实施清单事项在确认后重新发布。",
        "只有省级管理员可以导入基本目录。",
    )

    def normalise(self, values: dict[str, Any]) -> None:
        if values.get("basic_code"):
            values["basic_code"] = str(values["basic_code"]).strip().upper()

    def choices(self, column: Column, session: Session) -> Sequence[str]:
        if column.key == "item_type":
            return list(
                session.scalars(
                    select(ItemType.name)
                    .where(ItemType.active.is_(True), ItemType.application_driven.is_(True))
                    .order_by(ItemType.sort_order, ItemType.code)
                )
            )
        return column.choices

    def prepare(self, session: Session, actor: Actor) -> EntryContext:
        rows = session.execute(select(ItemType.id, ItemType.name)).all()
        return EntryContext(
            session, {name: id_ for id_, name in rows}, {id_: name for id_, name in rows}
        )

    def existing(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        entries = session.scalars(
            select(BasicCatalogueEntry).where(
                one_of(session, BasicCatalogueEntry.basic_code, [k[0] for k in keys])
            )
        ).all()
        published = (
            dict(
                session.execute(
                    select(ImplementationItem.basic_entry_id, func.count(ImplementationItem.id))
                    .where(
                        one_of(session, ImplementationItem.basic_entry_id, [e.id for e in entries]),
                        ImplementationItem.published_version_id.is_not(None),
                    )
                    .group_by(ImplementationItem.basic_entry_id)
                ).all()
            )
            if entries
            else {}
        )
        result = {}
        for entry in entries:
            values = self._values(entry, context.type_names)
            values["_id"], values["_version"] = entry.id, entry.version
            values["_published"] = published.get(entry.id, 0)
            result[(entry.basic_code,)] = values
        return result

    @staticmethod
    def _values(entry: BasicCatalogueEntry, type_names: dict[int, str]) -> dict[str, Any]:
        values: dict[str, Any] = {key: getattr(entry, key) for key in TEXTS}
        values.update(
            basic_code=entry.basic_code,
            name=entry.name,
            item_type=type_names.get(entry.item_type_id),
            source=SOURCE_LABELS.get(entry.source, entry.source),
            status=STATUS_LABELS.get(entry.status, entry.status),
            legal_time_limit_days=entry.legal_time_limit_days,
        )
        return values

    def check(
        self, row: Row, stored: dict[str, Any] | None, context: EntryContext, actor: Actor
    ) -> None:
        """The basic catalogue's own rules, on the entry as the row would leave it."""
        values = row.values
        for key, default in (("source", "国家基本目录"), ("status", "在用")):
            if values.get(key) is None:
                values[key] = stored[key] if stored else default
        for key in TEXTS:  # a blank cell keeps today's text (new rows: empty)
            if values.get(key) is None:
                values[key] = stored[key] if stored else ""
        model = self._model(values, context)
        entry = BasicCatalogueEntry(**model)
        entry.id = stored["_id"] if stored else None
        try:
            services.validate_basic_entry(context.session, entry)
        except ValidationError as error:
            for field, message in error.errors.items():
                column = "item_type" if field == "item_type" else field
                row.errors[column if column in self._keys() else ""] = str(message)

    def _keys(self) -> set[str]:
        return {c.key for c in self.columns}

    @staticmethod
    def _model(values: dict[str, Any], context: EntryContext) -> dict[str, Any]:
        model: dict[str, Any] = {key: values.get(key) or "" for key in TEXTS}
        model.update(
            basic_code=values.get("basic_code") or "",
            name=(values.get("name") or "").strip(),
            item_type_id=context.types.get(values.get("item_type") or ""),
            source=SOURCE_VALUES.get(values.get("source") or "", values.get("source")),
            status=STATUS_VALUES.get(values.get("status") or "", values.get("status")),
            legal_time_limit_days=values.get("legal_time_limit_days"),
        )
        return model

    def plan_values(self, values: dict[str, Any], context: Any) -> Any:
        return self._model(values, context)

    def write(
        self,
        session: Session,
        actor: Actor,
        creates: list[Any],
        updates: list[tuple[dict[str, Any], dict[str, Any]]],
        context: Any,
    ) -> None:
        """Through the basic catalogue's services: the province edits its catalogue by the row,
        each edit audited and its published items republished (hundreds of rows, not more)."""
        for model in creates:
            status = model.pop("status")
            entry = services.create_basic_entry(session, actor=actor, values=model)
            entry.status = status
        for stored, changes in updates:
            entry = session.get(BasicCatalogueEntry, stored["_id"])
            model = self._model({**stored, **changes}, context)
            services.update_basic_entry(
                session,
                entry,
                actor=actor,
                version=stored["_version"],
                changes={k: v for k, v in model.items() if getattr(entry, k) != v},
            )
        session.flush()

    def change_note(self, stored: dict[str, Any]) -> str | None:
        if stored.get("_published"):
            return _(
                "Its %(n)d published item(s) are republished on confirmation when a "
                "standardized element changes.",
                n=stored["_published"],
            )
        return None

    def export_query(self, session: Session, actor: Actor) -> Any:
        return session.query(BasicCatalogueEntry)

    def export_rows(
        self, session: Session, actor: Actor, query: Any = None
    ) -> Iterator[dict[str, Any]]:
        type_names = dict(session.execute(select(ItemType.id, ItemType.name)).all())
        statement = select(BasicCatalogueEntry).order_by(
            BasicCatalogueEntry.basic_code, BasicCatalogueEntry.id
        )
        if query is not None:
            statement = statement.where(
                BasicCatalogueEntry.id.in_(query.with_entities(BasicCatalogueEntry.id).statement)
            )
        for entry in session.execute(statement.execution_options(yield_per=1000)).scalars():
            yield self._values(entry, type_names)
