"""Dates of birth: a date is PII only when the context says whose birthday it is."""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

__all__ = ["DateOfBirthRecognizer"]

_MONTHS = (
    "Jan|January|Feb|February|Mar|March|Apr|April|May|Jun|June|Jul|July|Aug|August|Sep|Sept|September"
    "|Oct|October|Nov|November|Dec|December"
)


class DateOfBirthRecognizer(PatternRecognizer):
    """Numeric and written dates with a deliberately low base score (0.1): only a context word ("born",
    "dob", "birthday") lifts them over the configured threshold, so delivery dates and timestamps stay."""

    BASE_SCORE = 0.1
    PATTERNS = [
        Pattern(
            "numeric date",
            r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}|(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2})\b",
            BASE_SCORE,
        ),
        Pattern(
            "written date",
            rf"\b(?:\d{{1,2}}(?:st|nd|rd|th|\.)?\s+(?:{_MONTHS})\.?,?\s+(?:19|20)\d{{2}}"
            rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})\b",
            BASE_SCORE,
        ),
        Pattern("CJK date", r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日", BASE_SCORE),
        Pattern("numeric date, two-digit year", r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2}\b", BASE_SCORE),
    ]
    #: Context words in the languages customers write in ("Geburtsdatum", "né le", "fecha de nacimiento").
    CONTEXT = [
        "born", "birth", "dob", "birthday", "d.o.b", "geburtsdatum", "geboren", "geb", "né", "née", "naissance",
        "nacido", "nacida", "nacimiento", "nato", "nata", "nascita", "nascido", "nascida", "nascimento",
        "urodzony", "urodzona", "urodzenia", "geboortedatum", "födelsedatum", "fødselsdato", "doğum",
        "narození", "生年月日", "誕生日",
    ]  # fmt: skip

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(
            supported_entity="DATE_OF_BIRTH",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=language,
            name="DateOfBirthRecognizer",
        )
