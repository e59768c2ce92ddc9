"""Street addresses: one table per form the recogniser covers, the hard negatives it leaves, and the extent rules.

The examples are ours (written for these tests); the benchmark corpora of ``bench/corpora`` measure the same on
data we did not write.
"""

from __future__ import annotations

import pytest

import streams.redact  # noqa: F401 - offline Presidio settings
from streams.redact.recognizers.address_extent import AddressExtent
from streams.redact.recognizers.street_address import StreetAddressRecognizer, might_hold_address


@pytest.fixture(scope="module")
def recognizer() -> StreetAddressRecognizer:
    return StreetAddressRecognizer()


def spans(recognizer: StreetAddressRecognizer, text: str, threshold: float = 0.35) -> list[str]:
    return [text[r.start : r.end] for r in recognizer.analyze(text, ["STREET_ADDRESS"]) if r.score >= threshold]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("ship to 987 Anderson Union please", "987 Anderson Union"),
        ("132 Villegas Center Suite 636", "132 Villegas Center Suite 636"),
        ("it's 0383 Monica Isle", "0383 Monica Isle"),
        ("Studio 13j\nSimpson Center", "Studio 13j\nSimpson Center"),
        ("98/77, Nadkarni Street", "98/77, Nadkarni Street"),
        ("Flat 32 90 Sanders End", "Flat 32 90 Sanders End"),
        ("12 baker street", "12 baker street"),
        ("1600 Pennsylvania Avenue NW", "1600 Pennsylvania Avenue NW"),
        ("Gesche-Söding-Straße 40-20", "Gesche-Söding-Straße 40-20"),
        ("Hans-Gerhard-Steuer-Ring 818", "Hans-Gerhard-Steuer-Ring 818"),
        ("Berliner Straße 5", "Berliner Straße 5"),
        ("Am Markt 3", "Am Markt 3"),
        ("9, avenue Gilles Jourdan", "9, avenue Gilles Jourdan"),
        ("chemin de Chauvin", "chemin de Chauvin"),
        ("Cuesta de Eligio Monreal 4", "Cuesta de Eligio Monreal 4"),
        ("Calle Zacatecas 003 Interior 136", "Calle Zacatecas 003 Interior 136"),
        ("Chácara de Nunes, 887", "Chácara de Nunes, 887"),
        ("Contrada Paride, 16 Appartamento 8", "Contrada Paride, 16 Appartamento 8"),
        ("Yassindreef 513", "Yassindreef 513"),
        ("Oudezijds Voorburgwal 14", "Oudezijds Voorburgwal 14"),
        ("aleja Skargi 13/24", "aleja Skargi 13/24"),
        ("ul. Wieniawskiego 636", "ul. Wieniawskiego 636"),
        ("412 Vestballevej", "412 Vestballevej"),
        ("北海道三宅島三宅村西川16丁目4番8号", "北海道三宅島三宅村西川16丁目4番8号"),
        ("1-2-3 Marunouchi, Chiyoda-ku", "1-2-3 Marunouchi, Chiyoda-ku"),
        ("946, rue michaud", "946, rue michaud"),
    ],
)
def test_street_lines_of_many_countries(recognizer: StreetAddressRecognizer, text: str, address: str) -> None:
    assert address in spans(recognizer, text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "my address: 405 Queen St W, Unit 1102, Toronto ON M5V 2A5",
            "405 Queen St W, Unit 1102, Toronto ON M5V 2A5",
        ),
        ("mi dirección: Calle Mayor 7, 2º izq, 46001 Valencia", "Calle Mayor 7, 2º izq, 46001 Valencia"),
        ("Lieferung an Mariahilfer Straße 101/3/14, 1060 Wien", "Mariahilfer Straße 101/3/14, 1060 Wien"),
        ("Flat 77\nWilliam Gardens\nLake Hilarybury\nTQ48 0GT", "Flat 77\nWilliam Gardens\nLake Hilarybury\nTQ48 0GT"),
        ("Incrocio Daria, 3 Appartamento 3\n06027, Isola Fossara (PG)", "Incrocio Daria, 3 Appartamento 3\n06027, Isola Fossara (PG)"),  # noqa: E501
        ("Calzada Ocasio 733 Edif. 774, Depto. 209, 67997-0472 Vieja Ucrania, BCS", "Calzada Ocasio 733 Edif. 774, Depto. 209, 67997-0472 Vieja Ucrania, BCS"),  # noqa: E501
    ],
)  # fmt: skip
def test_the_address_extends_over_unit_city_and_postcode(
    recognizer: StreetAddressRecognizer, text: str, address: str
) -> None:
    assert address in spans(recognizer, text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("A courier will collect from 906 Le Conte Park, Margate, IA 49363 on 8/1.", "906 Le Conte Park, Margate, IA 49363"),  # noqa: E501
        ("Bitte an Schäferplatz 4, 23898 Güstrow schicken, Bestellung FT4271009.", "Schäferplatz 4, 23898 Güstrow"),
        ("deliver to 22 Long Street, Cape Town 8001 and leave it with the neighbour", "22 Long Street, Cape Town 8001"),
        ("I live at 12 Baker Street, Anna said hi", "12 Baker Street, Anna"),
    ],
)  # fmt: skip
def test_the_extent_stops_where_the_sentence_goes_on(
    recognizer: StreetAddressRecognizer, text: str, address: str
) -> None:
    assert spans(recognizer, text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "I have 3 days left",
        "get 2 close friends",
        "Offering 2 discounts",
        "During 2023 we",
        "via Email 2 times",
        "2 Factor Auth",
        "I am Sam 2",
        "Windows 11 Home",
        "Level 3 Support Center",
        "Monitoring 2 servers",
        "scheduled for 2025-09-15 10:00:00",
        "closed at 2026-08-19T15:39:03+05:30",
        "DOB is 04-16-2001",
        "Aston Martin dealership says the part is on backorder, ref CS-2023-397180",
    ],
)
def test_hard_negatives(recognizer: StreetAddressRecognizer, text: str) -> None:
    assert spans(recognizer, text) == []


def test_a_postcode_and_city_alone_need_context(recognizer: StreetAddressRecognizer) -> None:
    """ "20000 Points" has the shape of a postcode and a city; below the threshold without an address word."""
    assert spans(recognizer, "we have 20000 Points") == []
    assert spans(recognizer, "postcode 85273") == ["85273"]


@pytest.mark.parametrize(
    ("text", "expected"), [("no digits at all", False), ("rue de Rivoli", True), ("room 1", True), ("Calle", True)]
)
def test_gate_is_a_necessary_condition(text: str, expected: bool) -> None:
    assert might_hold_address(text) is expected


def test_extent_takes_only_address_tokens_of_a_part() -> None:
    extent = AddressExtent(particles=["de"], common_words=["and", "leave"], abbreviations=["depto"])
    text = "12 Via Roma, Monteleone D'Orvieto and leave it"
    assert text[: extent.forward(text, len("12 Via Roma"))] == "12 Via Roma, Monteleone D'Orvieto"
    text = "Depto. 209, 67997 Vieja"
    assert extent.forward("x 1" + ", " + text, 3) == len("x 1, " + text)
