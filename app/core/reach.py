"""Reach (data scope): the one mechanism that decides which rows a user may see and write.

Every model that belongs somewhere declares ``__reach__ = ReachRule(...)``. Reads are scoped in
:class:`ReachInterface`, the data interface under every FAB view and REST API (lists, show, edit,
delete, actions, related select lists, exports), and services scope their own queries with
:meth:`Reach.scope`. Writes are checked at flush time by :func:`check_writes` (wired in
:mod:`app.core.audit`'s session hook), so a form, an API payload or a service cannot place a row
outside the actor's reach either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from flask import g, has_request_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import false, inspect, or_, select
from sqlalchemy.orm import Mapper, RelationshipProperty, Session
from sqlalchemy.sql.elements import ColumnElement

from app.core.errors import DomainError, OutOfReach
from app.core.models import ReachRule, Region
from app.core.states import ReachKind

T = TypeVar("T")


@dataclass(frozen=True)
class Reach:
    """What one actor may see: the whole province, a region subtree, one unit, or nothing."""

    kind: ReachKind
    region_path: str | None = None
    unit_id: int | None = None

    @classmethod
    def unrestricted(cls) -> Reach:
        return cls(ReachKind.PROVINCE)

    @classmethod
    def nothing(cls) -> Reach:
        return cls(ReachKind.NONE)

    @classmethod
    def for_user(cls, user: Any) -> Reach:
        """The broadest reach among the user's roles, anchored at the user's region or unit."""
        from app.core.roles import reach_kind_of_roles

        kind = reach_kind_of_roles(role.name for role in (user.roles or []))
        if kind is ReachKind.PROVINCE:
            return cls(ReachKind.PROVINCE)
        unit = getattr(user, "unit", None)
        region = getattr(user, "region", None) or (unit.region if unit is not None else None)
        if kind is ReachKind.REGION:
            return cls(kind, region_path=region.path) if region is not None else cls.nothing()
        if kind is ReachKind.UNIT and unit is not None:
            return cls(kind, region_path=unit.region.path, unit_id=unit.id)
        return cls.nothing()

    @property
    def is_unrestricted(self) -> bool:
        return self.kind is ReachKind.PROVINCE

    # -- reading ---------------------------------------------------------------------------

    def criterion(self, model: type) -> ColumnElement[bool] | None:
        """A WHERE clause limiting ``model`` to this reach, or None when nothing is limited."""
        rule: ReachRule | None = getattr(model, "__reach__", None)
        if rule is None or self.kind is ReachKind.PROVINCE:
            return None
        if self.kind is ReachKind.NONE:
            return false()
        if rule.via:
            relationship = getattr(model, rule.via)
            inner = self.criterion(relationship.property.mapper.class_)
            return None if inner is None else relationship.has(inner)
        if rule.owned:
            return self._owned_criterion(model)
        if rule.also:
            return or_(
                *(
                    self._placement_criterion(model, region, unit)
                    for region, unit in ((rule.region, rule.unit), *rule.also)
                )
            )
        return self._placement_criterion(model, rule.region, rule.unit)

    def _placement_criterion(
        self, model: type, region: str | None, unit: str | None
    ) -> ColumnElement[bool]:
        if self.kind is ReachKind.UNIT and unit:
            return getattr(model, unit) == self.unit_id
        if region is None:
            return false()
        if model is Region:
            return Region.path.startswith(self.region_path, autoescape=True)
        return getattr(model, region).in_(Region.subtree(self.region_path))

    def _owned_criterion(self, model: type) -> ColumnElement[bool]:
        """Rows pointed at by at least one row in reach (every many-to-one onto ``model``)."""
        key: Any = inspect(model).primary_key[0]
        clauses = []
        for owner, column in _referrers(model):
            inner = self.criterion(owner)
            owners = select(column).where(column.is_not(None))
            clauses.append(key.in_(owners if inner is None else owners.where(inner)))
        return or_(*clauses) if clauses else false()

    def scope(self, query: Any, model: type) -> Any:
        """Apply this reach to a ``Query`` or ``Select`` over ``model``."""
        clause = self.criterion(model)
        return query if clause is None else query.filter(clause)

    def one(self, session: Session, model: type[T], pk: Any) -> T:
        """``model`` #pk if it lies within this reach; else OutOfReach (404: ids leak nothing)."""
        key = inspect(model).primary_key[0]
        try:
            pk = key.type.python_type(pk)
        except (TypeError, ValueError):
            raise OutOfReach() from None
        query = self.scope(select(model).where(key == pk), model)
        obj = session.execute(query).scalar_one_or_none()
        if obj is None:
            raise OutOfReach()
        return obj

    def contains(
        self, region_path: str | None, unit_id: int | None = None, *, region_only: bool = False
    ) -> bool:
        """Whether a row of the region at ``region_path`` and of unit ``unit_id`` lies within
        this reach, for rows read in bulk (imports) whose region path and unit id are at hand.
        ``region_only``: judge the region alone (a unit's reach then covers its region)."""
        if self.kind is ReachKind.PROVINCE:
            return True
        if self.kind is ReachKind.NONE:
            return False
        if self.kind is ReachKind.UNIT and not region_only:
            return unit_id is not None and unit_id == self.unit_id
        return bool(region_path and region_path.startswith(self.region_path or "\0"))

    def visible_criterion(self, model: type) -> ColumnElement[bool] | None:
        """What this actor may see and pick in a related list: rows in reach, and the rows
        the model's rule makes public (the published licence catalogue)."""
        clause = self.criterion(model)
        rule: ReachRule | None = getattr(model, "__reach__", None)
        if clause is None or rule is None or rule.public is None:
            return clause
        return or_(clause, rule.public())

    def scope_visible(self, query: Any, model: type) -> Any:
        clause = self.visible_criterion(model)
        return query if clause is None else query.filter(clause)

    # -- writing ---------------------------------------------------------------------------

    def allows(self, obj: Any, session: Session) -> bool:
        """Whether ``obj``, as it will be written (unflushed changes included), is in this reach.

        A relationship assigned since the last flush (``unit.region = other``, or FAB's API
        setting ``region`` from ``{"region": 10}``) counts over its stale foreign-key column.
        """
        rule: ReachRule | None = getattr(type(obj), "__reach__", None)
        if rule is None or self.kind is ReachKind.PROVINCE:
            return True
        if self.kind is ReachKind.NONE:
            return False
        if rule.via:
            parent = _pending_related(obj, rule.via, session)
            return parent is None or self.allows(parent, session)
        if rule.owned:
            return self._owner_in_reach(obj, session)
        return any(
            self._placement_allows(obj, region, unit, session)
            for region, unit in ((rule.region, rule.unit), *rule.also)
        )

    def _placement_allows(
        self, obj: Any, region: str | None, unit: str | None, session: Session
    ) -> bool:
        if self.kind is ReachKind.UNIT and unit:
            if _key(_pending_value(obj, unit)) != self.unit_id:
                return False
            # A row of my unit lies in my unit's region too (a unit cannot move itself away).
            if region is None:
                return True
        if region is None:
            return False
        return self._region_in_reach(_pending_value(obj, region), obj, session)

    def check(self, session: Session, obj: Any) -> None:
        """Raise OutOfReach (404) unless ``obj``, as it stands, lies within this reach."""
        if not self.allows(obj, session):
            raise OutOfReach()

    def places_outside(self, obj: Any, session: Session) -> bool:
        """Whether a new ``obj`` is already placed (its owner given) outside this reach.

        An owner left empty for a service to derive (an adjustment's unit from its item) is
        not judged here; the flush-time check judges the row as written.
        """
        rule: ReachRule | None = getattr(type(obj), "__reach__", None)
        # A shared row (``also``) is judged at the flush, on all its placements.
        if rule is None or rule.via or rule.owned or rule.also or self.is_unrestricted:
            return False
        with session.no_autoflush:  # the row is not complete yet: nothing may be flushed
            if self.kind is ReachKind.UNIT and rule.unit:
                unit = _pending_value(obj, rule.unit)
                return unit is not None and _key(unit) != self.unit_id
            if not rule.region or rule.region == "id":
                return False
            region = _pending_value(obj, rule.region)
            return region is not None and not self._region_in_reach(region, obj, session)

    def _owner_in_reach(self, obj: Any, session: Session) -> bool:
        """A new owned row is judged with the row that will point at it (checked in the same
        flush); a stored one is in reach when one of the rows pointing at it is."""
        model = type(obj)
        identity = inspect(obj).identity
        if identity is None:
            return True
        key = inspect(model).primary_key[0]
        with session.no_autoflush:
            found = session.execute(
                select(key).where(key == identity[0], self._owned_criterion(model))
            ).first()
        return found is not None

    def _region_in_reach(self, region: Any, obj: Any, session: Session) -> bool:
        """``region`` is a region id or a Region object (one not flushed yet has no id)."""
        path: str | None
        if isinstance(obj, Region):
            path = obj.path
        elif isinstance(region, Region):
            path = region.path
        else:
            if region is None:
                return False
            with session.no_autoflush:
                path = session.execute(
                    select(Region.path).where(Region.id == region)
                ).scalar_one_or_none()
        return bool(path and path.startswith(self.region_path or "\0"))


def _referrers(model: type) -> list[tuple[type, Any]]:
    """(model, foreign-key column) of every reach-ruled many-to-one relationship onto ``model``."""
    found: list[tuple[type, Any]] = []
    mapper: Mapper[Any]
    relationship: RelationshipProperty[Any]
    for mapper in inspect(model).registry.mappers:
        if getattr(mapper.class_, "__reach__", None) is None:
            continue
        for relationship in mapper.relationships:
            if relationship.mapper.class_ is model and not relationship.uselist:
                columns = list(relationship.local_columns)
                if len(columns) == 1 and relationship.direction.name == "MANYTOONE":
                    found.append((mapper.class_, getattr(mapper.class_, columns[0].key)))
    return found


def _relationship_of(model: type, column: str) -> Any:
    """The writable many-to-one relationship whose foreign key is ``column``, if any."""
    mapper: Mapper[Any] | None = inspect(model, raiseerr=False)
    if mapper is None:  # not a mapped class (a stand-in record): its values are as they are
        return None
    for relationship in mapper.relationships:
        if relationship.viewonly or relationship.uselist:
            continue
        if [c.key for c in relationship.local_columns] == [column]:
            return relationship
    return None


def _key(value: Any) -> Any:
    """An id, from an id or from a related object (None for one without an id yet)."""
    if value is None or isinstance(value, (int, str)):
        return value
    identity = inspect(value).identity
    return identity[0] if identity else getattr(value, "id", None)


def _pending_value(obj: Any, column: str) -> Any:
    """A foreign key as the flush will write it: the related object when its relationship was
    assigned since the last flush (the relationship wins at flush), else the column's value."""
    relationship = _relationship_of(type(obj), column)
    if relationship is not None:
        added = inspect(obj).attrs[relationship.key].history.added
        if added:
            return added[0]
    return getattr(obj, column)


def _pending_related(obj: Any, name: str, session: Session) -> Any:
    """The object a many-to-one relationship will point at after the flush: the one assigned,
    or the one its foreign-key column was set to (the relationship object is stale then)."""
    state = inspect(obj)
    relationship = state.mapper.relationships[name]
    if state.attrs[name].history.added:
        return state.attrs[name].history.added[0]
    columns = [c.key for c in relationship.local_columns]
    if len(columns) == 1 and state.attrs[columns[0]].history.added:
        value = state.attrs[columns[0]].history.added[0]
        if value is None:
            return None
        with session.no_autoflush:
            return session.get(relationship.mapper.class_, value)
    return getattr(obj, name)


def _previous_values(obj: Any, column: str) -> list[Any]:
    """The stored owner(s) of a row: the foreign key as loaded and the relationship's former
    object (ids or objects)."""
    state = inspect(obj)
    history = state.attrs[column].load_history()
    values: list[Any] = list(history.deleted or history.unchanged or ())
    relationship = _relationship_of(type(obj), column)
    if relationship is not None:
        values.extend(state.attrs[relationship.key].history.deleted or ())
    return [value for value in values if value is not None]


def current_reach(session: Session | None = None) -> Reach:
    """The reach of whoever acts through ``session`` (the application's session by default):
    the actor its unit of work bound, else the request's."""
    from app.core.actor import session_actor
    from app.extensions import db

    return session_actor(db.session if session is None else session).reach


def check_writes(session: Session) -> None:
    """Refuse a flush that would create or change a row outside the reach of the actor writing
    through ``session`` (the one its unit of work bound)."""
    reach = current_reach(session)
    if reach.is_unrestricted:
        return
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        rule = getattr(type(obj), "__reach__", None)
        if rule is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        if not reach.allows(obj, session):
            raise OutOfReach()
        if obj in session.dirty and not _previous_state_allowed(obj, rule, reach, session):
            raise OutOfReach()


def _previous_state_allowed(obj: Any, rule: ReachRule, reach: Reach, session: Session) -> bool:
    """A row may not be moved *out of* someone else's reach either: check the old owner too,
    whether the foreign key or the relationship was changed."""
    if rule.via:
        state = inspect(obj)
        relationship = state.mapper.relationships[rule.via]
        parents = list(state.attrs[rule.via].history.deleted or ())
        for column in relationship.local_columns:
            history = state.attrs[column.key].load_history()
            for old in history.deleted or history.unchanged or ():
                if old is not None:
                    with session.no_autoflush:
                        parents.append(session.get(relationship.mapper.class_, old))
        return all(reach.allows(p, session) for p in parents if p is not None)
    # A shared row (``also``) was in reach when one of its placements was; and a party may not
    # move another party's placement (the issuer cannot send the row away from the requester).
    placements = ((rule.region, rule.unit), *rule.also)
    if not any(_previous_placement_allowed(obj, r, u, reach, session) for r, u in placements):
        return False
    if not rule.also:
        return True
    return all(
        _previous_placement_allowed(obj, r, u, reach, session)
        for r, u in placements
        if _placement_changed(obj, r, u)
    )


def _placement_changed(obj: Any, region: str | None, unit: str | None) -> bool:
    """Whether a placement's columns (or their relationships) change in this flush."""
    state = inspect(obj)
    for column in (region, unit):
        if not column or column == "id":
            continue
        if state.attrs[column].history.has_changes():
            return True
        relationship = _relationship_of(type(obj), column)
        if relationship is not None and state.attrs[relationship.key].history.has_changes():
            return True
    return False


def _previous_placement_allowed(
    obj: Any, region: str | None, unit: str | None, reach: Reach, session: Session
) -> bool:
    for column in (unit, region):
        if not column or column == "id":
            continue
        for old in _previous_values(obj, column):
            if column == unit:
                # A unit id is not a region id: for wider reaches the region column decides.
                if reach.kind is ReachKind.UNIT and _key(old) != reach.unit_id:
                    return False
            elif not reach._region_in_reach(old, obj, session):
                return False
    return True


class ReachInterface(SQLAInterface):
    """FAB's SQLAlchemy interface with the current actor's reach applied to every query.

    FAB's list, show, edit, delete, ``action``/``action_post`` (which load rows by primary key
    without base filters) and the REST API all query through ``apply_filters`` or
    ``_get_base_query``. Related lists (form select lists, search-filter choices, the lists of
    an API's ``_info``, a related filter's value) go through :meth:`get_related_interface`: a
    ``choices`` interface over the related model, scoped by that model's rule exactly like its
    own records, plus the rows the rule makes public (:meth:`Reach.visible_criterion`).
    """

    def __init__(
        self,
        obj: type,
        session: Any = None,
        *,
        count_cap: int | None = None,
        choices: bool = False,
    ) -> None:
        super().__init__(obj, session)
        self.count_cap = count_cap
        self.choices = choices

    def scope(self, query: Any) -> Any:
        """This interface's rows: the records in reach (or, for a related list, visible)."""
        reach = current_reach(self.session)
        if self.choices:
            return reach.scope_visible(query, self.obj)
        return reach.scope(query, self.obj)

    def get_related_interface(self, col_name: str) -> ReachInterface:
        return ReachInterface(self.get_related_model(col_name), self.session, choices=True)

    def query_count(self, query: Any, filters: Any = None, select_columns: Any = None) -> int:
        """FAB counts every row on each list page; on big tables count up to ``count_cap`` only."""
        if not self.count_cap:
            return super().query_count(query, filters, select_columns)
        inner = self._apply_inner_all(
            query, filters, select_columns=select_columns, aliases_mapping={}
        )
        return inner.limit(self.count_cap).count()

    def apply_filters(self, query: Any, filters: Any) -> Any:
        return self.scope(super().apply_filters(query, filters))

    def _get_base_query(
        self, query: Any, filters: Any = None, order_column: str = "", order_direction: str = ""
    ) -> Any:
        return super()._get_base_query(self.scope(query), filters, order_column, order_direction)

    def edit(self, item: Any, commit: bool = True) -> None:
        """FAB's edit; a domain error at the flush (reach, stale version) is kept for the page.

        FAB's edit page flashes its generic "Database Error" for any failure of this call; the
        view shows this error's own message instead (``ZwModelView.database_error_message``).
        """
        try:
            super().edit(item, commit)
        except DomainError as error:
            self.session.rollback()
            if has_request_context():
                g.zw_write_error = error
            raise

    def is_nullable(self, col_name: str) -> bool:
        # An unticked checkbox is a valid "false": FAB would otherwise make every non-nullable
        # boolean a required field that can never be left unticked.
        if self.is_boolean(col_name):
            return True
        return super().is_nullable(col_name)

    def get_related_obj(self, col_name: str, value: Any) -> Any:
        # FAB passes a relation filter's value as a one-element list (``_flt_0_entry=5`` on a
        # related view's add form); its own Query.get() accepted that as a primary-key tuple.
        if isinstance(value, (list, tuple)):
            value = value[0] if len(value) == 1 else None
        model = self.get_related_model(col_name)
        pk = inspect(model).primary_key[0]
        # Filter values arrive as text (``?_flt_0_unit=3``); PostgreSQL will not compare an
        # integer key with text, so convert to the key's type (a bad value matches nothing).
        try:
            value = pk.type.python_type(value)
        except (TypeError, ValueError, NotImplementedError):
            return None
        related = self.get_related_interface(col_name)
        return related.scope(self.session.query(model).filter(pk == value)).one_or_none()
