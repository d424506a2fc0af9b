"""The template rules as functions over a field's column (importer.template_checks): the
contract a column-wise validation builds on."""

from __future__ import annotations

import datetime as dt

from importer.task_templates import TemplateField
from importer.template_checks import normalized, set_locked, unset_required, value_problems

PRIORITY = TemplateField("Priority", "SINGLE_SELECT", options=("Low", "Normal", "High"))


def test_value_problems_name_each_bad_value_of_a_column_by_its_index() -> None:
    column = ["High", "", "high", "Soon"]

    problems = value_problems(PRIORITY, column)

    assert [index for index, _ in problems] == [2, 3]  # empty: not set, not checked
    assert (
        problems[0][1]
        == "not one of the options (did you mean 'High'?); pick one of: Low, Normal, High"
    )


def test_each_type_has_its_rule() -> None:
    def bad(kind: str, *values: str) -> list[int]:
        return [index for index, _ in value_problems(TemplateField("F", kind), values)]

    assert bad("NUMBER", "12", "-3.50", "1,200", "1e3", "12.") == [2, 3, 4]
    assert bad("URL", "https://x.example/1", "x.example", "ftp://x.example") == [1, 2]
    assert bad("EMAIL", "a@b.co", "a@b", "a b@c.de") == [1, 2]
    assert bad("BOOLEAN", "true", "false", "TRUE", "yes") == [2, 3]  # before normalizing
    assert bad("DATE_TIME", "1767225600", "2026-01-01") == [1]
    assert bad("TEXT", "x" * 511, "x" * 512) == [1]
    assert bad("TEXT_AREA", "x" * 4_095, "x" * 4_096) == [1]


def test_normalized_makes_booleans_and_dates_what_the_api_takes() -> None:
    values, problems = normalized(TemplateField("F", "BOOLEAN"), ["TRUE", "False", ""], dt.UTC)
    assert (values, problems) == (["true", "false", ""], [])

    column = ["2030-01-15 09:30", "1767225600", "", "next week"]
    values, problems = normalized(TemplateField("F", "DATE_TIME"), column, dt.UTC)
    assert values[:3] == ["1894699800", "1767225600", ""]
    assert [index for index, _ in problems] == [3]


def test_required_and_locked_fields_by_row() -> None:
    required = TemplateField("Phone", "TEXT", required=True)
    hidden = TemplateField("Case id", "TEXT", required=True, invisible=True)
    column = ["+1", "", "x"]

    assert unset_required(required, column) == [1]
    assert unset_required(hidden, column) == []  # a task cannot set it: its default stands
    assert set_locked(hidden, column) == [0, 2]
    assert set_locked(required, column) == []
