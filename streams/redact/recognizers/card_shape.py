"""Card numbers that fail the Luhn check: a card number with one digit mistyped is still a card number.

Presidio's ``CreditCardRecognizer`` keeps only numbers whose Luhn checksum holds, so a customer's typo leaks the
other fifteen digits. This recogniser reports every card-shaped run (13-19 digits, plain or in the groups cards
are printed in) that is not glued to a code, an amount or a date: the same shape rules as phone numbers
(``phone.phone_candidates``), and the same identifier words ("order", "tracking") turn it off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.recognizers.phone import ChatPhoneRecognizer, nearest_keyword, phone_candidates

__all__ = ["CardShapeRecognizer"]

ENTITY = "CREDIT_CARD"
#: Card numbers have 13 (old Visa) to 19 (some Maestro, UnionPay) digits.
_MIN_DIGITS, _MAX_DIGITS = 13, 19
_LEADING_GROUP = 4
_GROUPS = re.compile(r"\d+")


def _card_grouped(run: str) -> bool:
    """Printed like a card: one plain run, or groups led by four digits ("4111 1111 1111 1111", "3782 822463
    10005"). International phone numbers of 13-15 digits start with ``+``/``00`` or a short country code."""
    if run.startswith(("+", "(", "00")):
        return False
    groups = _GROUPS.findall(run)
    return len(groups) == 1 or (len(groups[0]) == _LEADING_GROUP and all(len(g) >= 4 for g in groups[:-1]))


class CardShapeRecognizer(LocalRecognizer):
    """CREDIT_CARD for card-shaped digit runs, Luhn-valid or not (module doc)."""

    SCORE = 0.4
    CONTEXT = ["card", "credit", "debit", "visa", "mastercard", "amex", "cc", "expiry", "exp", "cvv", "charged"]

    def __init__(self, *, identifier_words: Iterable[str] = (), language: str = "en") -> None:
        self.identifier_words = frozenset(w.casefold() for w in identifier_words)
        super().__init__(
            supported_entities=[ENTITY], supported_language=language, name="CardShapeRecognizer", context=self.CONTEXT
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        results = []
        for cand in phone_candidates(text, min_digits=_MIN_DIGITS, max_digits=_MAX_DIGITS):
            if not _card_grouped(text[cand.start : cand.end]):
                continue
            if nearest_keyword(text, cand.start, ChatPhoneRecognizer.PHONE_WORDS, self.identifier_words) == "id":
                continue
            results.append(
                RecognizerResult(
                    entity_type=ENTITY,
                    start=cand.start,
                    end=cand.end,
                    score=self.SCORE,
                    analysis_explanation=AnalysisExplanation(
                        recognizer=self.name,
                        original_score=self.SCORE,
                        textual_explanation=f"card-shaped number ({cand.digits} digits)",
                    ),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results
