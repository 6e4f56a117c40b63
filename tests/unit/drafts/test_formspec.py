"""The web form of a business type: widgets from the model, assignments from a submission."""

from __future__ import annotations

from typing import Any

import pytest

from patentdesk.drafts.formspec import build_view, changes, entry_exists, is_repeat
from patentdesk.packages.fields import Assignment, apply
from patentdesk.packages.forms import InvalidationForm, InventionForm


def saved(**fields: Any) -> dict[str, Any]:
    return InventionForm.model_validate(fields).model_dump(mode="json", exclude_none=True)


def run(model: Any, data: dict[str, Any], assignments: list[Assignment]) -> dict[str, Any]:
    for a in assignments:
        data = apply(model, data, a)
    return data


def by_path(widgets: list[Any]) -> dict[str, Any]:
    found = {}
    for w in widgets:
        found[w.path] = w
        found.update(by_path(w.children))
    return found


def test_widgets_follow_the_model_with_titles_and_the_agency_last() -> None:
    widgets = build_view(InventionForm, saved(title="折叠车", inventors=[{"name": "张三"}]))
    top = [w.path for w in widgets]
    assert top[0] == "internal_number"
    assert top[-1] == "agency"
    assert top.index("title") < top.index("applicants") < top.index("inventors")
    found = by_path(widgets)
    assert found["title"].label("zh") == "发明创造名称"
    assert found["title"].label("en") == "Title"
    assert found["title"].value == "折叠车"
    assert found["inventors"].kind == "repeat"
    assert [e.path for e in found["inventors"].children] == ["inventors.0"]
    assert found["inventors.0.name"].value == "张三"
    assert found["inventors.0.country"].value == "CN"  # the model's default is shown
    assert found["inventors.0.withhold_name"].input == "checkbox"
    assert found["applicants"].children == []
    assert found["agency.agents"].agency and found["agency.name"].agency
    assert not found["title"].agency
    method = found["agency"].children  # a group holds its fields
    assert [w.name for w in method] == ["name", "code", "agents"]


def test_select_date_and_add_button_widgets() -> None:
    widgets = build_view(InventionForm, saved(), extra="applicants")
    found = by_path(widgets)
    entry = found["applicants.0"]
    assert entry.new
    poa = found["applicants.0.general_poa_method"]
    assert poa.input == "select"
    assert poa.options == ["paper", "online", "process_service"]
    assert poa.blank_option
    assert found["fee_reduction"].value == "false"
    widgets = build_view(InventionForm, saved(), extra="priorities")
    assert by_path(widgets)["priorities.0.date"].input == "date"


def test_a_refused_submission_is_shown_as_it_was_typed() -> None:
    submitted = {"title": ["新名称"], "inventors.0.name": ["李四"], "inventors.1.name": ["王五"]}
    found = by_path(build_view(InventionForm, saved(title="旧名称"), overrides=submitted))
    assert found["title"].value == "新名称"
    assert [e.path for e in found["inventors"].children] == ["inventors.0", "inventors.1"]
    assert found["inventors.1.name"].value == "王五"


def test_only_what_changed_is_assigned() -> None:
    data = saved(title="折叠车", internal_number="AG-1", inventors=[{"name": "张三"}])
    submitted = {
        "title": ["折叠车"],
        "internal_number": [""],
        "inventors.0.name": ["张三 "],
        "inventors.0.country": ["CN"],
        "inventors.0.withhold_name": ["false", "true"],  # hidden "false", then the checkbox
        "csrf": ["x"],
        "rev": ["y"],
    }
    assert changes(InventionForm, data, submitted) == [
        Assignment("internal_number", None),
        Assignment("inventors.0.withhold_name", "true"),
    ]
    result = run(InventionForm, data, changes(InventionForm, data, submitted))
    assert "internal_number" not in result
    assert result["inventors"][0]["withhold_name"] is True


def test_fields_not_sent_are_left_alone() -> None:
    # A disabled agency section is not sent by the browser: its saved data must survive.
    data = saved(agency={"name": "某某专利代理事务所", "agents": [{"name": "赵代理"}]})
    assert changes(InventionForm, data, {"title": ["折叠车"]}) == [Assignment("title", "折叠车")]


def test_new_entries_are_numbered_after_the_saved_ones_and_blank_ones_dropped() -> None:
    data = saved(inventors=[{"name": "张三"}])
    submitted = {
        "inventors.0.name": ["张三"],
        "inventors.1.name": [""],  # added on the page, left empty
        "inventors.1.country": ["CN"],
        "inventors.1.withhold_name": ["false"],
        "inventors.2.name": ["李四"],
        "inventors.2.country": [""],  # clearing a field of a new entry: just leave it out
        "inventors.3.name": ["王五"],
        "inventors.3.country": ["US"],
    }
    assignments = changes(InventionForm, data, submitted)
    assert assignments == [
        Assignment("inventors.1.name", "李四"),
        Assignment("inventors.2.name", "王五"),
        Assignment("inventors.2.country", "US"),
    ]
    result = run(InventionForm, data, assignments)
    assert [(i["name"], i["country"]) for i in result["inventors"]] == [
        ("张三", "CN"),
        ("李四", "CN"),
        ("王五", "US"),
    ]


def test_nested_repeats_inside_a_group() -> None:
    data = saved()
    submitted = {"agency.name": ["某所"], "agency.agents.0.name": ["赵代理"]}
    assignments = changes(InventionForm, data, submitted)
    assert assignments == [
        Assignment("agency.name", "某所"),
        Assignment("agency.agents.0.name", "赵代理"),
    ]
    result = run(InventionForm, data, assignments)
    assert result["agency"] == {"name": "某所", "agents": [{"name": "赵代理"}]}


@pytest.mark.parametrize(
    ("old", "typed", "expected"),
    [
        (["新颖性", "创造性"], "新颖性\n创造性\n", []),
        (["新颖性"], "新颖性\n创造性\n实用性", [["新颖性", "创造性", "实用性"]]),
        (["新颖性", "创造性", "实用性"], "创造性", [["创造性"]]),
        (["新颖性", "创造性"], "", [[]]),
    ],
)
def test_lines_are_a_list_one_item_per_line(
    old: list[str], typed: str, expected: list[list[str]]
) -> None:
    data = InvalidationForm.model_validate({"grounds": old}).model_dump(
        mode="json", exclude_none=True
    )
    assignments = changes(InvalidationForm, data, {"grounds": [typed]})
    assert bool(assignments) == bool(expected)
    if expected:
        assert run(InvalidationForm, data, assignments).get("grounds", []) == expected[0]


def test_repeated_groups_and_entries() -> None:
    assert is_repeat(InventionForm, "inventors")
    assert is_repeat(InventionForm, "agency.agents")
    assert not is_repeat(InventionForm, "title")
    assert not is_repeat(InventionForm, "inventors.0")
    assert not is_repeat(InventionForm, "nonsense")
    data = saved(inventors=[{"name": "张三"}], agency={"agents": [{"name": "赵"}]})
    assert entry_exists(data, "inventors.0")
    assert entry_exists(data, "agency.agents.0")
    assert not entry_exists(data, "inventors.1")
    assert not entry_exists(data, "applicants.0")
