"""Neighbourhoods named with their district word: "Col. Crédito Constructor", "brgy san isidro", "Barrio Los
Álamos", "Urb. Villa Carolina", "Ens. Ozama", "Fracc. Las Fuentes".

Why: in Mexico, the Caribbean, Central America and the Philippines the district is part of every address, written
with its word before the name, often in lower case on a phone. Neither spaCy nor the place gazetteer knows most
of these names (they are thousands of small neighbourhoods); the district word says what the name is. The name
runs over up to three words: capitalised ones, or, after "brgy"/"barangay", lower-case ones as typed; a comma, a
line break or a number ends it.
"""

from __future__ import annotations

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.recognizers.rule import RuleRecognizer

__all__ = ["DistrictRecognizer", "might_hold_district"]

ENTITY = "LOCATION"
# fmt: off
#: District words written before the name, capitalised ("Col. Roma Norte") or not ("col. roma norte").
_DISTRICT_WORDS = (
    "col.", "colonia", "urb.", "urbanización", "urbanizacion", "barrio", "bo.", "ens.", "ensanche", "fracc.",
    "fraccionamiento", "reparto",
)
#: The Philippines' barangay: names typed in lower case after it are names too ("brgy san isidro").
_BARANGAY = ("brgy.", "brgy", "barangay", "bgy.", "bgy")
#: Lower-case words that join a district's name ("Barrio de la Cruz", "Urb. Villa del Carmen").
_PARTICLES = ("de", "del", "de la", "de los", "de las", "la", "las", "los", "el", "san", "santa", "sto.", "sta.")
# fmt: on


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(regex.escape(w).replace(r"\ ", r"[ \t]+") for w in sorted(words, key=len, reverse=True))


_CAPITALISED = r"\p{Lu}[\p{L}\p{M}'’-]*"
_LOWER = r"\p{Ll}[\p{L}\p{M}'’-]*"
_PARTICLE = rf"(?:{_alternation(_PARTICLES)})"
_DISTRICT = regex.compile(
    rf"(?<![\p{{L}}\d])(?i:{_alternation(_DISTRICT_WORDS)})[ \t]+"
    rf"(?P<name>(?:{_PARTICLE}[ \t]+)?{_CAPITALISED}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_CAPITALISED}){{0,2}})"
    rf"|(?<![\p{{L}}\d])(?i:{_alternation(_BARANGAY)})[ \t]+"
    rf"(?P<name>(?:{_CAPITALISED}|{_LOWER})(?:[ \t]+(?:{_CAPITALISED}|{_LOWER})){{0,2}})"
)
_GATE = regex.compile(rf"(?i)(?<![\p{{L}}])(?:{_alternation((*_DISTRICT_WORDS, *_BARANGAY))})(?![\p{{L}}])")


def might_hold_district(text: str) -> bool:
    """The gate: a district word."""
    return _GATE.search(text) is not None


class DistrictRecognizer(RuleRecognizer):
    """LOCATION for a district's name after its district word (module doc)."""

    SCORE = 0.6

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(entities=[ENTITY], name="DistrictRecognizer", language=language)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        return [
            self.finding(ENTITY, m.start("name"), m.end("name"), self.SCORE, "name after a district word")
            for m in _DISTRICT.finditer(text)
        ]
