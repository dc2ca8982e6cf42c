"""Window-account requests as a spreadsheet (bulk requests, DOMAIN.md §4 "Bulk requests come in
as Excel"), through the shared engine of app.excel: template → upload → preview → confirm.

One row is one request. Key: (申请类型, 用户名): re-importing the same file finds the pending
requests it created and changes nothing; a changed cell of a pending request is an update. The
requests go through the same rules as the form (app.accounts.services.validate_request) and are
then decided one by one by the region's coordinator.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import services
from app.accounts.models import AccountRequest, WindowUser
from app.accounts.states import RequestKind, RequestState
from app.core.actor import Actor
from app.core.bulk import one_of
from app.core.errors import ValidationError
from app.core.models import AppUser, Region, Unit
from app.core.reach import Reach
from app.core.roles import UNIT_OPERATOR, WINDOW_STAFF
from app.excel.spec import CHOICE, Column, ListSpec, Row

# Exchanged data: the spreadsheet's values are Chinese whatever the user's language.
KIND_LABELS = {
    RequestKind.NEW.value: "新增账号",
    RequestKind.TRANSFER.value: "调整",
    RequestKind.CANCEL.value: "注销账号",
}
KIND_VALUES = {label: value for value, label in KIND_LABELS.items()}
# Fields of a request that an import may set (column key → model attribute).
FIELDS = ("person_name", "mobile", "hall", "window_no", "role_name", "note")


class WindowAccountRequestSpec(ListSpec):
    name = "window_account_requests"
    title = "窗口人员账号申请"
    permission = "AccountRequests"
    object_type = "AccountRequest"
    key = ("kind", "username")
    columns = (
        Column(
            "kind",
            "申请类型",
            kind=CHOICE,
            required=True,
            choices=tuple(KIND_LABELS.values()),
            aliases=(("新增", "新增账号"), ("注销", "注销账号"), ("变更", "调整")),
            synonyms=("类型", "报备类型"),
            width=12,
            meaning="新增账号、调整（换单位或窗口）或注销账号",
            example="新增账号",
        ),
        Column(
            "username",
            "用户名",
            required=True,
            max_length=64,
            width=16,
            synonyms=("账号", "登录名", "系统账号"),
            meaning="新增：要创建的用户名；调整、注销：该窗口人员现有的用户名",
            example="wang_wei",
        ),
        Column(
            "unit_code",
            "单位统一社会信用代码",
            max_length=18,
            width=22,
            synonyms=("统一社会信用代码", "信用代码", "单位信用代码"),
            meaning="申请单位；不填为您所在的单位",
            example="11460105MB0123456X",
        ),
        Column(
            "person_name",
            "姓名",
            max_length=64,
            width=12,
            synonyms=("窗口人员姓名", "人员姓名"),
            meaning="新增账号时必填",
            example="王伟",
        ),
        Column(
            "mobile",
            "手机号码",
            max_length=20,
            width=14,
            synonyms=("手机", "联系电话", "手机号"),
            meaning="新增账号时必填，11 位手机号码",
            example="13800138000",
        ),
        Column(
            "hall",
            "服务大厅",
            max_length=128,
            width=24,
            synonyms=("所在大厅", "政务服务场所", "办事大厅"),
            meaning="新增账号时必填；调整时为调入的大厅（不填则不变）",
            example="秀英区政务服务中心",
        ),
        Column(
            "window_no",
            "窗口号",
            max_length=32,
            width=10,
            synonyms=("窗口", "窗口编号"),
            meaning="综合受理窗口编号",
            example="A05",
        ),
        Column(
            "role_name",
            "角色",
            kind=CHOICE,
            choices=services.WINDOW_ROLES,
            width=12,
            meaning="不填为“窗口人员”",
            example=WINDOW_STAFF,
        ),
        Column(
            "target_unit_code",
            "调入单位统一社会信用代码",
            max_length=18,
            width=22,
            synonyms=("调入单位信用代码",),
            meaning="调整时：调入的单位；不填为本单位（只换窗口）",
            example="",
        ),
        Column(
            "note",
            "备注",
            max_length=500,
            width=30,
            synonyms=("原因", "注销原因", "说明"),
            meaning="注销时必填：原因",
            example="",
        ),
    )
    instructions = (
        "窗口人员账号报备模板：第 1 行为表头，从第 2 行起每行一项申请。",
        "以“申请类型 + 用户名”识别申请：重复导入同一文件不会重复申请；待审批的申请可修改。",
        "申请导入后由所在区划的市县协调员逐条审批；批准后新增账号获得一次性密码，首次登录须修改。",
        f"单位经办人只能为本单位申请；角色只能是{WINDOW_STAFF}或{UNIT_OPERATOR}。",
    )

    def normalise(self, values: dict[str, Any]) -> None:
        for key in ("unit_code", "target_unit_code"):
            if values.get(key):
                values[key] = values[key].strip().upper()
        if values.get("username"):
            values["username"] = values["username"].strip()

    def prepare(self, session: Session, actor: Actor) -> dict[str, Any]:
        units = session.execute(
            select(Unit.credit_code, Unit.id, Unit.region_id, Region.path).join(
                Region, Unit.region_id == Region.id
            )
        ).all()
        return {
            "session": session,
            "units": {code: (uid, rid, path) for code, uid, rid, path in units},
            "codes": {uid: code for code, uid, _rid, _path in units},
        }

    def existing(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]], context: Any
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        kinds = {KIND_VALUES.get(kind, kind) for kind, _username in keys}
        usernames = {username for _kind, username in keys}
        # Only the actor's own requests: another unit's pending request for the same name must
        # not answer differently (the user names of other units are nobody's business here).
        query = (
            select(AccountRequest, Region.path)
            .join(Region, AccountRequest.region_id == Region.id)
            .where(
                AccountRequest.state == RequestState.PENDING.value,
                AccountRequest.kind.in_(kinds),
                one_of(session, AccountRequest.username, list(usernames)),
            )
        )
        reach = actor.reach if actor.reach is not None else Reach.nothing()
        rows = session.execute(reach.scope(query, AccountRequest)).all()
        result = {}
        for item, path in rows:
            values = self._values(item, context["codes"])
            values["_id"] = item.id
            values["_in_reach"] = actor.reach.contains(path, item.unit_id)
            result[(values["kind"], item.username)] = values
        return result

    @staticmethod
    def _values(item: AccountRequest, codes: dict[int, str]) -> dict[str, Any]:
        return {
            "kind": KIND_LABELS.get(item.kind, item.kind),
            "username": item.username,
            "unit_code": codes.get(item.unit_id),
            "person_name": item.person_name or None,
            "mobile": item.mobile or None,
            "hall": item.hall or None,
            "window_no": item.window_no or None,
            "role_name": item.role_name,
            "target_unit_code": codes.get(item.target_unit_id) if item.target_unit_id else None,
            "note": item.note or None,
        }

    def check(self, row: Row, stored: dict[str, Any] | None, context: Any, actor: Actor) -> None:
        values = row.values
        session: Session = context["session"]
        if not values.get("unit_code"):
            if stored is not None:
                values["unit_code"] = stored["unit_code"]
            elif actor.user is not None and getattr(actor.user, "unit_id", None):
                values["unit_code"] = context["codes"].get(actor.user.unit_id)
        unit = context["units"].get(values.get("unit_code"))
        if unit is None:
            row.errors["unit_code"] = _("Give the credit code of a known unit.")
            return
        if not actor.reach.contains(unit[2], unit[0]):
            row.errors["unit_code"] = _("This unit is outside your reach.")
            return
        if values.get("role_name") is None:
            values["role_name"] = stored["role_name"] if stored else WINDOW_STAFF
        target_id = None
        if values.get("target_unit_code"):
            target = context["units"].get(values["target_unit_code"])
            if target is None:
                row.errors["target_unit_code"] = _("Give the credit code of a known unit.")
                return
            target_id = target[0]
        kind = KIND_VALUES[values["kind"]]
        item = AccountRequest(
            id=stored["_id"] if stored else None,
            kind=kind,
            unit_id=unit[0],
            region_id=unit[1],
            target_unit_id=target_id,
            username=values["username"],
            **{key: values.get(key) or "" for key in FIELDS},
        )
        if kind != RequestKind.NEW.value:
            window_user_id = session.execute(
                select(WindowUser.id)
                .join(AppUser, AppUser.id == WindowUser.user_id)
                .where(AppUser.username == values["username"])
            ).scalar_one_or_none()
            if window_user_id is None:
                row.errors["username"] = _("No window user has this user name.")
                return
            item.window_user_id = window_user_id
        with session.no_autoflush:
            try:
                services.validate_request(session, item)
            except ValidationError as error:
                for field, message in error.errors.items():
                    column = {"window_user": "username", "unit": "unit_code"}.get(field, field)
                    row.errors[column if column in _KEYS else ""] = str(message)
        values["_unit_id"], values["_target_unit_id"] = unit[0], target_id
        values["_window_user_id"] = item.window_user_id

    def write(
        self,
        session: Session,
        actor: Actor,
        creates: list[dict[str, Any]],
        updates: list[tuple[dict[str, Any], dict[str, Any]]],
        context: Any,
    ) -> None:
        # Requests arrive by the dozen, not by the thousand: the ORM path keeps every rule and
        # writes the audit rows itself.
        for values in creates:
            item = services.file_request(
                session,
                services.RequestData(
                    kind=KIND_VALUES[values["kind"]],
                    unit_id=values["_unit_id"],
                    window_user_id=values.get("_window_user_id"),
                    target_unit_id=values.get("_target_unit_id"),
                    username=values["username"],
                    **{key: values.get(key) or "" for key in FIELDS},
                ),
                actor=actor,
            )
            item.username = values["username"]
        for stored, changes in updates:
            item = session.get(AccountRequest, stored["_id"])
            for key, value in changes.items():
                if key in FIELDS:
                    setattr(item, key, value or "")
                elif key == "target_unit_code":
                    item.target_unit_id = context["units"][value][0] if value else None
            services.validate_request(session, item)
        session.flush()

    def export_query(self, session: Session, actor: Actor) -> Any:
        return session.query(AccountRequest)

    def export_rows(
        self, session: Session, actor: Actor, query: Any = None
    ) -> Iterator[dict[str, Any]]:
        codes = {uid: code for code, uid in session.execute(select(Unit.credit_code, Unit.id))}
        statement = (
            select(AccountRequest)
            .where(AccountRequest.state == RequestState.PENDING.value)
            .order_by(AccountRequest.requested_at, AccountRequest.id)
        )
        if query is not None:
            statement = statement.where(
                AccountRequest.id.in_(query.with_entities(AccountRequest.id).statement)
            )
        statement = actor.reach.scope(statement, AccountRequest)
        for item in session.execute(statement).scalars():
            yield self._values(item, codes)


_KEYS = {column.key for column in WindowAccountRequestSpec.columns}
