"""Phone numbers read out in words: "six four six five five five zero one nine nine", "oh seven seven double oh",
"nueve seis ocho dos dos 1174", "onze nove sete três um oito meia meia zero dois".

Voice-to-text and careful customers spell numbers out, in their own language, and often switch to figures half
way; no digit-based recogniser sees them. A run of digit words and short digit groups that holds at least seven
digits, three of them as words, is a phone number: ordinary sentences do not hold seven number words in a row.
Digit words are read in English, Spanish, Portuguese, French, Italian and German ("oh" and "o" are zeros, "meia"
is a six in Brazil, "once"/"onze" and "doce"/"doze" are two digits); "double"/"triple" ("doble", "duplo")
repeat the next digit.
"""

from __future__ import annotations

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

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
_REPEAT = {"double": 2, "triple": 3, "doble": 2, "duplo": 2, "dupla": 2}
# fmt: on
_DIGITS = {**dict.fromkeys(_ONE_DIGIT, 1), **dict.fromkeys(_TWO_DIGITS, 2)}
_WORD = "|".join(sorted((*_DIGITS, *_REPEAT), key=len, reverse=True))
_TOKEN = rf"(?:(?i:{_WORD})(?![\p{{L}}\d])|\d{{1,4}}(?![\p{{L}}\d]))"
_RUN = regex.compile(rf"(?<![\p{{L}}\d]){_TOKEN}(?:[ \t,.-]+{_TOKEN})+")
_TOKENS = regex.compile(rf"(?i:{_WORD})|\d+")
_MIN_DIGITS = 7
_MIN_WORDS = 3


def _digits(run: str) -> tuple[int, int]:
    """(digits, digit words) that ``run`` stands for."""
    digits = words = 0
    repeat = 1
    for token in _TOKENS.findall(run):
        folded = token.casefold()
        if folded in _REPEAT:
            repeat = _REPEAT[folded]
            continue
        if token.isdigit():
            digits += len(token)
        else:
            digits += _DIGITS[folded] * repeat
            words += 1
        repeat = 1
    return digits, words


class SpelledPhoneRecognizer(LocalRecognizer):
    """PHONE_NUMBER for runs of digit words (module doc)."""

    SCORE = 0.6

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(
            supported_entities=[ENTITY], supported_language=language, name="SpelledPhoneRecognizer", context=[]
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        return [
            RecognizerResult(
                entity_type=ENTITY,
                start=m.start(),
                end=m.end(),
                score=self.SCORE,
                analysis_explanation=AnalysisExplanation(
                    recognizer=self.name, original_score=self.SCORE, textual_explanation="digits spelled out"
                ),
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for m in _RUN.finditer(text)
            if _spelled_phone(m.group())
        ]


def _spelled_phone(run: str) -> bool:
    digits, words = _digits(run)
    return digits >= _MIN_DIGITS and words >= _MIN_WORDS
