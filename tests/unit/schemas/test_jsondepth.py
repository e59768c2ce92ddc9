"""Nesting depth without recursion: the checks that run before ``json.loads`` and before a walk."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.jsondepth import text_nests_deeper_than, value_nests_deeper_than


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ('"[[[["', 0),  # brackets inside a string are text
        ('"a\\"[[["', 0),  # an escaped quote does not end the string
        ('"a\\\\"[[]]', 2),  # an escaped backslash does: the brackets after it count
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ("[[[[", 4),  # malformed text is measured as far as it goes
        ("[" * 100_000, 100_000),
    ],
)
def test_text_depth(text: str, depth: int) -> None:
    assert text_nests_deeper_than(text, depth - 1) is (depth > 0)
    assert text_nests_deeper_than(text, depth) is False


def test_text_agrees_with_the_parser_on_real_json() -> None:
    value: Any = {"a": [{"b": {"c": ["x", {"d": 1}]}}], "e": "{[}]"}
    text = json.dumps(value)
    assert not text_nests_deeper_than(text, 6)
    assert text_nests_deeper_than(text, 5)
    assert not value_nests_deeper_than(value, 6)
    assert value_nests_deeper_than(value, 5)


def test_value_depth_of_very_deep_objects_needs_no_recursion() -> None:
    deep: list[Any] = []
    cursor = deep
    for _ in range(100_000):
        cursor.append([])
        cursor = cursor[0]
    assert value_nests_deeper_than(deep, 64)
    assert not value_nests_deeper_than(deep, 100_001)
    assert not value_nests_deeper_than("text", 0)
