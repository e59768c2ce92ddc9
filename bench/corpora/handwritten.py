"""Chat messages written by hand, one per line, with inline labels: the corpus no generator shaped.

Two files, never mixed: ``handwritten_dev.txt`` is for engineers to read while improving the recognisers;
``handwritten_test.txt`` is held out and only scored (``bench.redaction_quality``).

Markup (one message per line, UTF-8):

- ``[[TYPE|value]]``: PII of an entity type in ``ENTITY_TYPES`` (``[[PHONE_NUMBER|+44 20 7946 0958]]``);
- ``{{NEG:kind|value}}``: a hard negative that must survive redaction (``{{NEG:order|ORD-48213377}}``);
  ``kind`` is lower-case letters, digits and ``_``;
- ``{{SLICES:a,b}}`` at the very start of a line (then one space): slice tags for the message, e.g.
  ``phone_typo``, ``name_lowercase``, ``address:FR``; ``phone:XX`` names the region national phone numbers on
  the line are read in (default US), from which ``phone_valid`` / ``phone_invalid`` are derived with
  libphonenumber;
- ``\\n`` inside a line is a newline of the message, ``\\\\`` a backslash;
- lines starting with ``#`` and blank lines are ignored.

Values must be non-empty, carry no surrounding whitespace, and contain no ``|``, ``[[``, ``]]``, ``{{`` or
``}}``; markup does not nest. Anything else is a :class:`MarkupError` naming the file and line, so a typo in
the data cannot silently become an unlabelled leak.
"""

from __future__ import annotations

import random
import re
from functools import cache
from pathlib import Path

from bench.corpora import ENTITY_TYPES, LabelledText
from bench.corpora._builder import MessageBuilder
from bench.corpora._values import phone_validity

__all__ = ["FILES", "MarkupError", "generate", "parse_file", "parse_line"]

FILES = {
    "dev": Path(__file__).with_name("handwritten_dev.txt"),
    "test": Path(__file__).with_name("handwritten_test.txt"),
    "blind1": Path(__file__).with_name("handwritten_blind1.txt"),
    "blind2": Path(__file__).with_name("handwritten_blind2.txt"),
    "blind3": Path(__file__).with_name("handwritten_blind3.txt"),
    "blind4": Path(__file__).with_name("handwritten_blind4.txt"),
    "blind5": Path(__file__).with_name("handwritten_blind5.txt"),
    "blind6": Path(__file__).with_name("handwritten_blind6.txt"),
    "blind7": Path(__file__).with_name("handwritten_blind7.txt"),
    "blind8": Path(__file__).with_name("handwritten_blind8.txt"),
    "blind9": Path(__file__).with_name("handwritten_blind9.txt"),
    "blind10": Path(__file__).with_name("handwritten_blind10.txt"),
}

_SLICES = re.compile(r"^\{\{SLICES:([^{}|]+)\}\} ")
_PII = re.compile(r"\[\[([A-Z_]+)\|([^\[\]{}|]*)\]\]")
_NEG = re.compile(r"\{\{NEG:([a-z0-9_]+)\|([^\[\]{}|]*)\}\}")
_MARKERS = ("[[", "]]", "{{", "}}")


class MarkupError(ValueError):
    """A line of a handwritten corpus file does not follow the markup."""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def parse_line(line: str, where: str = "<line>") -> LabelledText:
    """One marked-up line as a labelled message. :raises MarkupError: on anything malformed."""
    tags: set[str] = set()
    slices = _SLICES.match(line)
    if slices:
        tags = {t.strip() for t in slices.group(1).split(",")}
        if "" in tags:
            raise MarkupError(f"{where}: empty slice tag")
        line = line[slices.end() :]
    builder = MessageBuilder()
    position = 0
    phones: list[str] = []
    matches = sorted([*_PII.finditer(line), *_NEG.finditer(line)], key=lambda m: m.start())
    for match in matches:
        if match.start() < position:
            raise MarkupError(f"{where}: overlapping markup")
        _literal(builder, line[position : match.start()], where)
        kind, value = match.group(1), match.group(2)
        if not value or value != value.strip():
            raise MarkupError(f"{where}: empty value or surrounding whitespace in {match.group(0)!r}")
        value = _unescape(value)
        if match.re is _PII:
            if kind not in ENTITY_TYPES:
                raise MarkupError(f"{where}: unknown entity type {kind!r}")
            builder.add(value, label=kind)
            if kind == "PHONE_NUMBER":
                phones.append(value)
        else:
            builder.add(value, negative=kind)
        position = match.end()
    _literal(builder, line[position:], where)
    region = next((t.split(":", 1)[1] for t in tags if t.startswith("phone:")), "US")
    for value in phones:
        tags.add("phone_valid" if phone_validity(value, region) else "phone_invalid")
    item = builder.tag(*tags).build()
    if not item.text.strip():
        raise MarkupError(f"{where}: empty message")
    return item


def _literal(builder: MessageBuilder, text: str, where: str) -> None:
    for marker in _MARKERS:
        if marker in text:
            raise MarkupError(f"{where}: stray or malformed markup {marker!r} in {text!r}")
    builder.add(_unescape(text))


def parse_file(path: Path) -> list[LabelledText]:
    items = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        items.append(parse_line(line, f"{path.name}:{number}"))
    return items


@cache
def _load(split: str) -> tuple[LabelledText, ...]:
    return tuple(parse_file(FILES[split]))


def generate(size: int, seed: int, *, split: str = "test") -> list[LabelledText]:
    """Every message of ``split`` in file order; a seeded sample of ``size`` when the file has more."""
    items = list(_load(split))
    if size >= len(items):
        return items
    return random.Random(seed).sample(items, size)
