"""How far an address reaches: the comma- or line-separated parts around a street line or a postcode.

A recognised street line ("405 Queen St W") is rarely the whole address: the unit, district, city, state and
postcode follow it ("…, Unit 1102, Toronto ON M5V 2A5"), separated by commas or line breaks, in every country's
own order ("…, 2º izq, 46001 Valencia", "…\\nAmbleside\\nLA22 9DH", "…, H.No. 12-2-826, Mehdipatnam, Hyderabad
500028"). Writing one pattern per national order would never end; instead, from an *anchor* (a street line or a
postcode the patterns found), the address is extended over neighbouring parts that look like address parts:

- at most ``MAX_PARTS`` parts of at most ``MAX_PART_TOKENS`` tokens, separated by ``,`` ``;`` a line break,
  `` - `` or `` / `` ("Hauptplatz 9, Top 4 / 4020 Linz");
- every token is a capitalised word, a name particle, a unit, floor or door word in any case ("depto", "4th
  flr", "2º izq", "Torre"), a state or country code, a parenthesised code ("(PG)"), a number or a
  postcode-like token (digits with at most three letters, "M5V", "2A5", "12-2-826", "01310-100"), or,
  in a part that holds such a number, a short lower-case word ("2º izq", "conj. 41", "22648 barthelemy");
- a part may not start with a common word ("and", "please", "thanks"), and a part that stops being an address
  part ("Monteleone D'Orvieto and leave it…") is taken up to there and ends the address.

Backwards the same rules hold, taking the end of each part ("address is The Old Rectory, Mill Lane\\nAmbleside\\n
LA22 9DH" → "The Old Rectory, …").
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

__all__ = ["MAX_PARTS", "MAX_PART_TOKENS", "AddressExtent"]

MAX_PARTS = 4
MAX_PART_TOKENS = 5
_MAX_PART_CHARS = 48
_SEPARATOR_AFTER = regex.compile(r"[ \t]*(?:[,;\n]|[ \t][-–/][ \t])[ \t\n]*")
_SEPARATOR_BEFORE = regex.compile(r"[ \t\n]*(?:[,;\n]|[ \t][-–/][ \t])[ \t]*$")
#: Where a part ends: the next separator or the end of a sentence.
_PART_END = regex.compile(r"[,;\n]|[ \t][-–/][ \t]|[.!?](?=[ \t\n]|$)|$")
_WORD_BEFORE_DOT = regex.compile(r"[\p{L}\d]+$")
#: What separates a part from the one before: a separator or a sentence end, with the spaces after it.
_BOUNDARY = regex.compile(r"(?:[,;:\n]|[ \t][-–/][ \t]|[.!?](?=[ \t]))[ \t]*")
_TOKEN = regex.compile(r"\S+")
_CAPITALISED = regex.compile(r"^[\"'(]?\p{Lu}[\p{L}\p{M}'’./-]*[.,)]?$")
_CJK = regex.compile(r"^[\p{Han}\p{Hiragana}\p{Katakana}ー々ヶ]+$")
_CODE = regex.compile(r"^\(?[A-Z]{2,4}\)?\.?$")
_NUMBERISH = regex.compile(r"^(?=.*\d)[\p{L}\d/ºª°#.-]{1,10}$")
_LETTER_PREFIXED_CODE = regex.compile(r"^\p{L}{2,}-")
_LOWER_WORD = regex.compile(r"^\p{Ll}[\p{L}\p{M}'’.-]{0,15}$")
_DATE = regex.compile(r"^(?:\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4})$")
#: Argentina's postcode: a province letter, four digits, three letters ("C1193AAE").
_ARGENTINE_CPA = regex.compile(r"^[A-Z]\d{4}[A-Z]{3}$")
#: Norwegian flat numbers ("H0402": floor letter and flat) and similar letter + 4 digits unit codes.
_LETTER_FLAT = regex.compile(r"^[A-Z]\d{4}$")
_MAX_CODE_LETTERS = 3
#: Words of a place name after a postcode in the anchor's own part ("8000 aarhus c", "2514 ed den haag").
_PLACE_WORDS_AFTER_POSTCODE = 3
#: Capitalised place words right after a street line in its own part ("… m. 15 Warszawa", "… 4º izq Madrid").
_PLACE_WORDS_AFTER_STREET = 2
_MAX_MIXED_TOKEN = 4


class AddressExtent:
    """Extends anchor spans over the address parts around them (module doc)."""

    def __init__(
        self,
        *,
        particles: Iterable[str],
        common_words: Iterable[str],
        abbreviations: Iterable[str],
        units: Iterable[str] = (),
    ) -> None:
        self._particles = frozenset(p.casefold() for p in particles)
        self._units = frozenset(u.casefold().rstrip(".:") for u in units)
        self._common = frozenset(w.casefold() for w in common_words) - self._particles
        self._abbreviations = frozenset(a.casefold().rstrip(".") for a in abbreviations)

    def _part_end(self, text: str, start: int) -> int:
        """Where the part starting at ``start`` ends; a dot after a street abbreviation ("Depto. 209") does not."""
        pos = start
        while True:
            match = _PART_END.search(text, pos)
            if match is None:
                return len(text)
            if match.group() == "." and self._abbreviated(text, match.start()):
                pos = match.end()
                continue
            return match.start()

    def _abbreviated(self, text: str, dot: int) -> bool:
        word = _WORD_BEFORE_DOT.search(text, 0, dot)
        if word is None:
            return False
        folded = word.group().casefold()
        # "Depto. 209", "Co. Galway", "2. tv." (a Danish floor): no sentence ends there.
        return folded in self._abbreviations or len(folded) == 1 or (folded.isdigit() and len(folded) <= 2)

    @staticmethod
    def _numberish(token: str) -> bool:
        """A house, unit or postcode number: "1102", "12-2-826", "01310-100", "2º"; with letters only when short
        ("M5V", "2A5", "LA22"), never a code ("FT4271009", "CS-2023") or a date ("8/1", "17.07.2023")."""
        if _ARGENTINE_CPA.match(token) or _LETTER_FLAT.match(token):
            return True
        if not _NUMBERISH.match(token) or _LETTER_PREFIXED_CODE.match(token) or _DATE.match(token):
            return False
        letters = sum(c.isalpha() for c in token)
        return letters == 0 or (letters <= _MAX_CODE_LETTERS and len(token) <= _MAX_MIXED_TOKEN)

    def _kind(self, token: str) -> str | None:
        """``"number"``, ``"unit"``, ``"capital"``, ``"particle"``, ``"lower"`` or None (not an address token)."""
        bare = token.strip(",.")
        if not bare:
            return None
        folded = bare.casefold()
        if self._numberish(bare):
            return "number"
        if folded.rstrip(".:") in self._units:
            return "unit"  # "depto", "apto.", "Torre", "izq": an address word in any case
        if folded in self._particles or (bare != token and bare[0].islower() and folded in self._abbreviations):
            return "particle"  # "de", "van"; "tv." of a Danish floor
        if folded in self._common:
            return None
        if _CODE.match(bare) or _CJK.match(bare) or _CAPITALISED.match(bare):
            return "capital"
        return "lower" if _LOWER_WORD.match(bare) else None

    def _valid_tokens(self, tokens: list[regex.Match[str]], *, from_end: bool) -> list[regex.Match[str]]:
        """The longest run of address tokens at the start (or end) of a part. Lower-case words count only in a
        part that holds a number and no capitalised word ("22648 barthelemy", not "23898 Güstrow schicken")."""
        kinds = [self._kind(t.group()) for t in tokens]
        lower_ok = "number" in kinds and "capital" not in kinds
        pairs = list(zip(tokens, kinds, strict=True))
        if from_end:
            pairs.reverse()
        kept = []
        for token, kind in pairs[:MAX_PART_TOKENS]:
            if kind is None or (kind == "lower" and not lower_ok):
                break
            kept.append((token, kind))
        while kept and kept[-1][1] == "particle":  # a particle needs a word after it ("on 8/1" is no address)
            kept.pop()
        out = [t for t, _ in kept]
        return list(reversed(out)) if from_end else out

    def forward(self, text: str, end: int) -> int:
        """The end of the address whose anchor ends at ``end``: the rest of its own part when that is a place and
        a postcode ("… D: 7 Kadıköy/İstanbul 34728"), then the parts after."""
        if text[end : end + 1] in (" ", "\t"):
            stop = min(self._part_end(text, end), end + _MAX_PART_CHARS)
            tokens = list(_TOKEN.finditer(text, end, stop))
            kept = self._valid_tokens(tokens, from_end=False)
            kinds = [self._kind(t.group()) for t in kept]
            numbers = [i for i, kind in enumerate(kinds) if kind == "number"]
            places = 0
            while places < min(len(kinds), _PLACE_WORDS_AFTER_STREET) and kinds[places] == "capital":
                places += 1
            if places and not numbers:
                # "ul. Marszałkowska 84/92 m. 15 Warszawa kod …": the city right after the street, in its part.
                end = kept[places - 1].end()
            elif numbers and numbers[-1] > 0:
                # Up to the last postcode-like number and the place words right after it: "… 1 tv 8000 aarhus c",
                # "london e8 2nd" (then "buzzer …" is left).
                last = numbers[-1]
                while last + 1 < len(kept) and last + 1 - numbers[-1] <= _PLACE_WORDS_AFTER_POSTCODE:
                    last += 1
                end = kept[last].end()
        for _ in range(MAX_PARTS):
            sep = _SEPARATOR_AFTER.match(text, end)
            if sep is None:
                return end
            stop = self._part_end(text, sep.end())
            if stop - sep.end() > _MAX_PART_CHARS:
                stop = sep.end() + _MAX_PART_CHARS
            tokens = list(_TOKEN.finditer(text, sep.end(), stop))
            kept = self._valid_tokens(tokens, from_end=False)
            if not kept:
                return end
            end = kept[-1].end()
            while end > 0 and text[end - 1] in ",.":
                end -= 1
            if len(kept) < len(tokens):
                return end
        return end

    def _part_start(self, text: str, end: int) -> tuple[int, bool]:
        """Where the part ending at ``end`` starts (at most ``_MAX_PART_CHARS`` back), and whether a separator or
        sentence end bounds it there; a dot after an abbreviation ("Co. Galway") bounds nothing."""
        low = max(0, end - _MAX_PART_CHARS)
        found = None
        for match in _BOUNDARY.finditer(text, low, end):
            if match.group().startswith(".") and self._abbreviated(text, match.start()):
                continue
            found = match
        if found is None:
            return low, low == 0
        return found.end(), True

    def backward(self, text: str, start: int, *, within_part: bool = False) -> int:
        """The start of the address whose anchor starts at ``start``: the parts before it, and with
        ``within_part`` (an anchor that is a postcode, which follows its city) first the address words before it
        in its own part ("Ballymore, Co. Galway H91 K7P2": "Co. Galway")."""
        if within_part and text[start - 1 : start].isspace():
            part_start, _ = self._part_start(text, start)
            tokens = list(_TOKEN.finditer(text, part_start, start))
            kept = self._valid_tokens(tokens, from_end=True)
            if kept:
                start = kept[0].start()
                if len(kept) < len(tokens):
                    return start
        for _ in range(MAX_PARTS):
            sep = _SEPARATOR_BEFORE.search(text, 0, start)
            if sep is None:
                return start
            part_start, bounded = self._part_start(text, sep.start())
            tokens = list(_TOKEN.finditer(text, part_start, sep.start()))
            kept = self._valid_tokens(tokens, from_end=True)
            if not kept:
                return start
            start = kept[0].start()
            if len(kept) < len(tokens) or not bounded:
                return start
        return start
