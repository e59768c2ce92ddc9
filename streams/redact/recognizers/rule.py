"""The base of our rule recognisers: nothing to load, and every finding says which rule found it and why.

Presidio's ``LocalRecognizer`` leaves ``load`` and the construction of a ``RecognizerResult`` (explanation and
recogniser metadata, which the audit and the post-filter read) to each recogniser; written out in each, they
were the same dozen lines every time.
"""

from __future__ import annotations

from collections.abc import Iterable

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, LocalRecognizer, RecognizerResult

__all__ = ["RuleRecognizer", "rule_finding"]


class RuleRecognizer(LocalRecognizer):
    """A recogniser of text rules (regular expressions, word tables) for ``entities``."""

    def __init__(self, *, entities: Iterable[str], name: str, language: str = "en") -> None:
        super().__init__(supported_entities=list(entities), supported_language=language, name=name, context=[])

    def load(self) -> None:
        """Nothing to load: the rules are module-level tables and patterns."""

    def finding(self, entity: str, start: int, end: int, score: float, why: str) -> RecognizerResult:
        """A finding of ``entity`` at ``[start, end)``, explained by ``why`` and named after this recogniser."""
        return rule_finding(self, entity, start, end, score, why)


def rule_finding(
    recognizer: EntityRecognizer, entity: str, start: int, end: int, score: float, why: str
) -> RecognizerResult:
    """A finding of ``entity`` by ``recognizer`` (any recogniser of ours, also the ones Presidio's classes shape),
    explained by ``why``."""
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        analysis_explanation=AnalysisExplanation(
            recognizer=recognizer.name, original_score=score, textual_explanation=why
        ),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )
