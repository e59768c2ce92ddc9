"""Addresses, postcodes and birth dates read out in words, as voice-to-text writes them: "forty two eleven north
cedar avenue apartment six", "my zip is nine oh two one oh", "born march fourteenth seventy nine".

Why: a call transcript posted into a conversation spells every number out, so no digit-based recogniser (street
lines, postcodes, birth dates) sees them. ``spelled_phone.py`` covers phone numbers; this covers the rest, in
English, the language of the speech-to-text engines our customers use for calls:

- **street line**: two or more number words, an optional direction, one to three words and a street suffix
  ("two fifteen elm street"), with a unit and its number after it ("apartment six"). One number word alone
  ("one way street") is no house number;
- **postcode**: a postcode word ("zip", "zip code", "postal code", "postcode") and, within two words, a run of
  digit words that stands for five digits or more ("nine oh two one oh"); or, right after its town, spelled
  capitals and a digit word or four digit words ("Dundee D D one", "Christchurch eight oh one one");
- **birth date**: a birth word ("born", "birthday", "date of birth", "dob") and, within three words, a month
  name, a day (an ordinal word or a number) and a year in words ("april fourth nineteen ninety").
"""

from __future__ import annotations

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.recognizers.rule import RuleRecognizer
from streams.redact.recognizers.street_words import DIRECTIONALS, LOWERCASE_SAFE_SUFFIXES, SUFFIXES, UNIT_DESIGNATORS

__all__ = ["SpokenDetailsRecognizer", "might_hold_spoken_number"]

# fmt: off
_DIGIT_WORDS: dict[str, int] = {
    "zero": 1, "oh": 1, "o": 1, "one": 1, "two": 1, "three": 1, "four": 1, "five": 1, "six": 1, "seven": 1,
    "eight": 1, "nine": 1,
}
#: Number words that say two digits or more ("forty", "eleven", "hundred"): spoken house numbers and years.
_WIDE_WORDS: dict[str, int] = {
    "ten": 2, "eleven": 2, "twelve": 2, "thirteen": 2, "fourteen": 2, "fifteen": 2, "sixteen": 2, "seventeen": 2,
    "eighteen": 2, "nineteen": 2, "twenty": 2, "thirty": 2, "forty": 2, "fifty": 2, "sixty": 2, "seventy": 2,
    "eighty": 2, "ninety": 2, "hundred": 2, "thousand": 3,
}
_ORDINALS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
    "twentieth", "thirtieth",
)
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december",
)
_POSTCODE_WORDS = ("zip code", "zipcode", "zip", "postal code", "postcode", "post code")
_BIRTH_WORDS = ("date of birth", "birth date", "birthdate", "birthday", "born", "dob", "d o b")
# fmt: on
_REPEAT = ("double", "triple")
_S = r"[ \t,-]+"


def _alternation(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(regex.escape(w).replace(r"\ ", r"[ \t]+") for w in sorted(set(words), key=len, reverse=True))


_NUMBER_WORD = rf"(?:{_alternation([*_DIGIT_WORDS, *_WIDE_WORDS])})(?![\p{{L}}\d])"
_NUMBER_RUN = rf"{_NUMBER_WORD}(?:{_S}(?:and{_S})?{_NUMBER_WORD})*"
_DIGIT_RUN = rf"(?:(?:{_alternation(_REPEAT)}){_S})?(?:{_alternation(list(_DIGIT_WORDS))}|\d)(?![\p{{L}}\d])"
_LOWER_WORD = r"\p{Ll}[\p{Ll}'’-]*"
_CAPITAL_WORD = r"\p{Lu}[\p{L}'’-]*"
#: "flat four, …", "unit three …", "house number twenty-one, …", "number nine …": a unit or house number first.
_LEADING_UNIT = (
    rf"(?:(?:flat|apartment|apt|unit|suite|house{_S}number|house|plot{_S}number|plot|number){_S}{_NUMBER_RUN}"
    rf"(?:{_S}[a-z])?(?![\p{{L}}\d])[,.]?{_S})"
)
#: The house number: number words, a letter ("twelve B"), a second number after "stroke"/"dash" ("3/15").
_HOUSE_NUMBER = rf"{_NUMBER_RUN}(?:{_S}[A-Za-z](?![\p{{L}}\d]))?(?:{_S}(?:stroke|slash|dash){_S}{_NUMBER_RUN})?"
_DIRECTION = rf"(?:{_alternation([*DIRECTIONALS, 'northeast', 'northwest', 'southeast', 'southwest'])})"
_TRAILING_UNIT = rf"(?:,?{_S}(?:{_alternation(UNIT_DESIGNATORS)}){_S}(?:number{_S})?{_NUMBER_RUN})?"
#: Spoken in lower case: two number words or more and a suffix that is no everyday word.
_STREET_LINE = regex.compile(
    rf"(?i)(?<![\p{{L}}\d])(?P<unit>{_LEADING_UNIT})?(?P<number>{_HOUSE_NUMBER}){_S}(?:{_DIRECTION}{_S})?"
    rf"(?:{_LOWER_WORD}{_S}){{1,3}}(?:{_alternation(LOWERCASE_SAFE_SUFFIXES)})(?![\p{{L}}\d])"
    rf"(?:{_S}{_DIRECTION}(?![\p{{L}}\d]))?{_TRAILING_UNIT}"
)
#: Transcribed with a capitalised street name ("fourteen Commercial Street", "twenty two Marine Parade"): one
#: number word is enough, any street suffix; after a unit no house number is needed ("unit five, block B,
#: Gasworks Lane").
_NAMED_STREET_LINE = regex.compile(
    rf"(?<![\p{{L}}\d])(?:(?P<unit>(?i:{_LEADING_UNIT}))(?:(?i:block){_S}[A-Z](?![\p{{L}}\d])[,.]?{_S})?"
    rf"|(?P<unit>(?i:{_LEADING_UNIT}))?(?P<number>(?i:{_HOUSE_NUMBER})){_S})"
    rf"(?:{_CAPITAL_WORD}{_S}){{1,3}}(?i:{_alternation(SUFFIXES)})(?![\p{{L}}\d])"
    rf"(?:{_S}(?i:{_DIRECTION})(?![\p{{L}}\d]))?(?i:{_TRAILING_UNIT})"
)
_POSTCODE = regex.compile(
    rf"(?i)(?<![\p{{L}}])(?:{_alternation(_POSTCODE_WORDS)})(?:{_S}\p{{L}}+){{0,2}}?{_S}"
    rf"(?P<code>{_DIGIT_RUN}(?:{_S}{_DIGIT_RUN}){{2,9}})"
)
#: A postcode read out right after its town: "Christchurch eight oh one one", "Dundee D D one", "Falkirk F K
#: one". Spelled capitals and a digit word, or four digit words or more; the town is a capitalised word before it.
_DIGIT_WORD = rf"(?i:{_alternation(list(_DIGIT_WORDS))})(?![\p{{L}}\d])"
_POSTCODE_AFTER_TOWN = regex.compile(
    rf"(?<=(?<![\p{{L}}])\p{{Lu}}\p{{Ll}}[\p{{L}}'’-]*,?[ \t]+)"
    rf"(?:[A-Z][ \t]){{1,2}}{_DIGIT_WORD}(?:[ \t]+{_DIGIT_WORD})*"
    rf"|(?<=(?<![\p{{L}}])\p{{Lu}}\p{{Ll}}[\p{{L}}'’-]*,?[ \t]+){_DIGIT_WORD}(?:[ \t]+{_DIGIT_WORD}){{3,7}}"
)
_DAY = rf"(?:(?:twenty|thirty)[ \t-]+)?(?:{_alternation(_ORDINALS)})|\d{{1,2}}(?:st|nd|rd|th)?"
_MONTH = rf"(?:{_alternation(_MONTHS)})"
_SPOKEN_DATE = (
    rf"{_MONTH}{_S}(?:the{_S})?(?:{_DAY})(?:{_S}of)?{_S}{_NUMBER_RUN}"  # "april fourth nineteen ninety"
    rf"|(?:the{_S})?(?:{_DAY}){_S}of{_S}{_MONTH}{_S}{_NUMBER_RUN}"  # "the third of March nineteen eighty seven"
    rf"|{_NUMBER_WORD}(?:{_S}(?:and{_S})?{_NUMBER_WORD}){{2,}}"  # "nine eleven two thousand and one"
)
_BIRTH_DATE = regex.compile(
    rf"(?i)(?<![\p{{L}}])(?:{_alternation(_BIRTH_WORDS)})(?:{_S}\p{{L}}+){{0,3}}?{_S}(?P<date>{_SPOKEN_DATE})"
)
_WORD = regex.compile(r"\p{L}+")
_NUMBER_WORDS = regex.compile(rf"(?i)(?<![\p{{L}}]){_NUMBER_WORD}")
_MIN_HOUSE_NUMBER_WORDS = 2
#: Number words that are also articles: "one Customer Service Center" is no house number.
_DETERMINERS = frozenset({"one", "o", "oh"})
_MIN_POSTCODE_DIGITS = 5


def might_hold_spoken_number(text: str) -> bool:
    """The gate: every pattern holds a number word."""
    return _NUMBER_WORDS.search(text) is not None


def _digits(run: str) -> int:
    repeat, count = 1, 0
    for word in _WORD.findall(run.casefold()):
        if word in _REPEAT:
            repeat = 2 if word == "double" else 3
            continue
        count += repeat
        repeat = 1
    return count + sum(c.isdigit() for c in run)


class SpokenDetailsRecognizer(RuleRecognizer):
    """STREET_ADDRESS, LOCATION (postcodes) and DATE_OF_BIRTH read out in words (module doc)."""

    SCORE = 0.6
    ENTITIES = ("STREET_ADDRESS", "LOCATION", "DATE_OF_BIRTH")

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(entities=self.ENTITIES, name="SpokenDetailsRecognizer", language=language)

    def _result(self, entity: str, start: int, end: int, why: str) -> RecognizerResult:
        return self.finding(entity, start, end, self.SCORE, why)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        if "STREET_ADDRESS" in entities:
            for m in _STREET_LINE.finditer(text):
                if len(_NUMBER_WORDS.findall(m.group("number"))) >= _MIN_HOUSE_NUMBER_WORDS:
                    results.append(self._result("STREET_ADDRESS", m.start(), m.end(), "street line in words"))
            results.extend(
                self._result("STREET_ADDRESS", m.start(), m.end(), "named street in words")
                for m in _NAMED_STREET_LINE.finditer(text)
                if m.group("unit") or (m.group("number") or "").strip(" \t,-").casefold() not in _DETERMINERS
            )
        if "LOCATION" in entities:
            for m in _POSTCODE.finditer(text):
                if _digits(m.group("code")) >= _MIN_POSTCODE_DIGITS:
                    results.append(self._result("LOCATION", *m.span("code"), "postcode in words"))
            results.extend(
                self._result("LOCATION", m.start(), m.end(), "postcode in words after its town")
                for m in _POSTCODE_AFTER_TOWN.finditer(text)
            )
        if "DATE_OF_BIRTH" in entities:
            results.extend(
                self._result("DATE_OF_BIRTH", *m.span("date"), "birth date in words")
                for m in _BIRTH_DATE.finditer(text)
            )
        return results
