"""Street addresses in the orders people write them: "221B Baker Street", "Flat 3, 12 Acacia Avenue", "12, rue de
Rivoli", "Calle Mayor 5", "Via Roma, 12", "ul. Kwiatowa 12/4", "Hauptstraße 5", "Keizersgracht 123",
"東京都千代田区丸の内1丁目2番3号", plus the postcode-and-city line that follows them ("75001 Paris", "SW1A 1AA").

spaCy's small model finds cities, not house numbers, and no single library covers these formats (``usaddress``
parses one known US address; ``pyap`` detects US/CA/GB only: ``bench/address_libraries.py`` measures both
against this recogniser). The word tables are postal standards (``street_words.py``); the patterns are the
orders those standards use:

1. house number + street words + suffix ("1600 Pennsylvania Avenue NW", "987 Anderson Union Apt. 4"), also led
   by a unit ("Flat 32 90 Sanders End") or with the unit instead of a number ("Studio 3\\nTucker Burg");
2. house number + street type + name ("9, avenue Gilles Jourdan");
3. street type + name + house number ("Calle de Alcalá, 23", "aleja Skargi 13/24"), or without the number where
   the type is no English word ("rue de Rivoli");
4. compound or two-word street name + number ("Hans-Gerhard-Steuer-Ring 818", "Berliner Straße 5", "Am Markt 3");
5. Japanese block addresses (chōme / ban / gō, in kanji or romanised);
6. postcodes with their city, in the formats of the countries above.

Street words must be capitalised unless the suffix is no ordinary English word ("12 baker street" is an address,
"3 day pass" is not), and compound names that are English words ("Offering 2", "Keypad 3") are rejected.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

from streams.redact.recognizers.street_words import (
    COMPOUND_ENDINGS,
    COUNTER_WORDS,
    DIRECTIONALS,
    LOWERCASE_SAFE_SUFFIXES,
    NAME_PARTICLES,
    NOT_STREET_NAMES,
    PREFIX_TYPES,
    PREFIX_TYPES_WITHOUT_NUMBER,
    SUFFIXES,
    UNIT_DESIGNATORS,
)

__all__ = ["ENTITY", "StreetAddressRecognizer", "might_hold_address"]

ENTITY = "STREET_ADDRESS"


def _alternation(words: tuple[str, ...]) -> str:
    """Longest first, so the regex prefers "de la" to "de"; spaces inside a phrase match any run of spaces."""
    return "|".join(regex.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True))


_SUFFIX = _alternation(SUFFIXES)
_LOWER_SUFFIX = _alternation(LOWERCASE_SAFE_SUFFIXES)
_UNIT = _alternation(UNIT_DESIGNATORS)
_DIRECTION = _alternation(DIRECTIONALS)
_PARTICLE = _alternation(NAME_PARTICLES)
_PREFIX = _alternation(PREFIX_TYPES)
_PREFIX_ALONE = _alternation(PREFIX_TYPES_WITHOUT_NUMBER)
_ENDING = _alternation(COMPOUND_ENDINGS)
#: After a street type, a word that makes the phrase English ("via Email 2 times").
_NOT_NAME = rf"(?!(?i:{_alternation(NOT_STREET_NAMES)})(?![\p{{L}}\d]))"
_COUNTERS = frozenset(COUNTER_WORDS)
_WORD_BEFORE = regex.compile(r"([\p{L}]+)[ \t]*[#:]?[ \t]*$")
_GATE = regex.compile(rf"\d|(?<![\p{{L}}])(?i:{_PREFIX_ALONE})(?![\p{{L}}])")
_S = r"[ \t\u00a0]"
#: A capitalised street word ("Baker", "O'Connell", "Saint-Germain", "St.") or an ordinal ("5th", "42nd").
_WORD = r"(?:\p{Lu}[\p{L}\p{M}'’.-]*|\d{1,3}(?:st|nd|rd|th|e|er|ª|º)\b)"
_LOWER_WORD = r"\p{Ll}[\p{L}\p{M}'’-]*"
#: Street words, with lower-case particles only between two of them ("Calle de Alcalá", "Via dei Mille").
_WORDS = rf"{_WORD}(?:{_S}+(?:(?:{_PARTICLE}){_S}+)*{_WORD}){{0,4}}"
#: A name that may open with particles ("rue de la Paix": "de la Paix").
_NAME = rf"(?:(?:{_PARTICLE}){_S}*)*{_WORDS}"
#: "221B", "12-14", "98/77", "40-20", "3 bis", "12a": the house number and what people attach to it.
_NUMBER = r"\d{1,6}(?:\p{L}(?![\p{L}\d]))?(?:[-/]\d{1,5}\p{L}?(?![\p{L}\d]))?(?:\s?(?:bis|ter|quater)\b)?"
_NUMBER_START = r"(?<![\p{L}\d.,/#$€£¥₹@+:-])"
_UNIT_TAIL = rf"(?:,?{_S}+(?i:{_UNIT})\.?{_S}*#?{_S}*\d{{1,5}}\p{{L}}?(?![\p{{L}}\d]))?"
_HOUSE_NO_MARK = r"(?:(?i:n[º°o]\.?|nr\.?|no\.?|#)\s*)?"
_KANJI = r"[\p{Han}\p{Hiragana}\p{Katakana}ー々ヶケ]"
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH"
    "|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI|AS|MP|AA|AE|AP|NSW|VIC|QLD|TAS|ACT|NT|SA|"
    "ON|QC|BC|AB|MB|SK|NS|NB|NL|PE|YT|NU"
)
_CITY_WORD = r"\p{Lu}[\p{L}\p{M}'’.-]+"
_CITY = rf"{_CITY_WORD}(?:[ -](?:(?:de|del|la|le|sur|am|an|der|di|do|da|im)[ -])?{_CITY_WORD}){{0,3}}"
_LINE_START = r"(?:(?<=^)|(?<=[,\n;(])[ \t]*|(?<=\n))"

#: English words that end like a compound street name ("Offering", "Keypad", "During"): not streets.
_ENGLISH_LOOKALIKE = regex.compile(
    r"(?:ering|uring|aring|iring|monitoring|authoring|coloring|colouring|scoring|storing|exploring|ignoring|"
    r"restoring|mentoring|tutoring|flooring|boring|mooring|anchoring|honoring|favoring|factoring|sponsoring|"
    r"touring|keypad|notepad|trackpad|launchpad|touchpad|scratchpad|iceberg|newsfeed|brigade|backyard|"
    r"program|instagram|hologram|kilogram|telegram|diagram|amsterdam)$",
    regex.IGNORECASE,
)

_STRONG, _MEDIUM, _WEAK = 0.6, 0.5, 0.3


def might_hold_address(text: str) -> bool:
    """The recogniser's gate: every pattern needs a digit, except a street type that names a street alone."""
    return _GATE.search(text) is not None


class StreetAddressRecognizer(PatternRecognizer):
    """STREET_ADDRESS for the address forms in the module doc; context words ("address", "deliver") lift weak
    matches (a bare postcode and city) over the threshold as Presidio's context enhancer does."""

    PATTERNS = [
        Pattern(
            "number + street + suffix",
            rf"{_NUMBER_START}(?:(?i:{_UNIT})\.?{_S}*\d{{1,5}}\p{{L}}?,?\s+)?{_NUMBER},?{_S}+"
            rf"(?:(?i:{_DIRECTION}){_S}+)?{_WORDS}{_S}+(?i:{_SUFFIX})\b\.?(?:{_S}+(?i:{_DIRECTION})\b)?{_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "number + lower-case street + street suffix",
            rf"{_NUMBER_START}{_NUMBER},?{_S}+(?:{_LOWER_WORD}{_S}+){{1,3}}(?i:{_LOWER_SUFFIX})\b\.?{_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "unit + street + suffix",
            rf"(?<![\p{{L}}\d])(?i:flat|studio|apartment|apt|unit|suite|maisonette)\.?{_S}*\d{{1,5}}\p{{L}}?,?\s+"
            rf"{_WORDS}{_S}+(?i:{_SUFFIX})\b\.?",
            _STRONG,
        ),
        Pattern(
            "number + street type + name",
            rf"{_NUMBER_START}{_NUMBER},?{_S}+(?i:{_PREFIX}){_S}+{_NOT_NAME}{_NAME}",
            _STRONG,
        ),
        Pattern(
            "street type + name + number",
            rf"(?<![\p{{L}}\d])(?i:{_PREFIX}){_S}+{_NOT_NAME}{_NAME},?{_S}+{_HOUSE_NO_MARK}{_NUMBER}(?![\p{{L}}\d])"
            rf"{_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "street type + name, no number",
            rf"(?<![\p{{L}}\d])(?i:{_PREFIX_ALONE}){_S}+{_NOT_NAME}{_NAME}",
            _MEDIUM,
        ),
        Pattern(
            "compound street + number",
            rf"(?<![\p{{L}}\d-])\p{{Lu}}[\p{{L}}\p{{M}}'’-]{{2,}}?(?i:{_ENDING}){_S}+{_HOUSE_NO_MARK}{_NUMBER}(?![\p{{L}}\d])",
            _STRONG,
        ),
        Pattern(
            "two-word street + number",
            rf"(?<![\p{{L}}\d])(?:(?:Am|An der|An den|Auf der|Auf dem|Im|In der|Zum|Zur|Unter den|Alte|Neue|Große|"
            rf"Kleine|Oude|Nieuwe|Korte|Lange)\s+{_WORDS}|\p{{Lu}}[\p{{L}}-]+{_S}+(?:Straße|Strasse|Str\.|Weg|Platz|"
            rf"Allee|Ring|Gasse|Damm|Ufer|Chaussee|Markt|Laan|Straat|Gracht|Kade|Plein|Singel|Dijk|Burgwal|Voorburgwal|"
            rf"Achterburgwal))\s+{_NUMBER}(?![\p{{L}}\d])",
            _STRONG,
        ),
        Pattern(
            "Japanese block address",
            rf"{_KANJI}{{0,16}}?\d{{1,3}}(?:丁目|-)\d{{1,4}}(?:番地?|-)\d{{1,4}}号?"
            rf"|{_KANJI}{{1,16}}?(?:市|区|町|村|郡){_KANJI}{{0,12}}?\d{{1,3}}丁目(?:\d{{1,4}}番地?(?:\d{{1,4}}号?)?)?",
            _STRONG,
        ),
        Pattern(
            "romanised Japanese block address",
            r"(?<![\p{L}\d-])\d{1,2}-(?:ch[oō]me-)?\d{1,4}(?:-\d{1,4})?,?\s+\p{Lu}\p{Ll}+"
            r"(?:-(?:ch[oō]me|cho|machi))?(?:,\s*\p{Lu}\p{Ll}+-(?:ku|shi|cho|machi|gun))?",
            _STRONG,
        ),
        Pattern(
            "UK or Canadian postcode",
            r"(?<![\p{L}\d])(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d)(?![\p{L}\d])",
            _MEDIUM,
        ),
        Pattern(
            "city, state + ZIP",
            rf"{_CITY},?{_S}+(?:{_STATES}),?{_S}+\d{{4,5}}(?:-\d{{4}})?(?!\d)",
            _STRONG,
        ),
        Pattern(
            "postcode + city on its own line",
            rf"{_LINE_START}(?:\d{{5}}|\d{{2}}-\d{{3}}|\d{{4}}{_S}?[A-Z]{{2}}|\d{{5}}-\d{{3}}|\d{{3}}-\d{{4}}),?\s+"
            rf"{_CITY}(?:{_S}*\([A-Z]{{2}}\)|{_S}*/{_S}*[A-Z]{{2}})?",
            _MEDIUM,
        ),
        Pattern(
            "postcode + city",
            rf"(?<![\p{{L}}\d.,$€£-])(?:\d{{5}}|\d{{2}}-\d{{3}}|\d{{4}}{_S}?[A-Z]{{2}}|\d{{5}}-\d{{3}}),?{_S}+{_CITY}",
            _WEAK,
        ),
        Pattern(
            "city + postcode",
            rf"{_CITY}(?:,{_S}*|-)(?:\d{{6}}|\d{{5}}|\d{{3}}-\d{{4}})(?![\p{{L}}\d])",
            _WEAK,
        ),
        Pattern("Japanese postcode", r"〒\s?\d{3}-?\d{4}", _STRONG),
    ]
    CONTEXT = [
        "address", "live", "living", "street", "deliver", "delivery", "ship", "shipping", "send", "apartment", "apt",
        "suite", "flat", "postcode", "zip", "post", "moved", "move", "located", "residence", "home", "billing",
        "adresse", "dirección", "direccion", "endereço", "indirizzo", "adres", "wohnhaft", "anschrift",
    ]  # fmt: skip

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(
            supported_entity=ENTITY,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=language,
            name="StreetAddressRecognizer",
            global_regex_flags=regex.MULTILINE,
        )

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None, regex_flags: int | None = None):
        """Presidio's pattern matching, minus numbers that a counting noun precedes ("Level 3 Support Center")."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in results if not self._counted(text, r.start)]

    @staticmethod
    def _counted(text: str, start: int) -> bool:
        if not text[start : start + 1].isdigit():
            return False
        before = _WORD_BEFORE.search(text, 0, start)
        return before is not None and before.group(1).casefold() in _COUNTERS

    def invalidate_result(self, pattern_text: str) -> bool:
        """A compound "street" that is an English word ("Offering 2") is no address."""
        first = pattern_text.split()[0] if pattern_text.split() else ""
        return bool(_ENGLISH_LOOKALIKE.search(first))
