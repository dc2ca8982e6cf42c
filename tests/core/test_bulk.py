"""Bulk writes (app.core.bulk): what they store is what the ORM reads back, on both databases
(COPY on PostgreSQL, executemany elsewhere)."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.bulk import insert_rows, one_of, rare_collections
from app.core.models import Region, Unit
from app.extensions import db

AWKWARD = ['引号"和反斜杠\\', "制表\t符", "换\n行", "\\N", "", "海口市秀英区市场监督管理局"]


def test_insert_rows_stores_tuples_dicts_and_shared_values_as_the_orm_reads_them(world, ctx):
    region_id = db.session.scalar(select(Region.id).limit(1))
    columns = ("name", "credit_code", "region_id", "kind", "exercise_level", "liaison_name")
    tuples = [
        (name or "空", f"11460105MB{n:07d}X", region_id, "department", "4", name or None)
        for n, name in enumerate(AWKWARD)
    ]
    insert_rows(
        db.session, Unit.__table__, tuples, columns=columns, fixed={"active": False, "version": 3}
    )
    insert_rows(
        db.session,
        Unit.__table__,
        [
            {
                "name": "字典行",
                "credit_code": "11460105MB9999999X",
                "region_id": region_id,
                "kind": "department",
                "exercise_level": "4",
                "liaison_name": None,
                "active": True,
                "version": 1,
            }
        ],
    )
    db.session.commit()
    stored = {
        unit.credit_code: unit
        for unit in db.session.scalars(select(Unit).where(Unit.credit_code.like("11460105MB%")))
    }
    assert len(stored) == len(AWKWARD) + 1
    for name, code, *_rest in tuples:
        unit = stored[code]
        assert unit.name == name and unit.active is False and unit.version == 3
    assert [stored[t[1]].liaison_name for t in tuples] == [t[5] for t in tuples]
    assert stored["11460105MB9999999X"].active is True


def test_one_of_selects_exactly_the_given_values(world, ctx):
    codes = list(db.session.scalars(select(Unit.credit_code).order_by(Unit.id)))
    wanted = codes[:2] + ["00000000000000000X"]
    found = set(
        db.session.scalars(
            select(Unit.credit_code).where(one_of(db.session, Unit.credit_code, wanted))
        )
    )
    assert found == set(codes[:2])


def test_insert_rows_returns_the_new_rows_ids_in_their_order(world, ctx):
    region_id = db.session.scalar(select(Region.id).limit(1))
    columns = ("name", "credit_code", "region_id", "kind", "exercise_level")
    # The newest unit gone first: new ids must still be what the rows really took.
    newest = Unit(
        name="临时", credit_code="11460105ME0000000X", region_id=region_id, kind="department"
    )
    db.session.add(newest)
    db.session.flush()
    db.session.delete(newest)
    db.session.flush()
    ids = []
    for start in (0, 3):
        rows = [
            (f"编号单位{n}", f"11460105MC{n:07d}X", region_id, "department", "4")
            for n in range(start, start + 3)
        ]
        ids += insert_rows(
            db.session,
            Unit.__table__,
            rows,
            columns=columns,
            fixed={"active": True, "version": 1},
            return_ids=True,
        )
    assert len(set(ids)) == 6
    stored = dict(
        db.session.execute(select(Unit.id, Unit.credit_code).where(Unit.id.in_(ids))).all()
    )
    assert [stored[i] for i in ids] == [f"11460105MC{n:07d}X" for n in range(6)]
    # Plain inserts still take their ids from the same place.
    db.session.add(
        Unit(
            name="之后",
            credit_code="11460105MD0000000X",
            region_id=region_id,
            kind="department",
            exercise_level="4",
        )
    )
    db.session.flush()
    assert db.session.scalar(select(Unit.id).where(Unit.name == "之后")) not in ids
    db.session.rollback()


def test_a_duplicate_key_is_sqlalchemys_integrity_error_on_both_databases(world, ctx):
    existing = db.session.scalar(select(Unit).limit(1))
    row = ("重复", existing.credit_code, existing.region_id, "department", "4")
    with pytest.raises(IntegrityError):
        insert_rows(
            db.session,
            Unit.__table__,
            [row],
            columns=("name", "credit_code", "region_id", "kind", "exercise_level"),
            fixed={"active": True, "version": 1},
        )
    db.session.rollback()


def test_one_of_takes_numbers_quotes_and_nothing(world, ctx):
    ids = list(db.session.scalars(select(Unit.id).order_by(Unit.id).limit(3)))
    found = set(db.session.scalars(select(Unit.id).where(one_of(db.session, Unit.id, ids[:2]))))
    assert found == set(ids[:2])
    odd = ['引号"', "反斜杠\\", "'单引号'"]
    assert not list(
        db.session.scalars(select(Unit.id).where(one_of(db.session, Unit.credit_code, odd)))
    )
    assert not list(db.session.scalars(select(Unit.id).where(one_of(db.session, Unit.id, []))))


def test_rare_collections_gives_the_collector_its_thresholds_back():
    before = gc.get_threshold()
    with rare_collections():
        assert gc.get_threshold()[0] > before[0]
    assert gc.get_threshold() == before
