"""Phone numbers read out in words: "six four six five five five zero one nine nine", "oh seven seven double oh",
"nueve seis ocho dos dos 1174", "onze nove sete três um oito meia meia zero dois", "nine one seven, twenty one
thirty", "sıfır beş yüz otuz iki, dört yüz on sekiz".

Voice-to-text and careful customers spell numbers out, in their own language, and often switch to figures half
way; no digit-based recogniser sees them. A run of number words and short digit groups that stands for at least
seven digits, three of them as words, is a phone number: ordinary sentences do not hold seven number words in a
row. Number words are read in English, Spanish, Portuguese, French, Italian, German and Turkish ("oh" and "o" are
zeros, "meia" is a six in Brazil); "double"/"triple" ("doble", "duplo") repeat the next digit. Groups read as
numbers count their digits by position: a teen is two digits, a tens word two with the unit after it filling the
second ("twenty one" = 21), a hundreds word two more that the tens and units after it fill ("dört yüz on sekiz" =
418). Turkish "on" (ten) counts only inside a run: in English it is a preposition.
"""

from __future__ import annotations

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.recognizers.rule import RuleRecognizer

__all__ = ["SpelledPhoneRecognizer"]

ENTITY = "PHONE_NUMBER"
# fmt: off
#: Digit words and how many digits each stands for.
_ONE_DIGIT = (
    "zero", "oh", "o", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "cero", "uno", "una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
    "um", "uma", "dois", "duas", "três", "quatro", "meia", "sete", "oito", "nove",
    "zéro", "un", "une", "deux", "trois", "quatre", "cinq", "sept", "huit", "neuf",
    "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "null", "eins", "zwei", "drei", "vier", "fünf",
    "sechs", "sieben", "acht", "neun",
)
_TWO_DIGITS = ("once", "onze", "doce", "doze")
#: Numbers of two digits said as one word.
_TEENS = (
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "diez", "trece", "catorce", "quince", "dieciséis", "dieciseis", "diecisiete", "dieciocho", "diecinueve",
    "dez", "treze", "catorze", "quatorze", "quinze", "dezesseis", "dezessete", "dezoito", "dezenove",
    "dix", "treize", "seize", "dieci", "undici", "dodici", "tredici", "quattordici", "quindici", "sedici",
    "diciassette", "diciotto", "diciannove", "zehn", "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn",
    "sechzehn", "siebzehn", "achtzehn", "neunzehn",
)
#: Tens: two digits, the second filled by a unit that follows ("twenty one", "yetmiş yedi").
_TENS = (
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "veinte", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa",
    "vinte", "trinta", "quarenta", "cinquenta", "sessenta", "oitenta",
    "vingt", "trente", "quarante", "cinquante", "soixante", "venti", "trenta", "quaranta", "sessanta",
    "settanta", "ottanta", "novanta", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig",
    "achtzig", "neunzig", "yirmi", "otuz", "kırk", "elli", "altmış", "yetmiş", "seksen", "doksan",
)
#: Hundreds: two more digits, filled by the tens and units that follow ("five hundred thirty two").
_HUNDREDS = ("hundred", "cien", "ciento", "cem", "cento", "cent", "hundert", "yüz")
#: Turkish units (the other languages' are in ``_ONE_DIGIT``).
_TURKISH_UNITS = ("sıfır", "bir", "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz")
#: Number words only inside a run: Turkish "on" (ten) is also an English preposition.
_INNER_TENS = ("on",)
_REPEAT = {"double": 2, "triple": 3, "doble": 2, "duplo": 2, "dupla": 2}
# fmt: on
_DIGITS = {**dict.fromkeys((*_ONE_DIGIT, *_TURKISH_UNITS), 1), **dict.fromkeys(_TWO_DIGITS, 2)}
_TEEN_WORDS = frozenset(_TEENS)
_TENS_WORDS = frozenset((*_TENS, *_INNER_TENS))
_HUNDRED_WORDS = frozenset(_HUNDREDS)
_WORD = "|".join(sorted((*_DIGITS, *_TEENS, *_TENS, *_HUNDREDS, *_REPEAT), key=len, reverse=True))
_INNER_WORD = "|".join((_WORD, *_INNER_TENS))
_TOKEN = rf"(?:(?i:{_WORD})(?![\p{{L}}\d])|\d{{1,4}}(?![\p{{L}}\d]))"
_INNER = rf"(?:(?i:{_INNER_WORD})(?![\p{{L}}\d])|\d{{1,4}}(?![\p{{L}}\d]))"
_RUN = regex.compile(rf"(?<![\p{{L}}\d]){_TOKEN}(?:[ \t,.-]+{_INNER})+")
_TOKENS = regex.compile(rf"(?i:{_INNER_WORD})(?![\p{{L}}])|\d+|,")
_MIN_DIGITS = 7
_MIN_WORDS = 3


def _digits(run: str) -> tuple[int, int]:
    """(digits, number words) that ``run`` stands for. ``open_slots`` are the positions a tens or hundreds word
    opened that the words after it fill; a comma (a pause between groups) closes them."""
    digits = words = open_slots = 0
    repeat = 1
    for token in _TOKENS.findall(run):
        folded = token.casefold()
        if token == ",":
            open_slots = 0
            continue
        if folded in _REPEAT:
            repeat = _REPEAT[folded]
            continue
        if token.isdigit():
            digits += len(token)
            open_slots = 0
        else:
            words += 1
            if folded in _HUNDRED_WORDS:
                digits += 2
                open_slots = 2
            elif folded in _TENS_WORDS:
                digits += 0 if open_slots >= 2 else 2
                open_slots = 1
            elif folded in _TEEN_WORDS:
                digits += 0 if open_slots >= 2 else 2
                open_slots = 0
            elif open_slots:
                open_slots = 0  # a unit filling the last open position
            else:
                digits += _DIGITS[folded] * repeat
        repeat = 1
    return digits, words


class SpelledPhoneRecognizer(RuleRecognizer):
    """PHONE_NUMBER for runs of digit words (module doc)."""

    SCORE = 0.6

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(entities=[ENTITY], name="SpelledPhoneRecognizer", language=language)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        return [
            self.finding(ENTITY, m.start(), m.end(), self.SCORE, "digits spelled out")
            for m in _RUN.finditer(text)
            if _spelled_phone(m.group())
        ]


def _spelled_phone(run: str) -> bool:
    digits, words = _digits(run)
    return digits >= _MIN_DIGITS and words >= _MIN_WORDS
