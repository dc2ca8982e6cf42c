"""Ratings as the national platform exports them, imported through the shared engine (app.excel):
template → upload (the platform's own column names are synonyms) → preview → confirm.

One row is one rating, keyed by the platform's rating id (评价编号): re-importing the same file
changes nothing, and a rating once imported is never changed by a later file (it is what the
public said). A row whose implementation code or unit the product does not know, or whose unit
lies outside the importer's reach, is a row error. Phone and ID number reach the database only
encrypted (app.ratings.services.rating_values); exports show them masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.models import ImplementationItem
from app.core import calendar
from app.core.actor import Actor
from app.core.bulk import one_of
from app.core.models import Region, Unit, utcnow
from app.excel.spec import CHOICE, Column, ListSpec, Row
from app.ratings import services
from app.ratings.models import Rating
from app.ratings.states import RatingSource

# Exchanged data: the spreadsheet's values are Chinese whatever the user's language.
LEVELS = {"非常满意": "5", "满意": "4", "基本满意": "3", "不满意": "2", "非常不满意": "1"}
CHANNELS = {
    "PC端": "pc",
    "移动端": "mobile",
    "大厅窗口评价器": "window",
    "自助终端": "kiosk",
    "12345热线": "hotline",
    "短信": "sms",
}
RATER_TYPES = {"个人": "person", "法人": "legal"}
LEVEL_LABELS = {value: label for label, value in LEVELS.items()}
CHANNEL_LABELS = {value: label for label, value in CHANNELS.items()}
RATER_TYPE_LABELS = {value: label for label, value in RATER_TYPES.items()}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
_TIMES = ("applied_at", "done_at", "rated_at")


def parse_time(text: str | None) -> dt.datetime | None:
    """A time as the platform writes it (the province's time); ValueError when unreadable."""
    if not text:
        return None
    value = text.strip().replace("T", " ")
    for pattern in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern)  # noqa: DTZ007 - the province's time
        except ValueError:
            continue
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    except ValueError:
        raise ValueError(value) from None


@dataclass
class RatingContext:
    """What the rows of one import are checked against, loaded once."""

    # implementation code → (item id, unit id, region id, region path, item name)
    items: dict[str, tuple[int, int, int, str, str]] = field(default_factory=dict)
    # unit credit code → unit id
    units: dict[str, int] = field(default_factory=dict)
    batch_id: int | None = None
    # (unit, day) pairs the import wrote: their figures are rewritten once, at the end.
    touched: set[tuple[int, dt.date]] = field(default_factory=set)
    _digest: str | None = None

    def digest(self) -> str:
        """A digest of the items and units the rows are checked against (once per import)."""
        if self._digest is None:
            data = repr((sorted(self.items.items()), sorted(self.units.items())))
            self._digest = hashlib.sha256(data.encode()).hexdigest()
        return self._digest


class RatingSpec(ListSpec):
    name = "ratings"
    title = "好差评数据"
    permission = "Ratings"
    object_type = "Rating"
    key = ("rating_no",)
    sealed = True  # raters' phone and ID numbers: the upload, plan and error copy kept encrypted
    columns = (
        Column(
            "rating_no",
            "评价编号",
            required=True,
            max_length=64,
            width=22,
            synonyms=("评价ID", "评价流水号", "评价标识"),
            meaning="全国一体化平台的评价编号；重复导入同一评价不会重复记录",
            example="PJ2026030200001",
        ),
        Column(
            "implementation_code",
            "实施编码",
            required=True,
            max_length=31,
            width=34,
            synonyms=("事项实施编码", "事项编码", "实施清单编码"),
            meaning="被评价事项的实施编码（须为本系统已有的实施清单事项）",
            example="11460105MB0123456X4000101001000",
        ),
        Column(
            "unit_code",
            "单位统一社会信用代码",
            max_length=18,
            width=22,
            synonyms=("实施机构统一社会信用代码", "实施主体编码", "部门编码", "机构编码"),
            meaning="被评价单位；不填以事项的实施单位为准",
            example="11460105MB0123456X",
        ),
        Column(
            "unit_name",
            "单位名称",
            max_length=128,
            width=24,
            synonyms=("实施机构", "实施主体", "部门名称", "被评价部门"),
            meaning="仅供核对",
            example="海口市秀英区市场监督管理局",
        ),
        Column("hall", "服务大厅", max_length=128, width=20, synonyms=("大厅名称", "办事大厅")),
        Column("window", "窗口", max_length=32, width=10, synonyms=("窗口编号", "窗口号")),
        Column(
            "case_no",
            "办件编号",
            max_length=64,
            width=22,
            synonyms=("办件编码", "申报号", "业务流水号"),
        ),
        Column("item_name", "事项名称", max_length=256, width=24, synonyms=("服务事项名称",)),
        Column("handling_item", "办理项", max_length=256, width=20, synonyms=("业务办理项",)),
        Column("applied_at", "申请时间", max_length=32, width=18, synonyms=("申报时间",)),
        Column("done_at", "办结时间", max_length=32, width=18, synonyms=("完成时间",)),
        Column("rater_name", "评价人", max_length=64, width=10, synonyms=("评价人姓名", "姓名")),
        Column(
            "phone",
            "联系电话",
            max_length=20,
            width=14,
            synonyms=("手机号码", "评价人手机号", "手机号"),
        ),
        Column(
            "rater_type",
            "评价人类型",
            kind=CHOICE,
            choices=tuple(RATER_TYPES),
            aliases=(("自然人", "个人"), ("企业", "法人")),
            width=10,
            meaning="个人或法人；不填为个人",
        ),
        Column("id_type", "证件类型", max_length=32, width=14, synonyms=("评价人证件类型",)),
        Column(
            "id_number",
            "证件号码",
            max_length=64,
            width=22,
            synonyms=("评价人证件号码", "身份证号码", "证件号"),
        ),
        Column(
            "channel",
            "评价渠道",
            kind=CHOICE,
            required=True,
            choices=tuple(CHANNELS),
            aliases=(
                ("PC", "PC端"),
                ("政务服务网", "PC端"),
                ("APP", "移动端"),
                ("移动端APP", "移动端"),
                ("窗口评价器", "大厅窗口评价器"),
                ("评价器", "大厅窗口评价器"),
                ("12345", "12345热线"),
                ("热线", "12345热线"),
            ),
            width=14,
            synonyms=("评价来源", "渠道"),
        ),
        Column(
            "rated_at",
            "评价时间",
            required=True,
            max_length=32,
            width=18,
            meaning="本省时间，如 2026-03-02 10:30",
            example="2026-03-02 10:30",
        ),
        Column(
            "level",
            "评价等级",
            kind=CHOICE,
            required=True,
            choices=tuple(LEVELS),
            aliases=(
                ("5", "非常满意"),
                ("4", "满意"),
                ("3", "基本满意"),
                ("2", "不满意"),
                ("1", "非常不满意"),
            ),
            width=12,
            synonyms=("满意度", "评价结果", "评价级别"),
            meaning="非常满意、满意、基本满意为好评；不满意、非常不满意为差评",
        ),
        Column(
            "text",
            "评价内容",
            max_length=2000,
            width=40,
            synonyms=("评价意见", "评价详情", "差评内容"),
        ),
    )
    instructions = (
        "好差评数据模板：第 1 行为表头，从第 2 行起每行一条评价；"
        "可直接导入全国一体化平台导出的评价数据。",
        "以“评价编号”识别评价：重复导入同一文件不会重复记录；已导入的评价不可修改，错误的导入可整批撤回。",
        "每条差评（不满意、非常不满意）导入后即生成整改工单，按工作日计算办理时限。",
        "评价人姓名、电话和证件号码属个人信息，加密存储，导出时脱敏。",
    )

    def normalise(self, values: dict[str, Any]) -> None:
        for key in ("unit_code", "implementation_code", "rating_no"):
            if values.get(key):
                values[key] = (
                    values[key].strip().upper() if key != "rating_no" else values[key].strip()
                )

    def prepare(self, session: Session, actor: Actor) -> RatingContext:
        items = session.execute(
            select(
                ImplementationItem.implementation_code,
                ImplementationItem.id,
                ImplementationItem.unit_id,
                ImplementationItem.region_id,
                Region.path,
            ).join(Region, ImplementationItem.region_id == Region.id)
        ).all()
        return RatingContext(
            items={code: (iid, uid, rid, path, "") for code, iid, uid, rid, path in items},
            units=dict(session.execute(select(Unit.credit_code, Unit.id)).all()),
        )

    def existing(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        query = select(Rating.rating_no, Rating.id, Rating.unit_id, Region.path).join(
            Region, Rating.region_id == Region.id
        )
        query = query.where(one_of(session, Rating.rating_no, [key[0] for key in keys]))
        return {
            (number,): {"_id": rid, "_in_reach": actor.reach.contains(path, unit_id)}
            for number, rid, unit_id, path in session.execute(query)
        }

    def check(self, row: Row, stored: dict[str, Any] | None, context: Any, actor: Actor) -> None:
        values = row.values
        if stored is not None:
            # Already recorded: a rating is never changed by a later file (idempotent import).
            for key in list(values):
                values[key] = stored.get(key)
            return
        item = context.items.get(values.get("implementation_code"))
        if item is None:
            row.errors["implementation_code"] = _(
                "No implementation item has this code in the system."
            )
            return
        item_id, unit_id, region_id, path, _name = item
        if values.get("unit_code"):
            unit = context.units.get(values["unit_code"])
            if unit is None:
                row.errors["unit_code"] = _("Give the credit code of a known unit.")
                return
            if unit != unit_id:
                row.errors["unit_code"] = _("The item with this code belongs to another unit.")
                return
        if not actor.reach.contains(path, unit_id):
            row.errors["unit_code"] = _("This unit is outside your reach.")
            return
        for key in _TIMES:
            try:
                moment = parse_time(values.get(key))
            except ValueError:
                row.errors[key] = _("Write the time as 2026-03-02 10:30.")
                continue
            values[f"_{key}"] = moment.isoformat() if moment else None
        if row.errors:
            return
        rated_at = dt.datetime.fromisoformat(values["_rated_at"])
        if calendar.to_utc(rated_at) > calendar.now().replace(tzinfo=None):
            row.errors["rated_at"] = _("A rating cannot be in the future.")
            return
        values["_item_id"], values["_unit_id"], values["_region_id"] = item_id, unit_id, region_id

    def fingerprint(
        self,
        keys: Sequence[tuple[Any, ...]],
        stored: dict[tuple[Any, ...], dict[str, Any]],
        context: Any,
    ) -> str | None:
        """What :meth:`check` read for a batch: the stored ratings of its keys and the items
        and units rows may name (all of them: a rating's key does not say which item it
        names, so a change to any item or unit since the preview makes the import stale)."""
        ratings = sorted((key, value["_id"], value["_in_reach"]) for key, value in stored.items())
        return hashlib.sha256(repr((ratings, context.digest())).encode()).hexdigest()

    def write(
        self,
        session: Session,
        actor: Actor,
        creates: list[Any],
        updates: list[tuple[dict[str, Any], dict[str, Any]]],
        context: Any,
    ) -> None:
        # No updates: a stored rating is never changed (check gives it its stored values).
        now = utcnow()
        rows = [self._values(values, context, actor, now) for values in creates]
        context.touched |= services.add_imported(session, rows, actor=actor)

    def finish(self, session: Session, actor: Actor, context: Any) -> None:
        services.refresh_figures(session, context.touched)

    @staticmethod
    def _values(
        values: dict[str, Any], context: Any, actor: Actor, now: dt.datetime
    ) -> dict[str, Any]:
        def moment(key: str) -> dt.datetime | None:
            text = values.get(f"_{key}")
            return dt.datetime.fromisoformat(text) if text else None

        rated_at = moment("rated_at")
        assert rated_at is not None  # a required column, checked
        data = services.RatingData(
            rating_no=values["rating_no"],
            item_id=values["_item_id"],
            channel=CHANNELS[values["channel"]],
            level=LEVELS[values["level"]],
            rated_at=rated_at,
            text=values.get("text") or "",
            hall=values.get("hall") or "",
            window=values.get("window") or "",
            case_no=values.get("case_no") or "",
            item_name=values.get("item_name") or "",
            handling_item=values.get("handling_item") or "",
            applied_at=moment("applied_at"),
            done_at=moment("done_at"),
            rater_name=values.get("rater_name") or "",
            phone=values.get("phone") or "",
            rater_type=RATER_TYPES.get(values.get("rater_type") or "个人", "person"),
            id_type=values.get("id_type") or "",
            id_number=values.get("id_number") or "",
        )
        return services.rating_values(
            data,
            unit_id=values["_unit_id"],
            region_id=values["_region_id"],
            implementation_code=values["implementation_code"],
            source=RatingSource.IMPORT.value,
            batch_id=context.batch_id,
            actor=actor,
            created_at=now,
        )

    def export_query(self, session: Session, actor: Actor) -> Any:
        return session.query(Rating)

    def export_rows(
        self, session: Session, actor: Actor, query: Any = None
    ) -> Iterator[dict[str, Any]]:
        """Every rating within reach, personal data masked (never decrypted for an export)."""
        codes = dict(session.execute(select(Unit.id, Unit.credit_code)).all())
        names = dict(session.execute(select(Unit.id, Unit.name)).all())
        statement = select(Rating).order_by(Rating.rated_at, Rating.id)
        if query is not None:
            statement = statement.where(Rating.id.in_(query.with_entities(Rating.id).statement))
        statement = actor.reach.scope(statement, Rating)
        for rating in session.execute(statement).scalars():
            yield {
                "rating_no": rating.rating_no,
                "implementation_code": rating.implementation_code,
                "unit_code": codes.get(rating.unit_id),
                "unit_name": names.get(rating.unit_id),
                "hall": rating.hall or None,
                "window": rating.window or None,
                "case_no": rating.case_no or None,
                "item_name": rating.item_name or None,
                "handling_item": rating.handling_item or None,
                "applied_at": _shown(rating.applied_at),
                "done_at": _shown(rating.done_at),
                "rater_name": rating.rater_name_masked or None,
                "phone": rating.phone_masked or None,
                "rater_type": RATER_TYPE_LABELS.get(rating.rater_type),
                "id_type": rating.id_type or None,
                "id_number": rating.id_number_masked or None,
                "channel": CHANNEL_LABELS.get(rating.channel),
                "rated_at": _shown(rating.rated_at),
                "level": LEVEL_LABELS.get(rating.level),
                "text": rating.text or None,
            }


def _shown(value: dt.datetime | None) -> str | None:
    return calendar.format_datetime(value) if value is not None else None
