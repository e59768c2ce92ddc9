"""Street addresses ("221B Baker Street", "Hauptstraße 5"): spaCy finds cities, not house numbers."""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

__all__ = ["StreetAddressRecognizer"]

_SUFFIXES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Terrace|Close|Crescent"
    "|Square|Sq|Parkway|Pkwy|Highway|Hwy|Row|Hill|Gardens"
)


class StreetAddressRecognizer(PatternRecognizer):
    """A house number followed by one to three capitalised words and a street suffix, or a German/Dutch-style
    compound street name followed by its number. Both need the number, so prices and names never match."""

    PATTERNS = [
        Pattern(
            "house number + street",
            rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’.-]*\s+){{1,3}}(?:{_SUFFIXES})\b\.?",
            0.6,
        ),
        Pattern(
            "street + house number",
            r"\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|laan|straat|gracht)\s+\d{1,4}[a-z]?\b",
            0.6,
        ),
    ]
    CONTEXT = ["address", "live", "street", "deliver", "ship", "apartment", "apt", "suite"]

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=language,
            name="StreetAddressRecognizer",
            global_regex_flags=0,
        )
