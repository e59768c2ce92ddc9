"""spaCy's PERSON and LOCATION, minus the findings that cannot be a person or a place.

spaCy's small model tags short chat lines generously: "Jack is broken on the iPhone", "Hazel eyeshadow palette",
"Pay by 5 Jun", "ORD-30054172", "ERR_CONNECTION_RESET", "Google Pixel 6". Presidio's default engine redacts all of
them; on our labelled hard negatives that is most of its over-redaction. This recogniser keeps Presidio's
``SpacyRecognizer`` and drops a finding when

- it holds a digit, an underscore or an ``@`` (no name or place name does; addresses have their own recogniser),
  or starts or ends inside a word ("GB" of a tracking number);
- it is one letter, or an acronym of up to three capitals ("LH 902");
- it is a company ("Scott LLC", "株式会社福田水産": ``company.py``);
- every word of it is a common word: spaCy's stop words, the chat words, ``name_exclusions`` (months, brands)
  and the gazetteer's never-names ("Pixel", "Gmail");
- it is one word that is also an English word ("Jack", "hazel": an ambiguous gazetteer name or no name at all),
  at the start of a sentence or in lower case, and not followed by a comma ("Dawn, the technician…" stays).

The name recognisers (introducers, gazetteer) still find such a word where the text says it is a name ("my name
is Jack", "Jack here").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from streams.redact.prefilter import COMMON_WORDS
from streams.redact.recognizers.company import names_a_company
from streams.redact.recognizers.known_name import sentence_start
from streams.redact.recognizers.name_words import NOT_NAMES

if TYPE_CHECKING:  # the gazetteer module reads our word tables: import it for types only
    from streams.redact.gazetteer import NameGazetteer

__all__ = ["ChatSpacyRecognizer"]

_NOT_A_NAME_CHAR = regex.compile(r"[\d_@]")
_MIN_LETTERS = 2
_MONTHS = frozenset({"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"})
_NEXT_TO_DIGIT = regex.compile(r"\d[ .]*\p{L}+|\p{L}+[ .,]*\d")
_ACRONYM = 3


def _glued(text: str, start: int, end: int) -> bool:
    """A finding that starts or ends inside a word ("GB" of "CO808636430GB", "Vivo X" of "X80") is no name."""
    before = text[start - 1 : start]
    after = text[end : end + 1]
    return bool(before and (before.isalnum() or before == "_")) or bool(after and (after.isalnum() or after == "_"))


_WORD = regex.compile(r"[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*")


class ChatSpacyRecognizer(SpacyRecognizer):
    """Presidio's spaCy recogniser with the filter of the module doc."""

    def __init__(
        self, *, exclusions: tuple[str, ...], gazetteer: NameGazetteer | None, supported_language: str = "en"
    ) -> None:
        super().__init__(supported_language=supported_language, supported_entities=["PERSON", "LOCATION"])
        self._common = COMMON_WORDS | frozenset(w.casefold() for w in (*exclusions, *NOT_NAMES))
        self._gazetteer = gazetteer

    def _english_word(self, folded: str) -> bool:
        g = self._gazetteer
        if g is None:
            return False
        return folded in g.ambiguous or (folded in g.english and not g.is_name(folded))

    def _keep(self, text: str, result: RecognizerResult) -> bool:
        span = text[result.start : result.end]
        if _NOT_A_NAME_CHAR.search(span) or _glued(text, result.start, result.end):
            return False
        words = _WORD.findall(span)
        if not words or all(w.casefold() in self._common for w in words):
            return False
        if len(words) == 1 and (len(words[0]) < _MIN_LETTERS or words[0].isupper() and len(words[0]) <= _ACRONYM):
            return False  # "R" of "R$ 59,90", "LH" of a flight number: not a name
        if result.entity_type == "PERSON" and names_a_company(text, result.start, result.end):
            return False
        if (
            len(words) == 1
            and words[0].casefold() in _MONTHS
            and _NEXT_TO_DIGIT.search(text[max(0, result.start - 3) : result.end + 3])
        ):
            return False  # "on 5 Jan", "Mar 3": a date, though Jan and Mar are names too
        if len(words) == 1 and result.entity_type == "PERSON" and self._english_word(words[0].casefold()):
            vocative = text[result.end : result.end + 1] == ","
            if not vocative and (words[0].islower() or sentence_start(text, result.start)):
                return False
        return True

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        return [r for r in super().analyze(text, entities, nlp_artifacts) if self._keep(text, r)]
