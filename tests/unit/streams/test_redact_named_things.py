"""Names that belong to no person (organisations, brands, vehicle models, weekdays, durations, reference numbers),
and the unit-chain addresses: what the post-filter may drop, and what it must still redact."""

from __future__ import annotations

import pytest

import streams.redact  # noqa: F401 - offline Presidio settings
from cxpulse.settings import Settings
from streams.redact.analyzer import FastAnalyzer
from streams.redact.organisations import organisation_spans


@pytest.fixture(scope="module")
def analyzer() -> FastAnalyzer:
    return FastAnalyzer(Settings().redaction)


def found(analyzer: FastAnalyzer, text: str) -> set[tuple[str, str]]:
    return {(f.entity_type, text[f.start : f.end]) for f in analyzer.analyze_batch([text])[0]}


def covered(analyzer: FastAnalyzer, text: str, value: str) -> bool:
    """Whether any finding overlaps ``value`` in ``text``."""
    start = text.index(value)
    end = start + len(value)
    return any(f.start < end and start < f.end for f in analyzer.analyze_batch([text])[0])


@pytest.mark.parametrize(
    ("text", "organisation"),
    [
        ("I was referred by Cleveland Clinic for the scan", "Cleveland Clinic"),
        ("my water bill from Thames Water is wrong", "Thames Water"),
        ("I have been a customer of Bank of Ireland since 2009", "Bank of Ireland"),
        ("The surgery is at Hospital Israelita Albert Einstein on 22 July", "Hospital Israelita Albert Einstein"),
        ("Contact for the estate is Hargreaves & Lamb Solicitors, please", "Hargreaves & Lamb Solicitors"),
        ("Saludos, Distribuciones Martín e Hijos S.L.", "Distribuciones Martín e Hijos"),
    ],
)
def test_organisation_names_are_found(text: str, organisation: str) -> None:
    assert organisation in [text[s:e] for s, e in organisation_spans(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Thanks Grace. Mayo Clinic called",  # a sentence end is never crossed
        "Dr Ana Lima, Apollo Hospitals",  # nor a comma
        "ask charlotte church about it",  # lower case is no name of an organisation
    ],
)
def test_organisation_names_stop_where_the_name_stops(text: str) -> None:
    spans = [text[s:e] for s, e in organisation_spans(text)]
    assert not any(word in span for span in spans for word in ("Grace", "Ana", "charlotte"))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("I was referred by Cleveland Clinic for the scan", "Cleveland"),
        ("The Mayo Clinic second opinion cost $3,200", "Mayo"),
        ("I have been a customer of Bank of Ireland since 2009", "Ireland"),
        ("I bank with Wells Fargo, can autopay come out of there?", "Fargo"),
        ("returned it at Marks & Spencer but the refund hasn't come", "Marks"),
        ("the captain came in a Hyundai Tucson not the Toyota Camry", "Tucson"),
        ("Die Lieferung kommt am Dienstag, 14.05.", "Dienstag"),
        ("is the restaurant open during Ramadan after Iftar?", "Ramadan"),
        ("rastreio parado há 5 dias úteis", "dias"),
        ("I called 1-800-FLOWERS about the delivery", "FLOWERS"),
    ],
)
def test_names_that_belong_to_no_person_stay(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert not covered(analyzer, text, value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a full name inside an organisation's name may be its owner's: recall first
        ("company is Huy Nguyen Consulting, address Schillerweg 80", "Huy Nguyen"),
        # the part of a finding outside a brand stays redacted
        ("I work with Maria Lopez at Cleveland Clinic", "Maria Lopez"),
        # "Dias" alone is a surname; only after a count is it a time unit
        ("please ask Sr. Dias about it", "Dias"),
        ("the agent was Domingo, very kind", "Domingo"),
    ],
)
def test_people_next_to_those_names_are_still_redacted(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert covered(analyzer, text, value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Numer polisy PZU 4471 0093 22, szkoda z dnia 12 lutego", "4471 0093 22"),
        ("My member ID on the card is XGH 4532 0118 7720", "4532 0118 7720"),
        ("Skywards number EK 402 918 337", "402 918 337"),
    ],
)
def test_numbers_after_a_code_prefix_are_references(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert not covered(analyzer, text, value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("DOB 03/04/1981, SSN 123456789", "123456789"),
        ("TFN 123 456 782 for the tax form", "123 456 782"),
        ("HP 9123 4567 after 6pm", "9123 4567"),
        ("UK 07700 900123", "07700 900123"),
        ("call PZU 4471 0093 22 if it fails", "4471 0093 22"),  # a phone word is nearer
    ],
)
def test_numbers_after_labels_countries_and_identifiers_stay_redacted(
    analyzer: FastAnalyzer, text: str, value: str
) -> None:
    assert covered(analyzer, text, value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Plot 8 Block B, Ahodwo Roundabout Road, Kumasi", "Plot 8 Block B"),
        ("bhaiya Tower B, Flat 1204, Supertech Capetown, Sector 74", "Tower B, Flat 1204"),
        ("kuya bldg 3 unit 5c sampaguita condo po", "bldg 3 unit 5c"),
        ("flat 5 2nd floor al-noor heights", "flat 5 2nd floor"),
    ],
)
def test_unit_chains_are_addresses(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert any(e == "STREET_ADDRESS" and value in v for e, v in found(analyzer, text))


@pytest.mark.parametrize("text", ["RMA RMA-55120 approved yet?", "phase 2 sector 4 of the rollout", "Gate 4 Seat 12"])
def test_counting_nouns_and_codes_make_no_unit_chain(analyzer: FastAnalyzer, text: str) -> None:
    assert not any(e == "STREET_ADDRESS" for e, _ in found(analyzer, text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Av. Insurgentes Sur 1602, Torre Coral depto 1104", "Torre Coral depto 1104"),
        ("neue Adresse Goethestraße 27, 2. OG links, 60313 Frankfurt", "2. OG links"),
    ],
)
def test_unit_floor_and_door_words_extend_an_address(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert any(e == "STREET_ADDRESS" and value in v for e, v in found(analyzer, text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("the phone on the account is nine five six 555 oh one two three", "nine five six 555 oh one two three"),
        ("mi numero es cinco cinco dos ocho uno cero cuatro cuatro siete tres ya", "cinco cinco dos ocho uno"),
        ("meu número é onze nove sete três um oito meia meia zero dois tá", "onze nove sete três um oito meia"),
        ("call me back at six one nine five five five 0143 any time", "six one nine five five five 0143"),
        ("my number is (305) 418-\n2276 sorry hit enter too soon", "(305) 418-\n2276"),
    ],
)
def test_phones_spoken_in_words_or_broken_over_a_line_are_redacted(
    analyzer: FastAnalyzer, text: str, value: str
) -> None:
    assert any(e == "PHONE_NUMBER" and value in v for e, v in found(analyzer, text))


@pytest.mark.parametrize("text", ["i want one or two of the three", "uno de los dos tres veces", "un deux trois"])
def test_a_few_number_words_are_no_phone(analyzer: FastAnalyzer, text: str) -> None:
    assert not any(e == "PHONE_NUMBER" for e, _ in found(analyzer, text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("mi correo es jose punto angel punto lopez arroba gmail punto com", "lopez arroba gmail punto com"),
        ("e-mail: luciana ponto fernandes arroba hotmail ponto com", "fernandes arroba hotmail ponto com"),
    ],
)
def test_e_mails_spelled_out_in_spanish_and_portuguese_are_redacted(
    analyzer: FastAnalyzer, text: str, value: str
) -> None:
    assert any(e == "EMAIL_ADDRESS" and value in v for e, v in found(analyzer, text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Entreguen en Diagonal 40A Sur # 5-18, Kennedy", "Diagonal 40A Sur # 5-18"),
        ("Es Calle 47 N° 812 entre 11 y 12, La Plata", "Calle 47 N° 812 entre 11 y 12"),
        ("Carrera 43A # 1 Sur-100, Torre 2 apto 1801", "Carrera 43A # 1 Sur-100"),
        ("Para la entrega: Jr. Huallaga 618 int. 4, Cercado de Lima.", "Jr. Huallaga 618 int. 4"),
    ],
)
def test_numbered_latin_american_streets_are_redacted(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert any(e == "STREET_ADDRESS" and value in v for e, v in found(analyzer, text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Nací el 3 de marzo del 85 por si lo necesitan", "3 de marzo del 85"),
        ("Mi hija nació el 17 de noviembre de 2012, ¿puedo incluirla?", "17 de noviembre de 2012"),
    ],
)
def test_spanish_birth_dates_are_redacted(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert ("DATE_OF_BIRTH", value) in found(analyzer, text)
