"""How deeply JSON nests, measured without recursion, so hostile nesting is refused before it can hurt.

Python's ``json`` module, pydantic's serialiser and every recursive walk over parsed JSON fail on nesting a few
hundred to a thousand levels deep (``RecursionError``, "maximum serialization depth exceeded"). A Twilio payload
nests a handful of levels; anything a customer can write (message ``Attributes``) could nest thousands. Both
checks here are loops with an explicit counter or stack, so the check itself can never be the thing that
overflows, and the text check runs *before* ``json.loads`` sees the text.

Depth counts containers: ``1`` and ``"x"`` are 0 deep, ``{}`` and ``[]`` are 1, ``{"a": [1]}`` is 2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["text_nests_deeper_than", "value_nests_deeper_than"]

#: The only characters that open or close a container, start or end a string, or escape inside one.
_STRUCTURAL = re.compile(r'[\[\]{}"\\]')
_OPENERS = frozenset("[{")
_CLOSERS = frozenset("]}")


def text_nests_deeper_than(text: str, limit: int) -> bool:
    """True when the JSON ``text`` opens more than ``limit`` containers inside one another.

    One linear pass over the structural characters (brackets inside strings do not count, escaped quotes do
    not end a string); it stops at the first level past the limit. Malformed text is measured as far as it
    goes: deciding whether it is valid JSON is left to the parser that runs after this check.
    """
    depth = 0
    in_string = False
    skip_to = -1  # the character after a backslash inside a string is never structural
    for match in _STRUCTURAL.finditer(text):
        position = match.start()
        if position < skip_to:
            continue
        char = match.group()
        if in_string:
            if char == "\\":
                skip_to = position + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif char in _CLOSERS:
            depth -= 1
    return False


def _children(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, list | tuple):
        return list(value)
    return []


def value_nests_deeper_than(value: Any, limit: int) -> bool:
    """True when the parsed JSON ``value`` (dicts, lists, scalars) nests more than ``limit`` containers.

    An explicit stack instead of recursion; it stops at the first container past the limit.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, Mapping | list | tuple):
            continue
        if depth + 1 > limit:
            return True
        stack.extend((child, depth + 1) for child in _children(item))
    return False
