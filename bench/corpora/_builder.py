"""Messages assembled piece by piece, so every label's offsets are exact by construction (and then checked).

Templates are plain strings with ``{slot}`` or ``{slot:argument}`` markers. Each slot is a callable (given the
argument, if any) returning one :class:`Piece` or a sequence of them (a postal address is a street line, a
separator and a city line); literal text between slots is copied as is. Labels are recorded while
concatenating, never found afterwards by searching the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bench.corpora import LabelledText

__all__ = ["KEEP_CASE", "MessageBuilder", "Piece", "Slot", "render", "slot_names"]

#: Labels whose values keep their case in a lower-cased message: people paste IBANs, SIDs and tracking numbers
#: from an app or an e-mail; they do not retype them.
KEEP_CASE = frozenset({"IBAN_CODE", "sid", "tracking"})
_SLOT = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


@dataclass(frozen=True)
class Piece:
    """A stretch of text: PII (``label``), a hard negative (``negative``) or neither; ``slices`` tag the message."""

    text: str
    label: str | None = None
    negative: str | None = None
    slices: frozenset[str] = field(default_factory=frozenset)


Slot = Callable[..., "Piece | Sequence[Piece]"]


class MessageBuilder:
    def __init__(self) -> None:
        self._parts: list[tuple[str, str | None]] = []  # (text, label or negative kind)
        self._length = 0
        self._spans: list[tuple[str, int, int, str]] = []
        self._negatives: list[tuple[str, int, int, str]] = []
        self._slices: set[str] = set()

    def add(self, text: str, label: str | None = None, negative: str | None = None) -> MessageBuilder:
        if label or negative:
            # Labels are tight: surrounding whitespace (Faker leaves some) is plain text.
            core = text.strip()
            if not core:
                return self.add(text)
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(lead) + len(core) :]
            self.add(lead)
            record = (label or negative or "", self._length, self._length + len(core), core)
            (self._spans if label else self._negatives).append(record)
            self._parts.append((core, label or negative))
            self._length += len(core)
            return self.add(trail)
        self._parts.append((text, None))
        self._length += len(text)
        return self

    def piece(self, piece: Piece) -> MessageBuilder:
        self._slices.update(piece.slices)
        return self.add(piece.text, piece.label, piece.negative)

    def tag(self, *slices: str) -> MessageBuilder:
        self._slices.update(slices)
        return self

    def build(self, *, lowercase: bool = False) -> LabelledText:
        text = "".join(part for part, _ in self._parts)
        lowered = lowercase and len(text.lower()) == len(text)  # then lower() moves no offset
        if lowered:
            text = "".join(part if label in KEEP_CASE else part.lower() for part, label in self._parts)
            self._slices.add("lowercase_message")
            if self._spans and any(s[0] == "PERSON" for s in self._spans):
                self._slices.add("name_lowercase")
        for label, start, end, value in [*self._spans, *self._negatives]:
            expected = value.lower() if lowered and label not in KEEP_CASE else value
            assert text[start:end] == expected, (text, start, end, value)
        spans = tuple((label, start, end) for label, start, end, _ in self._spans)
        negatives = tuple((kind, start, end) for kind, start, end, _ in self._negatives)
        slices = set(self._slices)
        if not spans:
            slices.add("pii_free")
        return LabelledText(text, spans, negatives, frozenset(slices))


def slot_names(template: str) -> list[str]:
    return [m.group(1) for m in _SLOT.finditer(template)]


def _pieces(value: Piece | Sequence[Piece]) -> Iterable[Piece]:
    return (value,) if isinstance(value, Piece) else value


def render(builder: MessageBuilder, template: str, slots: Mapping[str, Slot]) -> MessageBuilder:
    """Append ``template`` to ``builder``, filling each ``{slot}`` from ``slots`` (a missing slot is a bug)."""
    position = 0
    for match in _SLOT.finditer(template):
        builder.add(template[position : match.start()])
        slot, argument = slots[match.group(1)], match.group(2)
        for piece in _pieces(slot() if argument is None else slot(argument)):
            builder.piece(piece)
        position = match.end()
    return builder.add(template[position:])
