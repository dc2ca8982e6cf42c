"""Closed lists of the core domain, with translated labels."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a translated label (``.label``)."""

    label: str

    # Members are declared as (value, label). A type checker is to see the usual enum: a call is
    # a lookup by value (``RegionLevel("city")``) and ``.value`` is the string.
    if TYPE_CHECKING:

        @property
        def value(self) -> str: ...

    else:

        def __new__(cls, value: str, label: object) -> LabelledEnum:
            member = str.__new__(cls, value)
            member._value_ = value
            member.label = label
            return member

    def __str__(self) -> str:
        return str(self.label)

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """Options for a WTForms SelectField, labels translated at render time."""
        return [SelectChoice(member.value, member.label) for member in cls]

    @classmethod
    def label_of(cls, value: str | None) -> str:
        try:
            return str(cls(value).label)
        except ValueError:
            return value or ""


class RegionLevel(LabelledEnum):
    """Levels of the administrative-division tree, with the length of their significant prefix."""

    PROVINCE = "province", _l("Province")
    CITY = "city", _l("Prefecture city")
    COUNTY = "county", _l("County / district")
    TOWNSHIP = "township", _l("Township / street")
    VILLAGE = "village", _l("Village / community")

    @property
    def prefix_length(self) -> int:
        return {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}[self.value]

    @property
    def code_length(self) -> int:
        return {"province": 6, "city": 6, "county": 6, "township": 9, "village": 12}[self.value]

    @property
    def depth(self) -> int:
        return list(RegionLevel).index(self)


class UnitKind(LabelledEnum):
    DEPARTMENT = "department", _l("Government department")
    AGENCY = "agency", _l("Agency directly under the government")
    PUBLIC_INSTITUTION = "institution", _l("Public institution")
    VERTICAL = "vertical", _l("Vertical-management office")
    OTHER = "other", _l("Other organisation")


class ExerciseLevel(LabelledEnum):
    """行使层级 of the national exchange format (the digit in the implementation code)."""

    NATIONAL = "1", _l("National")
    PROVINCIAL = "2", _l("Provincial")
    CITY = "3", _l("City")
    COUNTY = "4", _l("County")
    TOWNSHIP = "5", _l("Township / street")
    VILLAGE = "6", _l("Village / community")

    @classmethod
    def for_region_level(cls, level: RegionLevel) -> ExerciseLevel:
        return {
            RegionLevel.PROVINCE: cls.PROVINCIAL,
            RegionLevel.CITY: cls.CITY,
            RegionLevel.COUNTY: cls.COUNTY,
            RegionLevel.TOWNSHIP: cls.TOWNSHIP,
            RegionLevel.VILLAGE: cls.VILLAGE,
        }[level]


# A list's values in a spreadsheet are exchanged data: Chinese whatever the user's language.
KIND_LABELS = {
    UnitKind.DEPARTMENT.value: "政府部门",
    UnitKind.AGENCY.value: "政府直属机构",
    UnitKind.PUBLIC_INSTITUTION.value: "事业单位",
    UnitKind.VERTICAL.value: "垂直管理单位",
    UnitKind.OTHER.value: "其他组织",
}
LEVEL_LABELS = {
    ExerciseLevel.NATIONAL.value: "国家级",
    ExerciseLevel.PROVINCIAL.value: "省级",
    ExerciseLevel.CITY.value: "市级",
    ExerciseLevel.COUNTY.value: "县级",
    ExerciseLevel.TOWNSHIP.value: "乡镇（街道）级",
    ExerciseLevel.VILLAGE.value: "村（社区）级",
}


class ReachKind(LabelledEnum):
    """How far a user sees, from broadest to narrowest."""

    PROVINCE = "province", _l("Whole province")
    REGION = "region", _l("Own region and below")
    UNIT = "unit", _l("Own unit")
    NONE = "none", _l("Nothing")

    @property
    def breadth(self) -> int:
        return {"province": 3, "region": 2, "unit": 1, "none": 0}[self.value]
