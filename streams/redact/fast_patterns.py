"""Presidio's pattern loop without its per-pattern bookkeeping, for the ``PatternRecognizer`` subclasses we use.

``PatternRecognizer.analyze`` takes two wall-clock readings and writes a debug log line for every pattern of
every text, even when the pattern finds nothing, which is almost always: on chat traffic that bookkeeping cost
more than the regular expressions themselves. ``pattern_results`` follows the same steps in the same order
(compiled patterns with the recogniser's flags, empty matches skipped, ``validate_result`` lifting the score to
the maximum or dropping it to the minimum, ``invalidate_result`` dropping it, results above the minimum kept,
``remove_duplicates``), so every result is the one Presidio's loop returns
(``tests/unit/streams/test_redact_fast_patterns.py`` compares them on the corpora).
"""

from __future__ import annotations

import regex
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.pattern_recognizer import REGEX_TIMEOUT_SECONDS

__all__ = ["has_plain_pattern_loop", "pattern_results"]


def has_plain_pattern_loop(recognizer: EntityRecognizer) -> bool:
    """True for a ``PatternRecognizer`` that uses Presidio's pattern loop as it is (no own ``analyze``)."""
    return isinstance(recognizer, PatternRecognizer) and type(recognizer).analyze is PatternRecognizer.analyze


def _compiled(recognizer: PatternRecognizer) -> list[tuple[object, regex.Pattern[str]]]:
    cache = recognizer.__dict__.get("_cxpulse_compiled")
    if cache is None:
        flags = recognizer.global_regex_flags
        cache = [(p, regex.compile(p.regex, flags=flags)) for p in recognizer.patterns]
        recognizer.__dict__["_cxpulse_compiled"] = cache
    return cache


def pattern_results(recognizer: PatternRecognizer, text: str) -> list[RecognizerResult]:
    """What ``recognizer.analyze(text, ...)`` returns (module doc), without the per-pattern bookkeeping."""
    results: list[RecognizerResult] = []
    entity = recognizer.supported_entities[0]
    for pattern, compiled in _compiled(recognizer):
        try:
            for match in compiled.finditer(text, timeout=REGEX_TIMEOUT_SECONDS):
                _add(recognizer, entity, pattern, match, text, results)
        except TimeoutError:
            continue  # as Presidio: the rest of a pattern that times out is skipped
    return EntityRecognizer.remove_duplicates(results)


def _add(
    recognizer: PatternRecognizer,
    entity: str,
    pattern: object,
    match: regex.Match[str],
    text: str,
    results: list[RecognizerResult],
) -> None:
    start, end = match.span()
    current = text[start:end]
    if current == "":
        return
    score = pattern.score  # type: ignore[attr-defined]
    validation = recognizer.validate_result(current)
    if validation is not None:
        score = EntityRecognizer.MAX_SCORE if validation else EntityRecognizer.MIN_SCORE
    if recognizer.invalidate_result(current):
        score = EntityRecognizer.MIN_SCORE
    if score <= EntityRecognizer.MIN_SCORE:
        return
    explanation = AnalysisExplanation(
        recognizer=recognizer.name,
        original_score=pattern.score,  # type: ignore[attr-defined]
        pattern_name=pattern.name,  # type: ignore[attr-defined]
        validation_result=validation,
    )
    explanation.score = score
    results.append(
        RecognizerResult(
            entity_type=entity,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
            },
        )
    )
