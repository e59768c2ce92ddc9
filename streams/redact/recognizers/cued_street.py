"""Street names without a street word: "Kladina 1082", "Meir 58 bus 3", "t schiltjen 301", "U Dálnice 612".

Czech, Slovak, Danish, Swedish, Flemish, Dutch, Icelandic and many other streets carry no street type, so the
street-word patterns of ``street_address.py`` cannot see them, and a word + number alone is everywhere in chat
("Pixel 7", "Terminal 2", "Windows 11"). Two independent signals make such a pair an address:

- an *address cue* right before it (``ADDRESS_CUES``: "address:", "deliver to", "we're at", "adresse",
  "bezorgen op", "bydlím v", ...), with at most a filler word between ("is", "now", ":"), or
- a postcode + place (or a place + postcode), or a unit alone ("depto 304"), in one of the next two comma- or
  line-separated parts (", 2000 Antwerpen", "\\n1167 VR Grootebroek", ", Αθήνα 105 63", ", depto 304"),

and the name itself must be no ordinary English word, common chat word, calendar word or brand: "we're at Gate
4", "moved to Plan 3" and "ship to Amazon 2" stay. A lower-case name counts only when no word of it is English
("t schiltjen 301"). The number may come first after a cue ("we're at 1171 Gadekæret"), as in some generators'
and some countries' habits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import regex

__all__ = ["CuedStreets"]

#: One name token: letters of any script with inner apostrophes or hyphens ("Dvůr", "Saint-Léger", "O'Neil").
_TOKEN = r"\p{L}[\p{L}\p{M}'’-]*"
#: A house number: "1082", "12a", "44/12", "9-4"; never a time, price or decimal after it.
_TOKEN_RE = regex.compile(_TOKEN)
_NUMBER = r"\d{1,5}\p{L}?(?:[/-]\d{1,4}\p{L}?)?(?![\p{L}\d]|[.,:]\d)"
_FILLER = r"(?:[ \t]*[:#-])?(?:[ \t]+(?i:is|now|still|at|on|in|to|:))?[ \t]*"
_MAX_NAME_TOKENS = 3
#: A postcode before its place, in the shapes of the countries whose streets have no street word.
_POSTCODE_PLACE = regex.compile(
    r"^[ \t]*(?:[A-Z]{1,2}-)?(?:\d{4,6}|\d{3}[ \t]?\d{2}|\d{2}-\d{3}|\d{5}-\d{3,4})(?:[ \t]?[A-Za-z]{2})?"
    r"[ \t]+\p{L}[\p{L}\p{M}'’.-]+"
)
_NAME_AFTER = regex.compile(rf"\G[ \t]*(?P<word>{_TOKEN})")
_NAME_AFTER_CHARS = 64
#: A place before its postcode, as Greek, Swedish and Czech addresses write it ("Αθήνα 105 63").
_PLACE_POSTCODE = regex.compile(
    r"^[ \t]*\p{Lu}[\p{L}\p{M}'’.-]+(?:[ -]\p{Lu}[\p{L}\p{M}'’.-]+)?,?[ \t]+(?:\d{3}[ \t]?\d{2}|\d{4,5})[ \t]*$"
)
_PART_SEPARATOR = regex.compile(r"[,;\n]")


def _alternation(phrases: Iterable[str]) -> str:
    return "|".join(regex.escape(p).replace(r"\ ", r"[ \t]+") for p in sorted(set(phrases), key=len, reverse=True))


class CuedStreets:
    """Finds cued street names (module doc); ``is_ordinary(word)`` says a case-folded word is no street name."""

    def __init__(
        self,
        *,
        cues: Iterable[str],
        particles: Iterable[str],
        units: Iterable[str],
        is_ordinary: Callable[[str], bool],
    ) -> None:
        self._particles = frozenset(p.casefold() for p in particles)
        self._is_ordinary = is_ordinary
        name = rf"{_TOKEN}(?:[ \t]+{_TOKEN}){{0,{_MAX_NAME_TOKENS}}}"
        cue = rf"(?<![\p{{L}}])(?i:{_alternation(cues)})(?![\p{{L}}])"
        #: What follows a house number in the same part: "bus 3", "Edif. 519", "lgh 1102" (unit designators).
        unit = rf"(?:,?[ \t]+(?i:{_alternation(units)})\.?[ \t]*#?[ \t]*\d{{1,5}}\p{{L}}?(?![\p{{L}}\d])){{0,3}}"
        self._after_cue = regex.compile(
            rf"{cue}{_FILLER}(?:(?P<name>{name}),?[ \t]+(?P<number>{_NUMBER}{unit})"
            rf"|(?P<number_first>{_NUMBER}),?[ \t]+(?P<name_after>{_TOKEN}(?:[ \t]+{_TOKEN})?))"
        )
        #: A part that is only a unit ("depto 304", "ap. 12"): the name + number before it is a street.
        self._unit_part = regex.compile(
            rf"^[ \t]*(?i:{_alternation(units)})\.?[ \t]*#?[ \t]*[A-Z]?\d{{1,5}}\p{{L}}?[ \t]*$"
        )
        self._part_start = regex.compile(rf"\G[ \t]*(?P<name>{name}),?[ \t]+(?P<number>{_NUMBER}{unit})[ \t.]*$")

    def find(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each cued street name with its number."""
        spans = []
        for match in self._after_cue.finditer(text):
            if match.group("name") is not None:
                span = self._named(text, match.start("name"), match.end("name"), match.end("number"))
            else:
                span = self._name_after_number(text, match.start("number_first"), match.start("name_after"))
            if span is not None:
                spans.append(span)
        spans.extend(self._before_postcodes(text))
        return spans

    def _named(self, text: str, start: int, name_end: int, end: int) -> tuple[int, int] | None:
        """The span from the first street-like token of the name to ``end``, or None when the name is ordinary.

        A name may open with particles or a one-letter preposition ("U Dálnice", "V Ráji", "t schiltjen"); words
        before the street's own words that are ordinary ("We're at" already consumed; "my Kladina"?) end it."""
        tokens = list(_TOKEN_RE.finditer(text[start:name_end]))
        kept: list[regex.Match[str]] = []
        for token in reversed(tokens):
            word = token.group().casefold()
            if len(word) == 1 or word in self._particles:
                kept.append(token)
                continue
            if self._is_ordinary(word):
                break
            kept.append(token)
        kept.reverse()
        while kept and (len(kept[0].group()) == 1 or kept[0].group().casefold() in self._particles):
            if len(kept) > 1 and len(kept[0].group()) == 1 and kept[0].group().isupper():
                break  # "U Dálnice", "V Ráji": a Czech preposition that is part of the street's name
            kept.pop(0)
        streetlike = [t for t in kept if len(t.group()) > 1 and t.group().casefold() not in self._particles]
        if not streetlike:
            return None
        if any(t.group()[0].islower() for t in streetlike) and any(t.group()[0].isupper() for t in streetlike):
            return None  # "Kladina now": a mix of cases is a sentence, not a street
        return start + kept[0].start(), end

    def _name_after_number(self, text: str, start: int, name_start: int) -> tuple[int, int] | None:
        """ "1171 Gadekæret now": the number and the street-like words after it, up to the first ordinary one."""
        end = None
        for token in _NAME_AFTER.finditer(text, name_start, name_start + _NAME_AFTER_CHARS):
            if len(token.group("word")) < 2 or self._is_ordinary(token.group("word").casefold()):
                break
            end = token.end()
        return None if end is None else (start, end)

    def _before_postcodes(self, text: str) -> list[tuple[int, int]]:
        """Parts that are only a name + number, followed within two parts by a postcode and its place."""
        bounds = [0, *(m.end() for m in _PART_SEPARATOR.finditer(text))]
        ends = [*(m.start() for m in _PART_SEPARATOR.finditer(text)), len(text)]
        spans = []
        for i, (part_start, part_end) in enumerate(zip(bounds, ends, strict=True)):
            match = self._part_start.match(text, part_start, part_end)
            if match is None:
                continue
            following = [text[bounds[j] : ends[j]] for j in range(i + 1, min(i + 3, len(bounds)))]
            if not any(
                _POSTCODE_PLACE.match(part) or _PLACE_POSTCODE.match(part) or self._unit_part.match(part)
                for part in following
            ):
                continue
            span = self._named(text, match.start("name"), match.end("name"), match.end("number"))
            if span is not None:
                spans.append(span)
        return spans
