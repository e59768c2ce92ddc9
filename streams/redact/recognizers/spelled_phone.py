"""Phone numbers read out in words: "six four six five five five zero one nine nine", "oh seven seven double oh".

Voice-to-text and careful customers spell numbers out; no digit-based recogniser sees them. Seven or more digit
words in a row ("zero" .. "nine", "oh", with "double"/"triple" before a digit) are a phone number: ordinary
sentences do not hold seven number words in a row.
"""

from __future__ import annotations

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

__all__ = ["SpelledPhoneRecognizer"]

ENTITY = "PHONE_NUMBER"
_DIGIT_WORD = r"(?:zero|oh|o|one|two|three|four|five|six|seven|eight|nine)"
_MIN_WORDS = 7
_RUN = regex.compile(
    rf"(?<![\p{{L}}])(?i:(?:(?:double|triple)[ \t,-]+)?{_DIGIT_WORD}(?:[ \t,-]+(?:(?:double|triple)[ \t,-]+)?"
    rf"{_DIGIT_WORD}){{{_MIN_WORDS - 1},}})(?![\p{{L}}])"
)


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
        ]
