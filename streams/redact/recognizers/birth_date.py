"""Dates of birth: a date is PII only when the context says whose birthday it is."""

from __future__ import annotations

from datetime import UTC, datetime

import regex
from presidio_analyzer import Pattern, PatternRecognizer

__all__ = ["DateOfBirthRecognizer"]

_YEAR = regex.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")

#: Month names and abbreviations in the languages of our context words (genitive forms where dates use them).
_MONTHS = "|".join(
    sorted(
        set(
            """
            jan january feb february mar march apr april may jun june jul july aug august sep sept september oct
            october nov november dec december
            januar jänner februar märz mai juni juli oktober dezember
            janvier février fevrier mars avril juin juillet août aout septembre octobre novembre décembre
            enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
            gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre
            janeiro fevereiro março marco maio junho julho setembro outubro novembro dezembro
            januari februari maart mei augustus maret agustus desember
            stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia
            ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık
            ledna února března dubna května června července srpna září října listopadu prosince
            """.split()
        ),
        key=len,
        reverse=True,
    )
)


class DateOfBirthRecognizer(PatternRecognizer):
    """Numeric and written dates with a deliberately low base score (0.1): only a context word ("born",
    "dob", "birthday") lifts them over the configured threshold, so delivery dates and timestamps stay; a full
    date in the birth years of an adult customer counts alone (``validate_result``)."""

    BASE_SCORE = 0.1
    PATTERNS = [
        Pattern(
            "numeric date",
            r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}|(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2})\b",
            BASE_SCORE,
        ),
        Pattern(
            "written date",
            rf"\b(?:\d{{1,2}}(?:st|nd|rd|th|\.|º|er)?\s+(?:(?i:de|of)\s+)?(?i:{_MONTHS})\.?,?\s+(?:(?i:de|del)\s+)?"
            rf"(?:19|20)\d{{2}}|(?i:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})\b",
            BASE_SCORE,
        ),
        Pattern(
            "day-month-year with the month written",
            rf"\b\d{{1,2}}[-/ ](?i:{_MONTHS})\.?[-/ ](?:19|20)?\d{{2}}\b",
            BASE_SCORE,
        ),
        Pattern("CJK date", r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日", BASE_SCORE),
        Pattern("Korean date", r"(?:19|20)\d{2}년\s?\d{1,2}월\s?\d{1,2}일", BASE_SCORE),
        Pattern("numeric date with spaces", r"\b\d{1,2}\.[ ]\d{1,2}\.[ ](?:19|20)\d{2}\b", BASE_SCORE),
        Pattern("numeric date, two-digit year", r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2}\b", BASE_SCORE),
        Pattern(
            "written month, two-digit year",
            rf"\b\d{{1,2}}\s+(?i:de)\s+(?i:{_MONTHS})\s+(?i:de|del)\s+'?\d{{2}}\b",
            BASE_SCORE,
        ),
    ]
    #: Context words in the languages customers write in ("Geburtsdatum", "né le", "fecha de nacimiento").
    CONTEXT = [
        "born", "birth", "dob", "birthday", "d.o.b", "geburtsdatum", "geboren", "geb", "né", "née", "naissance",
        "nacido", "nacida", "nacimiento", "nato", "nata", "nascita", "nascido", "nascida", "nascimento",
        "urodzony", "urodzona", "urodzenia", "geboortedatum", "födelsedatum", "fødselsdato", "doğum",
        "narození", "生年月日", "誕生日", "nací", "nasci", "nacque", "urodziłem", "urodziłam",
        "narodil", "narodila", "doğdum", "fødd", "född", "syntynyt", "lahir", "ngày sinh", "sinh ngày", "生日", "出生",
        "생년월일", "생일", "الميلاد", "janm", "kapanganakan", "kaarawan", "nació", "nacio", "naci", "nasceu",
        "nasceram", "cumpleaños", "aniversário", "nacimento",
    ]  # fmt: skip

    #: A full date whose year only an adult customer's birth can have counts without a context word (recall first:
    #: "sure, it's 12/07/1979 and BS6 5JX" answers an agent's "date of birth and postcode?" in an earlier
    #: message). Later dates (contracts, orders, deliveries) still need one.
    MIN_AGE_YEARS = 16
    OLDEST_YEAR = 1900

    def validate_result(self, pattern_text: str) -> bool | None:
        """True (full score) for a date in a birth year of an adult; None leaves the base score to context."""
        year = _YEAR.search(pattern_text)
        if year is None:
            return None
        return True if self.OLDEST_YEAR <= int(year.group()) <= self._youngest_year else None

    def __init__(self, *, language: str = "en") -> None:
        self._youngest_year = datetime.now(UTC).year - self.MIN_AGE_YEARS
        super().__init__(
            supported_entity="DATE_OF_BIRTH",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=language,
            name="DateOfBirthRecognizer",
        )
