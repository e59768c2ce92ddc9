"""Phone numbers in chat: E.164 (``+14155550123``) and the national formats of the configured regions."""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers
from phonenumbers import PhoneMetadata
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

__all__ = ["ChatPhoneRecognizer", "longest_digit_run", "region_digit_floor"]

#: Where a phone number can stop: any letter except ``x``, which python-phonenumbers accepts as punctuation
#: (and reads as a digit in a number with three or more letters).
_RUN_BREAK = re.compile(r"[^\W\d_xX]+")
_DIGIT_LIKE = re.compile(r"[\dxX]")
#: Plus signs python-phonenumbers reads as "a country code follows" (ASCII and full-width).
_PLUS_SIGNS = ("+", "\uff0b")
_BACKREFERENCE = re.compile(r"\\\d|\$\d")
_LENIENCY_POSSIBLE = 0


def longest_digit_run(text: str) -> int:
    """The most digits (``x`` counted as one) between two letters: an upper bound on the digits of any phone
    number python-phonenumbers can find in ``text`` (a match never holds a letter other than ``x``)."""
    return max((len(_DIGIT_LIKE.findall(run)) for run in _RUN_BREAK.split(text)), default=0)


def _min_length(lengths: Sequence[int]) -> int:
    return min((n for n in lengths if n > 0), default=0)


def _national_lengths(metadata: PhoneMetadata, leniency: int) -> list[int]:
    desc = metadata.general_desc
    lengths = list(desc.possible_length or ())
    if leniency == _LENIENCY_POSSIBLE:  # "possible" also accepts numbers only diallable locally
        lengths += list(desc.possible_length_local_only or ())
    return lengths


def region_digit_floor(region: str, leniency: int) -> int:
    """The fewest digits a number found by ``PhoneNumberMatcher(text, region, leniency)`` can have, unless the
    text holds a plus sign (then any country's number can be found, and nothing is skipped).

    Without a plus sign a match is either national (country code of ``region``: its national number has one of
    the lengths of that code's regions) or dialled with the region's international prefix (at least the
    prefix's digits + one country-code digit + the shortest national number of any country). 0 means "never
    skip" (a national-prefix rule that could add digits).
    """
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return 0
    rule = metadata.national_prefix_transform_rule or ""
    if any(c.isdigit() for c in _BACKREFERENCE.sub("", rule)):
        return 0
    same_code = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code, (region,))
    national = _min_length(
        [n for r in same_code for n in _national_lengths(PhoneMetadata.metadata_for_region(r), leniency)]
    )
    every = [PhoneMetadata.metadata_for_region(r) for r in phonenumbers.SUPPORTED_REGIONS]
    every += [PhoneMetadata.metadata_for_nongeo_region(c) for c in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS]
    shortest_anywhere = _min_length([n for m in every if m is not None for n in _national_lengths(m, leniency)])
    prefix = metadata.international_prefix
    prefix_digits = _min_regex_width(prefix) if prefix else 0
    return max(0, min(national, prefix_digits + 1 + shortest_anywhere))


def _min_regex_width(pattern: str) -> int:
    """The fewest characters ``pattern`` can match (the international prefix patterns are digits only)."""
    try:
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse  # type: ignore[no-redef]
    return int(sre_parse.parse(pattern).getwidth()[0])


class ChatPhoneRecognizer(PhoneRecognizer):
    """Presidio's python-phonenumbers recogniser with the regions and context words chat needs.

    A number written with ``+`` parses for any region; national formats (``(415) 555-0123``,
    ``020 7946 0958``) only for the regions listed, so the list is configuration (``phone_regions``).
    Chat customers say "text me", "whatsapp", "reach me": those lift the score like "phone" does.

    Same matches as Presidio's loop over the regions, faster: a region is skipped for a text that holds no plus
    sign and whose longest digit run is shorter than any number that region's matcher can accept
    (:func:`region_digit_floor`, derived from python-phonenumbers' own metadata). Prices, times, versions and
    ticket numbers then skip most regions.
    """

    CONTEXT = [
        "phone", "number", "telephone", "cell", "cellphone", "mobile", "call", "text", "whatsapp", "sms",
        "reach", "tel", "contact", "landline",
    ]  # fmt: skip

    def __init__(self, *, regions: Sequence[str], leniency: int, language: str = "en") -> None:
        super().__init__(
            context=self.CONTEXT,
            supported_language=language,
            supported_regions=tuple(regions),
            leniency=leniency,
            name="ChatPhoneRecognizer",
        )
        self.digit_floors = {region: region_digit_floor(region, leniency) for region in regions}

    def regions_for(self, text: str) -> list[str]:
        """The regions whose matcher could find a number in ``text``."""
        if any(sign in text for sign in _PLUS_SIGNS):
            return list(self.supported_regions)
        digits = longest_digit_run(text)
        return [r for r in self.supported_regions if digits >= self.digit_floors[r]]

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for region in self.regions_for(text):
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=self.leniency):
                found_for = phonenumbers.region_code_for_number(match.number) or region
                results.append(
                    RecognizerResult(
                        entity_type=self.supported_entities[0],
                        start=match.start,
                        end=match.end,
                        score=self.SCORE,
                        analysis_explanation=AnalysisExplanation(
                            recognizer=self.name,
                            original_score=self.SCORE,
                            textual_explanation=f"valid {found_for} phone number (python-phonenumbers)",
                        ),
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                )
        return EntityRecognizer.remove_duplicates(results)
