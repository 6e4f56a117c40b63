from __future__ import annotations

from pathlib import Path

import pytest

from patentdesk.packages import editing, read_package
from patentdesk.packages import errors as e
from patentdesk.packages.fields import Assignment, field_paths
from patentdesk.packages.forms import InventionForm
from tests.unit.packages.conftest import AGENCY


@pytest.fixture
def case(tmp_path: Path) -> Path:
    path = tmp_path / "c.zip"
    editing.new_package("invention", path)
    return path


def form(path: Path) -> dict:
    with read_package(path) as package:
        return package.form


def test_dotted_paths_with_indexes(case: Path) -> None:
    editing.set_fields(
        case,
        [
            "title=一种折叠式电动自行车",
            "applicants.0.name=甲公司",
            "applicants.1.name=乙",
            "inventors.0.name=张三",
            "inventors.1.name=李四",
            "priorities.0.date=2025-05-01",
            "fee_reduction=true",
        ],
    )
    data = form(case)
    assert [a["name"] for a in data["applicants"]] == ["甲公司", "乙"]
    assert [i["name"] for i in data["inventors"]] == ["张三", "李四"]
    assert data["priorities"][0]["date"] == "2025-05-01"
    assert data["fee_reduction"] is True


def test_clearing_and_removing(case: Path) -> None:
    editing.set_fields(case, ["inventors.0.name=张三", "inventors.1.name=李四", "title=x"])
    editing.set_fields(case, ["inventors.0=", "title="])
    data = form(case)
    assert [i["name"] for i in data["inventors"]] == ["李四"]
    assert "title" not in data


def test_unknown_field_names_the_field_and_suggests(case: Path) -> None:
    with pytest.raises(e.UnknownField) as info:
        editing.set_fields(case, ["applicants.0.nmae=x"])
    assert "applicants.0.nmae" in info.value.zh and "name" in info.value.en


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("priorities.0.date=yesterday", "priorities.0.date"),
        ("fee_reduction=maybe", "fee_reduction"),
        ("applicants.0.general_poa_method=fax", "applicants.0.general_poa_method"),
        ("applicants.3.name=x", "applicants.3.name"),
        ("applicants=x", "applicants"),
        ("applicants.x.name=y", "applicants.x.name"),
    ],
)
def test_bad_values_name_the_field(case: Path, text: str, field: str) -> None:
    with pytest.raises(e.InvalidFieldValue) as info:
        editing.set_fields(case, [text])
    assert field in info.value.zh and field in info.value.en


def test_bad_assignment() -> None:
    with pytest.raises(e.BadAssignment):
        Assignment.parse("title")


def test_changes_are_all_or_nothing(case: Path) -> None:
    before = case.read_bytes()
    with pytest.raises(e.UnknownField):
        editing.set_fields(case, ["title=ok", "nope=1"])
    assert case.read_bytes() == before


@pytest.mark.seed("C8")
def test_agency_fields_need_an_agency_login(case: Path) -> None:
    for editor in (
        editing.Editor(),
        editing.Editor(role="natural", user_id="u"),
        editing.Editor(role="handler", org_kind="legal", user_id="u"),
        editing.Editor(role="main", org_kind="agency", user_id="u"),
    ):
        with pytest.raises(e.AgencyLoginRequired) as info:
            editing.set_fields(case, ["agency.name=某某事务所"], editor)
        assert "agency.name" in info.value.zh and "log in" in info.value.en.lower()
    editing.set_fields(case, ["agency.name=某某事务所", "agency.agents.0.name=李四"], AGENCY)
    assert form(case)["agency"]["agents"][0]["name"] == "李四"


def test_field_catalogue() -> None:
    paths = field_paths(InventionForm)
    for p in (
        "title",
        "internal_number",
        "applicants.N.uscc",
        "applicants.N.general_poa_method",
        "inventors.N.name",
        "priorities.N.date",
        "agency.agents.N.licence",
        "fee_reduction",
    ):
        assert p in paths


def test_ic_layout_is_refused_everywhere(tmp_path: Path) -> None:
    with pytest.raises(e.IcLayoutNotSupported) as info:
        editing.new_package("ic-layout", tmp_path / "x.zip")
    assert "集成电路布图设计" in info.value.zh and "IC layout" in info.value.en
    assert not (tmp_path / "x.zip").exists()
    with pytest.raises(e.UnknownBusinessType):
        editing.new_package("trademark", tmp_path / "x.zip")
