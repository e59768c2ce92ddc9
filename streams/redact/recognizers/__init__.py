"""Our recogniser registry: which recognisers run, and the cheap gate that proves a text cannot match.

Every recogniser is registered here and nowhere else. A *gate* is a necessary condition of the recogniser's
patterns (every pattern needs a digit, or an ``@``; an introduced name needs a capital letter), so skipping a
text that fails it cannot lose a match: most chat messages have no digit and no ``@``, and then no regex or
phonenumbers code runs at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from presidio_analyzer import EntityRecognizer
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    UsBankRecognizer,
    UsSsnRecognizer,
)

from cxpulse.settings import RedactionSettings
from streams.redact.prefilter import COMMON_WORDS
from streams.redact.recognizers.birth_date import DateOfBirthRecognizer
from streams.redact.recognizers.card_shape import CardShapeRecognizer
from streams.redact.recognizers.district import DistrictRecognizer, might_hold_district
from streams.redact.recognizers.iban_shape import IbanShapeRecognizer
from streams.redact.recognizers.introduced_name import IntroducedNameRecognizer, has_upper
from streams.redact.recognizers.known_name import KnownNameRecognizer
from streams.redact.recognizers.name_shapes import NameShapeRecognizer
from streams.redact.recognizers.name_words import NOT_NAMES
from streams.redact.recognizers.ner import ChatSpacyRecognizer
from streams.redact.recognizers.obfuscated_email import ObfuscatedEmailRecognizer, might_hold_obfuscated_email
from streams.redact.recognizers.phone import ChatPhoneRecognizer
from streams.redact.recognizers.place_names import PlaceNameRecognizer
from streams.redact.recognizers.spelled_phone import SpelledPhoneRecognizer
from streams.redact.recognizers.spoken_details import SpokenDetailsRecognizer, might_hold_spoken_number
from streams.redact.recognizers.street_address import StreetAddressRecognizer, might_hold_address

__all__ = [
    "Gate",
    "GatedRecognizer",
    "build_recognizers",
    "has_at",
    "has_digit",
    "has_digit_or_colon",
    "has_upper",
    "might_hold_iban",
]

Gate = Callable[[str], bool]
#: ``\d`` is Unicode-aware like the recognisers' own patterns and python-phonenumbers (which reads any digit).
_DIGIT = re.compile(r"\d")
_MIN_SPELLED_CHARS = 20
_IBAN_START = re.compile(r"[A-Za-z]{2}[ -]?\d{2}")


def has_digit(text: str) -> bool:
    """Card, SSN, bank, IBAN, phone, date and address patterns all contain at least one digit."""
    return _DIGIT.search(text) is not None


def might_hold_iban(text: str) -> bool:
    """Every IBAN opens with a country code and two check digits ("GB29", "de 89", "fr-76"); Presidio's
    recogniser also compiles its pattern on every call, so most texts should not reach it."""
    return _IBAN_START.search(text) is not None


def has_at(text: str) -> bool:
    """Every e-mail address contains ``@``."""
    return "@" in text


def has_digit_or_colon(text: str) -> bool:
    """IPv4 needs digits; every IPv6 form (even ``::``) needs a colon."""
    return ":" in text or has_digit(text)


def has_letters(text: str) -> bool:
    """Numbers spelled out in words need at least 20 letters ("one two three four five six seven")."""
    return len(text) >= _MIN_SPELLED_CHARS


def always(text: str) -> bool:
    return True


@dataclass(frozen=True)
class GatedRecognizer:
    recognizer: EntityRecognizer
    gate: Gate
    #: True for the NER-backed recogniser, which reads spaCy entities instead of the text.
    uses_ner: bool = False


def build_recognizers(settings: RedactionSettings) -> list[GatedRecognizer]:
    """The recognisers for the allow-listed entities (others are not even built)."""
    lang = settings.language
    gazetteer = None
    if settings.name_gazetteer and {"PERSON", "STREET_ADDRESS", "LOCATION"} & set(settings.entities):
        from streams.redact.gazetteer import load_gazetteer

        gazetteer = load_gazetteer(settings)
    candidates = [
        GatedRecognizer(
            ChatSpacyRecognizer(exclusions=settings.name_exclusions, gazetteer=gazetteer, supported_language=lang),
            always,
            uses_ner=True,
        ),
        GatedRecognizer(
            ChatPhoneRecognizer(
                regions=settings.phone_regions,
                strictness=settings.phone_strictness,
                min_digits=settings.phone_min_digits,
                max_digits=settings.phone_max_digits,
                identifier_words=settings.phone_identifier_words,
                language=lang,
            ),
            has_digit,
        ),
        GatedRecognizer(SpelledPhoneRecognizer(language=lang), has_letters),
        GatedRecognizer(SpokenDetailsRecognizer(language=lang), might_hold_spoken_number),
        GatedRecognizer(DistrictRecognizer(language=lang), might_hold_district),
        GatedRecognizer(EmailRecognizer(supported_language=lang), has_at),
        GatedRecognizer(ObfuscatedEmailRecognizer(language=lang), might_hold_obfuscated_email),
        GatedRecognizer(CreditCardRecognizer(supported_language=lang), has_digit),
        GatedRecognizer(
            CardShapeRecognizer(identifier_words=settings.phone_identifier_words, language=lang), has_digit
        ),
        GatedRecognizer(UsSsnRecognizer(supported_language=lang), has_digit),
        GatedRecognizer(IbanRecognizer(supported_language=lang), might_hold_iban),
        GatedRecognizer(IbanShapeRecognizer(language=lang), might_hold_iban),
        GatedRecognizer(IpRecognizer(supported_language=lang), has_digit_or_colon),
        GatedRecognizer(UsBankRecognizer(supported_language=lang), has_digit),
        GatedRecognizer(
            StreetAddressRecognizer(
                language=lang,
                is_english=gazetteer.is_english if gazetteer else None,
                identifier_words=settings.phone_identifier_words,
            ),
            might_hold_address,
        ),
        GatedRecognizer(DateOfBirthRecognizer(language=lang), has_digit),
        GatedRecognizer(
            IntroducedNameRecognizer(
                introducers=settings.name_introducers,
                titles=settings.name_titles,
                address_words=settings.name_address_words,
                particles=settings.name_particles,
                exclusions=settings.name_exclusions,
                score=settings.introduced_name_score,
                max_tokens=settings.name_max_tokens,
                typos=settings.name_introducer_typos,
                signoffs=settings.name_signoffs,
                name_markers=settings.name_markers,
                gazetteer=gazetteer,
                language=lang,
            ),
            # Lower-case gazetteer names ("my name is priya") need no capital letter.
            always if gazetteer else has_upper,
        ),
    ]
    if gazetteer is not None and "PERSON" in settings.entities:
        known = KnownNameRecognizer(
            gazetteer=gazetteer,
            particles=settings.name_particles,
            exclusions=settings.name_exclusions,
            score=settings.known_name_score,
            max_tokens=settings.name_max_tokens,
            language=lang,
        )
        candidates.append(GatedRecognizer(known, always))
        shapes = NameShapeRecognizer(
            gazetteer=gazetteer,
            excluded=[*COMMON_WORDS, *NOT_NAMES, *settings.name_exclusions],
            score=settings.known_name_score,
            language=lang,
        )
        candidates.append(GatedRecognizer(shapes, always))
    if gazetteer is not None and "LOCATION" in settings.entities:
        places = PlaceNameRecognizer(
            is_english=gazetteer.is_english,
            ordinary=[*COMMON_WORDS, *NOT_NAMES, *settings.name_exclusions],
            cache_dir=Path(settings.name_gazetteer_dir).expanduser(),
            language=lang,
        )
        candidates.append(GatedRecognizer(places, always))
    if not (settings.name_introducers or settings.name_titles or settings.name_address_words):
        # Empty phrase lists switch the introduced-name recogniser off (it could find nothing).
        candidates = [c for c in candidates if not isinstance(c.recognizer, IntroducedNameRecognizer)]
    wanted = set(settings.entities)
    return [c for c in candidates if wanted.intersection(c.recognizer.supported_entities)]
