"""One table per recogniser: what it must find, and the hard negatives it must leave alone."""

from __future__ import annotations

import pytest

import streams.redact  # noqa: F401 - offline Presidio settings
from cxpulse.settings import Settings
from streams.redact.analyzer import FastAnalyzer
from streams.redact.prefilter import needs_ner
from streams.redact.recognizers import has_at, has_digit, has_digit_or_colon


@pytest.fixture(scope="module")
def analyzer() -> FastAnalyzer:
    return FastAnalyzer(Settings().redaction)


def found(analyzer: FastAnalyzer, text: str) -> set[tuple[str, str]]:
    return {(f.entity_type, text[f.start : f.end]) for f in analyzer.analyze_batch([text])[0]}


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("call me on +14155550123", "PHONE_NUMBER", "+14155550123"),
        ("text me at (415) 555-0123", "PHONE_NUMBER", "(415) 555-0123"),
        ("my mobile is +44 7400 123456", "PHONE_NUMBER", "+44 7400 123456"),
        ("whatsapp +49 1512 3456789 please", "PHONE_NUMBER", "+49 1512 3456789"),
        ("mail me: priya.raman@example.com", "EMAIL_ADDRESS", "priya.raman@example.com"),
        ("card 4111 1111 1111 1111 was charged", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("amex 3782-822463-10005", "CREDIT_CARD", "3782-822463-10005"),
        ("my ssn is 536-22-8726", "US_SSN", "536-22-8726"),
        ("IBAN DE89 3704 0044 0532 0130 00 for the refund", "IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
        ("router ip 192.168.10.24", "IP_ADDRESS", "192.168.10.24"),
        ("my account number is 123456789012", "US_BANK_NUMBER", "123456789012"),
        ("This is Priya Raman from accounting", "PERSON", "Priya Raman"),
        ("I'm in Lagos this week", "LOCATION", "Lagos"),
        ("ship it to 221 Baker Street please", "STREET_ADDRESS", "221 Baker Street"),
        ("Lieferung an Hauptstraße 12, Berlin", "STREET_ADDRESS", "Hauptstraße 12"),
        ("I was born on 03/14/1987", "DATE_OF_BIRTH", "03/14/1987"),
        ("my date of birth is 14 March 1987", "DATE_OF_BIRTH", "14 March 1987"),
    ],
)
def test_recogniser_finds(analyzer: FastAnalyzer, text: str, entity: str, value: str) -> None:
    assert (entity, value) in found(analyzer, text)


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("The conversation id is CH0123456789abcdef0123456789abcdef", None),
        ("It was delivered at 2026-11-25T10:31:00Z", "DATE_OF_BIRTH"),
        ("delivery on 03/14/2026 between 9 and 5", "DATE_OF_BIRTH"),
        ("Order #31505383 still hasn't shipped", "US_BANK_NUMBER"),
        ("It cost $1299.99 but I was charged €49,90", None),
        ("ticket 773494 was closed", None),
    ],
)
def test_hard_negatives_stay(analyzer: FastAnalyzer, text: str, entity: str | None) -> None:
    types = {e for e, _ in found(analyzer, text)}
    assert (not types) if entity is None else (entity not in types), types


@pytest.mark.parametrize(
    ("gate", "text", "expected"),
    [
        (has_digit, "no digits here", False),
        (has_digit, "room 1", True),
        (has_at, "a@b", True),
        (has_at, "at home", False),
        (has_digit_or_colon, "::", True),
        (has_digit_or_colon, "hello", False),
    ],
)
def test_gates_are_necessary_conditions(gate, text: str, expected: bool) -> None:
    assert gate(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ok thanks", False),
        ("Can you help me?", False),
        ("hi its jonas murphy here", True),
        ("I'm in Lagos", True),
        ("Thanks Maria", True),
    ],
)
def test_ner_prefilter_skips_only_common_words(text: str, expected: bool) -> None:
    assert needs_ner(text) is expected


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("social security number 087-50-3266", "US_SSN", "087-50-3266"),
        ("my router ip is 149.205.117.18", "IP_ADDRESS", "149.205.117.18"),
        ("bank: NL38 ABNA 6402 0679 70", "IBAN_CODE", "NL38 ABNA 6402 0679 70"),
    ],
)
def test_digits_of_a_validated_entity_are_not_also_a_phone(
    analyzer: FastAnalyzer, text: str, entity: str, value: str
) -> None:
    types = found(analyzer, text)
    assert (entity, value) in types
    assert not any(e == "PHONE_NUMBER" for e, _ in types), types


def test_a_phone_next_to_a_validated_entity_is_kept(analyzer: FastAnalyzer) -> None:
    text = "my ssn is 536-22-8726 and my phone is +14155550123"
    assert {("US_SSN", "536-22-8726"), ("PHONE_NUMBER", "+14155550123")} <= found(analyzer, text)


def test_phone_region_skipping_finds_exactly_what_presidios_loop_finds() -> None:
    """The per-region digit floors only skip matchers that could not match: same spans and scores as Presidio's
    own loop over the same regions, on the corpus and on random digit/punctuation strings."""
    import random

    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    from bench.redaction_corpus import generate_corpus
    from streams.redact.recognizers.phone import ChatPhoneRecognizer

    cfg = Settings().redaction
    ours = ChatPhoneRecognizer(regions=cfg.phone_regions, leniency=cfg.phone_leniency)
    reference = PhoneRecognizer(supported_regions=tuple(cfg.phone_regions), leniency=cfg.phone_leniency)
    rng = random.Random(5)
    texts = [c.text for c in generate_corpus(1000, 13)]
    texts += [
        "call " + "".join(rng.choice("0123456789 -.()/x") for _ in range(rng.randrange(3, 18))) for _ in range(300)
    ]
    texts += [f"ring {rng.randrange(10 ** (k - 1), 10**k)} now" for k in range(3, 14) for _ in range(30)]
    skipped = 0
    for text in texts:
        mine = sorted((r.start, r.end, r.score) for r in ours.analyze(text, ["PHONE_NUMBER"]))
        theirs = sorted((r.start, r.end, r.score) for r in reference.analyze(text, ["PHONE_NUMBER"]))
        assert mine == theirs, text
        skipped += len(cfg.phone_regions) - len(ours.regions_for(text))
    assert skipped > 0, "the floors must skip something, or this test proves nothing"
    assert sum(bool(reference.analyze(t, ["PHONE_NUMBER"])) for t in texts) > 50


@pytest.mark.parametrize(
    ("text", "digits"), [("no digits", 0), ("it cost $12.50, ok", 4), ("x1x2", 4), ("+1 (415) 555-0123 now", 11)]
)
def test_longest_digit_run_counts_digits_between_letters(text: str, digits: int) -> None:
    from streams.redact.recognizers.phone import longest_digit_run

    assert longest_digit_run(text) == digits
