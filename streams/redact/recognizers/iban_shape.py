"""IBANs that fail their checksum or are typed in lower case: still a bank account.

Presidio's ``IbanRecognizer`` keeps only upper-case IBANs whose mod-97 checksum holds, so "iban is
gb90midl40051522334455" or a number with one digit mistyped leaks. This recogniser reports every IBAN-shaped
token: a country code of the IBAN registry, two check digits, then 10-30 letters and digits (plain or in groups
of four), at least ten of them digits. Twilio SIDs (two capitals + 32 lower-case hex digits, "CH0123…") have the
shape of a Swiss IBAN and are left alone.
"""

from __future__ import annotations

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

__all__ = ["IbanShapeRecognizer"]

ENTITY = "IBAN_CODE"
#: Countries of the SWIFT IBAN registry.
_COUNTRIES = (
    "AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE GI GL GR GT HR HU IE "
    "IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT MU NI NL NO OM PK PL PS PT QA RO RS RU SA SC "
    "SD SE SI SK SM SO ST SV TL TN TR UA VA VG XK YE"
).split()
#: Compact (any case: "gb90midl4005…") or in groups of four, upper case, the last group shorter ("DE46 1203 … 55").
_SHAPE = regex.compile(
    rf"(?<![\p{{L}}\d])(?:(?i:{'|'.join(_COUNTRIES)})\d{{2}}[A-Za-z0-9]{{10,30}}"
    rf"|(?:{'|'.join(_COUNTRIES)})\d{{2}}(?:[ ][A-Z0-9]{{4}}){{2,7}}(?:[ ][A-Z0-9]{{1,4}})?)(?![\p{{L}}\d])"
)
_SID = regex.compile(r"^[A-Z]{2}[0-9a-f]{32}$")
_MIN_DIGITS, _MIN_LENGTH, _MAX_LENGTH = 10, 14, 34


class IbanShapeRecognizer(LocalRecognizer):
    """IBAN_CODE for IBAN-shaped tokens, checksum or not (module doc)."""

    SCORE = 0.4
    CONTEXT = ["iban", "bank", "account", "konto", "rib", "transfer", "refund", "sepa", "bic", "swift"]

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(
            supported_entities=[ENTITY], supported_language=language, name="IbanShapeRecognizer", context=self.CONTEXT
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        results = []
        for match in _SHAPE.finditer(text):
            compact = match.group().replace(" ", "")
            if _SID.match(compact) or not _MIN_LENGTH <= len(compact) <= _MAX_LENGTH:
                continue
            if sum(c.isdigit() for c in compact) < _MIN_DIGITS:
                continue
            results.append(
                RecognizerResult(
                    entity_type=ENTITY,
                    start=match.start(),
                    end=match.end(),
                    score=self.SCORE,
                    analysis_explanation=AnalysisExplanation(
                        recognizer=self.name, original_score=self.SCORE, textual_explanation="IBAN-shaped token"
                    ),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results
