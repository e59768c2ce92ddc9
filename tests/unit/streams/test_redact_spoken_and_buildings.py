"""Round 7 of the redaction rules: details read out in words (call transcripts), named buildings beside their
flat or floor, names after an introducer in scripts and orders the earlier rules cut short, and the names that
belong to institutions or medicines rather than people. Each rule with the near misses it must leave alone."""

from __future__ import annotations

import pytest

import streams.redact  # noqa: F401 - offline Presidio settings
from cxpulse.settings import Settings
from streams.redact.analyzer import FastAnalyzer
from streams.redact.organisations import is_public_institution
from streams.redact.recognizers.spelled_phone import SpelledPhoneRecognizer
from streams.redact.recognizers.spoken_details import SpokenDetailsRecognizer, might_hold_spoken_number
from streams.redact.recognizers.street_address import _named_buildings


@pytest.fixture(scope="module")
def analyzer() -> FastAnalyzer:
    return FastAnalyzer(Settings().redaction)


def covered(analyzer: FastAnalyzer, text: str, value: str) -> bool:
    """Whether every character of ``value`` in ``text`` lies inside some finding."""
    start = text.index(value)
    findings = analyzer.analyze_batch([text])[0]
    return all(any(f.start <= i < f.end for f in findings) for i in range(start, start + len(value)) if text[i] != " ")


def touched(analyzer: FastAnalyzer, text: str, value: str) -> bool:
    start = text.index(value)
    end = start + len(value)
    return any(f.start < end and start < f.end for f in analyzer.analyze_batch([text])[0])


# -- details read out in words ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("my address is forty two eleven north cedar avenue apartment six in fresno", "STREET_ADDRESS",
         "forty two eleven north cedar avenue apartment six"),
        ("uh its two fifteen elm street", "STREET_ADDRESS", "two fifteen elm street"),
        ("hi um yeah my zip is nine oh two one oh and i'm calling", "LOCATION", "nine oh two one oh"),
        ("zip code double seven five two one please", "LOCATION", "double seven five two one"),
        ("flat two, forty eight Riccarton Road, Christchurch eight oh one one, born", "LOCATION", "eight oh one one"),
        ("aye it's in Dundee D D one caller: and my number", "LOCATION", "D D one"),
        ("my birthday is april fourth nineteen ninety", "DATE_OF_BIRTH", "april fourth nineteen ninety"),
        ("i was born march the twenty first of eighty two", "DATE_OF_BIRTH", "march the twenty first of eighty two"),
        ("my date of birth is the third of March nineteen eighty seven", "DATE_OF_BIRTH",
         "the third of March nineteen eighty seven"),
        ("my birthday is nine eleven two thousand and one", "DATE_OF_BIRTH", "nine eleven two thousand and one"),
        ("aye it's flat three, fourteen Commercial Street in Dundee", "STREET_ADDRESS",
         "flat three, fourteen Commercial Street"),
        ("I'm at one twenty one Peachtree Street Northeast, unit nine, Atlanta", "STREET_ADDRESS",
         "one twenty one Peachtree Street Northeast, unit nine"),
        ("sorry, three stroke fifteen Anzac Parade, Kensington", "STREET_ADDRESS", "three stroke fifteen Anzac Parade"),
        ("I stay at house number twenty-one, Sakaman road, behind the station", "STREET_ADDRESS",
         "house number twenty-one, Sakaman road"),
    ],
)  # fmt: skip
def test_spoken_details_are_found(text: str, entity: str, value: str) -> None:
    recogniser = SpokenDetailsRecognizer()
    assert might_hold_spoken_number(text)
    found = {(r.entity_type, text[r.start : r.end]) for r in recogniser.analyze(text, list(recogniser.ENTITIES))}
    assert (entity, value) in found


@pytest.mark.parametrize(
    "text",
    [
        "take the one way street to the depot",  # one number word is no house number
        "I need two of them by friday, three or four",  # numbers, no street, no postcode word
        "my zip broke on the jacket, two three days ago",  # a postcode word, four digits' worth only
        "I was born in march and turned thirty",  # a birth word and a month, no day and year
        "I called one Customer Service Center twice",  # "one" as an article is no house number
        "I have Windows eight and two laptops",  # one digit word after a capitalised word is no postcode
    ],
)
def test_spoken_near_misses_are_left(text: str) -> None:
    recogniser = SpokenDetailsRecognizer()
    assert recogniser.analyze(text, list(recogniser.ENTITIES)) == []


def test_spoken_details_are_redacted_end_to_end(analyzer: FastAnalyzer) -> None:
    text = "ok so my address is two fifteen elm street and the zip is nine oh two one oh"
    assert covered(analyzer, text, "two fifteen elm street")
    assert covered(analyzer, text, "nine oh two one oh")


# -- named buildings beside a unit ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "building"),
    [
        ("I'm in Sarit View Apts 4th floor, Westlands", "Sarit View Apts 4th floor"),
        ("Torre Coral depto 1104, Zona Hotelera", "Torre Coral depto 1104"),
        ("résidence Nour imm 4 appt 12 Maârif", "résidence Nour imm 4 appt 12"),
        ("bldg 3 unit 5c sampaguita condo po", "bldg 3 unit 5c sampaguita condo"),
        ("Baan Suan Condo room 402", "Baan Suan Condo room 402"),
    ],
)
def test_named_buildings_with_their_unit(text: str, building: str) -> None:
    assert building in [text[s:e] for s, e in _named_buildings(text)]


@pytest.mark.parametrize(
    "text",
    [
        "please go to the house 2 floors up",  # no unit number
        "I work in building 5 room 3",  # a unit chain without a named building (the chain rule's case)
        "the house was built in 1990",
    ],
)
def test_no_named_building_without_a_name_and_a_unit(text: str) -> None:
    assert _named_buildings(text) == []


def test_unit_before_a_house_name_with_its_article(analyzer: FastAnalyzer) -> None:
    text = "Apt 14, The Maltings, Bridgefoot Street, Dublin 8"
    assert covered(analyzer, text, "Apt 14, The Maltings, Bridgefoot Street")


# -- names after introducers, in other scripts ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Chào shop, em tên là Nguyễn Thị Thu Hà", "Nguyễn Thị Thu Hà"),  # copula after the introducer; "Thu"
        ("สวัสดีค่ะ ชื่อ ธนพร วงศ์สวัสดิ์ ค่ะ สั่งอาหาร", "ธนพร วงศ์สวัสดิ์"),  # Thai marks inside a word
        ("감사합니다.\n김지훈 드림\n연락처: 010-5550-7731", "김지훈"),  # Korean: the name before "드림"
        ("此致\n敬礼\n王丽华\n手机：138 5550 2716", "王丽华"),  # Chinese letter closing
    ],
)
def test_introduced_names_in_other_scripts(analyzer: FastAnalyzer, text: str, name: str) -> None:
    assert covered(analyzer, text, name)


def test_thai_politeness_particle_ends_the_name(analyzer: FastAnalyzer) -> None:
    text = "สวัสดีค่ะ ชื่อ ธนพร วงศ์สวัสดิ์ ค่ะ สั่งอาหาร"
    assert not touched(analyzer, text, "สั่งอาหาร")


def test_a_weekday_word_alone_is_still_no_name(analyzer: FastAnalyzer) -> None:
    assert not touched(analyzer, "my name is John. Thu is fine", "Thu")


# -- names that belong to institutions or medicines -------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "kept", "redacted"),
    [
        ("My mum is at Queen Elizabeth Hospital, ward 5, ask for Sipho Ndlovu", "Queen Elizabeth Hospital",
         "Sipho Ndlovu"),
        ("Tengo EPS y la Clínica Ricardo Palma no me atiende. Soy Yeferson Mosquera", "Ricardo Palma",
         "Yeferson Mosquera"),
    ],
)  # fmt: skip
def test_full_names_inside_public_institutions_are_the_institution(
    analyzer: FastAnalyzer, text: str, kept: str, redacted: str
) -> None:
    assert not touched(analyzer, text, kept)
    assert covered(analyzer, text, redacted)


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("I paid the parking fine to Comune di Bologna last week", "Bologna"),
        ("the bin collection from Aarhus Kommune never came", "Aarhus"),
        ("City of Toronto sent me a water bill", "Toronto"),
    ],
)
def test_a_town_inside_its_councils_name_is_the_council(analyzer: FastAnalyzer, text: str, town: str) -> None:
    assert not touched(analyzer, text, town)


def test_full_name_inside_a_business_stays_redacted(analyzer: FastAnalyzer) -> None:
    """Recall first: "Huy Nguyen Consulting" may be one person's business."""
    assert covered(analyzer, "Invoice from Huy Nguyen Consulting attached", "Huy Nguyen")
    assert not is_public_institution("Huy Nguyen Consulting")
    assert is_public_institution("Fiona Stanley Hospital")


@pytest.mark.parametrize(
    ("text", "medicine"),
    [
        ("Can I get a 90 day supply? It's Lipitor 20mg once at night.", "Lipitor"),
        ("I'm on Eliquis 5 mg and Jardiance 10 mg, which tier are they?", "Jardiance"),
    ],
)
def test_a_word_with_a_dose_is_a_medicine(analyzer: FastAnalyzer, text: str, medicine: str) -> None:
    assert not touched(analyzer, text, medicine)


def test_a_full_name_with_a_dose_stays_redacted(analyzer: FastAnalyzer) -> None:
    text = "the prescription for Priya Raman 20mg twice a day"
    assert covered(analyzer, text, "Priya Raman")


# -- phones read out in groups ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("call me on nine one seven, five five five, twenty one thirty",
         "nine one seven, five five five, twenty one thirty"),
        ("telefon sıfır beş yüz otuz iki, dört yüz on sekiz, yetmiş yedi, yirmi bir - teşekkürler",
         "sıfır beş yüz otuz iki, dört yüz on sekiz, yetmiş yedi, yirmi bir"),
    ],
)  # fmt: skip
def test_phones_read_out_in_tens_and_hundreds(text: str, phone: str) -> None:
    recogniser = SpelledPhoneRecognizer()
    assert phone in [text[r.start : r.end] for r in recogniser.analyze(text, ["PHONE_NUMBER"])]


@pytest.mark.parametrize(
    "text",
    [
        "I have twenty one items and thirty two boxes in fifty crates",  # numbers with words between them
        "I waited for two hundred and fifty days",  # five digits' worth at most
        "my order has three items, on two days",  # "on" opens no run
    ],
)
def test_counts_in_words_are_no_phone(text: str) -> None:
    assert SpelledPhoneRecognizer().analyze(text, ["PHONE_NUMBER"]) == []


# -- addresses without a street number, and other orders --------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Ibrahim Musa, Plot 1142, Cadastral Zone B02, Durumi, Abuja", "Plot 1142, Cadastral Zone B02"),
        ("c/o Gogo Ndlovu, Stand 1128, Zone 5, Ga-Rankuwa, 0208", "Stand 1128, Zone 5"),
        ("Akosua Boateng, House No. C142/12, Ashongman Estate, near the church", "House No. C142/12, Ashongman Estate"),
        ("Cumhuriyet cd. no 14 daire 6 Şişli", "Cumhuriyet cd. no 14 daire 6"),
        ("Landlord contact: Leof. Alexandras 140, 5th floor, Athens", "Leof. Alexandras 140, 5th floor"),
        ("Florian Leitner / Hauptplatz 9 / 4020 Linz", "Hauptplatz 9 / 4020 Linz"),
        (
            "I'm the landlord of unit five, block B, Gasworks Lane agent: in Dundalk?",
            "unit five, block B, Gasworks Lane",
        ),
        ("Gorriti 5120 PB 2, timbre que dice 2", "Gorriti 5120 PB 2"),
        ("envíen la tarjeta a Los Carrera 455, of. 31, Concepción", "Carrera 455, of. 31"),
        ("Mándenlo a Blvd. Agua Caliente 10611 Local 5, Tijuana", "Blvd. Agua Caliente 10611 Local 5"),
    ],
)
def test_parcels_turkish_greek_and_slashed_addresses(analyzer: FastAnalyzer, text: str, address: str) -> None:
    assert covered(analyzer, text, address)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("see the plot 3 of the chart, then tell me", "plot 3"),  # no place part after it
        ("Tickets 4 / 5 / 6 were closed yesterday", "4 / 5 / 6"),  # slashes between numbers alone
        ("Order 12345 unit 2 is missing", "Order 12345"),  # an identifier word, no street's name
        ("Gate 4 Room 12 please", "Gate 4"),  # English words, no street's name
        ("I upgraded to Windows 10 Pro 2 days ago", "Windows 10"),
    ],
)
def test_near_misses_of_the_new_address_forms(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert not touched(analyzer, text, value)


# -- family names after particles, form labels ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("landlord: Ioannis Karras; agent: Zoe van den Bosch; tenants: me", "Zoe van den Bosch"),  # a listed brand
        ("Cognome: Bellandi\nNome: Tommaso", "Bellandi"),
        ("Ονοματεπώνυμο: Dimitris Alexiou-Vlachos", "Dimitris Alexiou-Vlachos"),
    ],
)
def test_family_names_after_particles_and_form_labels(analyzer: FastAnalyzer, text: str, name: str) -> None:
    assert covered(analyzer, text, name)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Red bin Tuesday, the blue one on Friday", "Tuesday"),  # "bin" is a particle, a weekday no surname
        ("nome do produto errado na fatura", "produto"),  # a form label counts only with its colon
        ("I bought a Bosch dishwasher from the Bosch store", "Bosch"),
    ],
)
def test_particles_and_labels_do_not_make_names(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert not touched(analyzer, text, value)


# -- districts named with their district word -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("Av. Insurgentes Sur 1602 int 8 Col. Crédito Constructor CDMX", "Crédito Constructor"),
        ("kuya dito po blk 4 lot 12 mabini st brgy san isidro", "san isidro"),
        ("Vivo en Barrio Los Álamos, manzana 4 casa 12, Pilar", "manzana 4 casa 12"),
    ],
)
def test_districts_after_their_word(analyzer: FastAnalyzer, text: str, district: str) -> None:
    assert covered(analyzer, text, district)


@pytest.mark.parametrize(("text", "value"), [("see col. 4 of the table", "4"), ("the barrio was loud", "loud")])
def test_district_words_without_a_name(analyzer: FastAnalyzer, text: str, value: str) -> None:
    assert not touched(analyzer, text, value)


def test_e_mail_with_digits_read_out(analyzer: FastAnalyzer) -> None:
    text = "email is t dot nguyen eighty eight at gmail dot com"
    assert covered(analyzer, text, "t dot nguyen eighty eight at gmail dot com")
    assert not touched(analyzer, "I bought two at amazon dot com", "bought")


def test_a_month_beside_a_day_is_a_date_not_a_place(analyzer: FastAnalyzer) -> None:
    """March is also a town: beside a day number it is a date (LOCATION findings too)."""
    assert not touched(analyzer, "the lease renewal from 1 March at R11 750 pm", "March")
    assert not touched(analyzer, "Payment: Νοέμβριος 2025", "Νοέμβριος")  # Greek month; casefold keeps final sigma
