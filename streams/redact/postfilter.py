"""Findings that cannot be what they say, dropped after every recogniser has spoken.

Each rule here looks at one finding in its text and removes it only when the text proves it is no personal data
of that type. They run on all recognisers' findings at once (``FastAnalyzer._finish``), so one rule covers spaCy,
the gazetteer and the position rules alike:

- **glued names**: a PERSON or LOCATION that starts or ends inside a Latin-script word or number is a piece of a
  code ("IS" of ``ISe4ec33…``, "CH" of a SID, "GB" of a tracking number). Scripts written without spaces (Han,
  kana, Hangul, Thai) are exempt: there a name touches the next word. So is one joined to a number by a hyphen
  ("1-800-FLOWERS", "AT-HR-2025-00931", "MY-HL-0093-4418"): a vanity number or a reference.
- **month + day**: a PERSON or LOCATION that is a month name or abbreviation beside a day number or before a
  year is a date ("before 5 Mar", "on 1 Jan", "Jan 5", "bought Jan 2024", "from 1 March"), although Jan and Mar
  are given names too (and March a town). A month alone after a preposition ("rent for mars") is left alone:
  most month words are someone's name somewhere (Mart, Nisan, Maret), and recall comes first.
- **brands**: a PERSON with a determiner before it and a commerce or order noun after it ("the Jordan store",
  "your Jordan order", "my Dell charger") is a brand or a shop. A name found after an introducer ("my name is
  …") is always kept, nouns that follow people too ("the Kumar booking", "account", "case") are no commerce
  nouns, and a place found as LOCATION ("the Stockholm store") is never dropped here.
- **labelled as something else**: an SSN, bank account number or birth date whose nearest keyword is an
  identifier word ("ticket 219-44-8810", "ref #77382911", "born 12/03/1980 and the order was on 12/03/2025")
  with no word of its own type nearer ("ssn", "account", "born"), or a dotted quad right after a version word
  ("firmware 2.4.1.8").
- **units**: a PERSON that is a unit of measure or a currency ("100 Mbps", "Rs. 4,750") is none.
- **medicines**: a one-word PERSON with a dose after it ("Lipitor 20mg", "Jardiance 10 mg") is a medicine.
- **calendar and counts**: a PERSON or LOCATION made only of weekdays or feasts ("Dienstag", "Ramadan"), of time
  units after a count ("5 dias úteis", "due mesi"), or of a count word before a time unit ("zwei Wochen") is a
  date or a duration, in any of the languages listed; months (above) are read in those languages too.
- **brands and organisations named after people or places**: the part of a PERSON or LOCATION finding that lies
  inside a listed brand of two words or more ("Calvin Klein boxers", "ordered from Mr Price", "Wells Fargo"), a
  vehicle model after its make ("Hyundai Tucson", "Honda City") or an organisation's name
  (``streams/redact/organisations.py``: "Cleveland Clinic", "Bank of Ireland") is cut off; what is left of the
  finding outside them stays redacted ("Laurent Marionnaud" after "Yves Saint" keeps "Marionnaud"). A full
  name of two words or more inside a business's name stays redacted: "Huy Nguyen Consulting" may be one
  person's business; inside a hospital's, university's or airport's it is no customer's ("Queen Elizabeth
  Hospital", ``PUBLIC_INSTITUTION_WORDS``). Single words ("Chase", "Dell") stay names unless a commerce noun
  follows: a customer may be called that.
- **fragments of a longer number**: a credit card found by Presidio's regex inside a longer dashed or dotted
  digit chain ("840-6862294-1617607", an order number) is part of that chain, not a card; the whole-run shape
  recognisers still see the chain as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex
from presidio_analyzer import RecognizerResult

from streams.redact.organisations import INSTITUTION_WORDS, is_public_institution, organisation_spans
from streams.redact.recognizers.phone import nearest_keyword

__all__ = [
    "COMMERCE_NOUNS",
    "DETERMINED_COMMERCE_NOUNS",
    "MONTH_WORDS",
    "PERSON_NAMED_BRANDS",
    "BANK_WORDS",
    "BIRTH_WORDS",
    "SSN_WORDS",
    "COUNT_WORDS",
    "FEAST_WORDS",
    "TIME_UNITS",
    "UNITS",
    "VEHICLE_MAKES",
    "WEEKDAY_WORDS",
    "VERSION_WORDS",
    "drop_impossible",
]

#: Nouns that follow a shop or brand, never a person ("the Ford store", "Mercedes dealer", "Jordan trainers").
#: Nouns that may follow a person's name ("the Kumar booking", "Tom Jones order 1234") are not here.
COMMERCE_NOUNS: tuple[str, ...] = (
    "store", "stores", "shop", "shops", "outlet", "outlets", "showroom", "dealer", "dealers", "dealership",
    "franchise", "voucher", "vouchers", "coupon", "coupons", "giftcard", "gift card", "gift cards", "loyalty card",
    "hotel", "hotels", "resort", "app", "website", "webshop", "online shop", "trainers", "sneakers", "shoes",
    "boots", "jacket", "jeans", "handbag", "perfume", "laptop", "laptops", "catalogue", "catalog", "products",
    "warranty", "customer service", "customer care", "brand", "logo", "loyalty points", "rewards", "stock",
    "charger", "chargers", "handbags", "dealership", "headphones", "earbuds", "smartwatch", "fridge", "dishwasher",
)  # fmt: skip
#: Nouns that make a brand only after a determiner before the name ("your Jordan order", "my Ford car").
DETERMINED_COMMERCE_NOUNS: tuple[str, ...] = (
    "order", "orders", "car", "watch", "bag", "delivery", "purchase", "service", "phone", "laptop", "tv", "card",
)  # fmt: skip
#: Units and currency words written next to a number ("100 Mbps", "Rs. 4,750"): never a name.
UNITS: tuple[str, ...] = (
    "mbps", "gbps", "kbps", "mb", "gb", "tb", "kb", "kwh", "mah", "ghz", "mhz", "hz", "mm", "cm", "km", "kg",
    "mg", "ml", "lbs", "oz", "psi", "rpm", "fps", "dpi", "mph", "kmh", "kph", "rs", "rp", "ksh", "kes", "ngn",
    "ghs", "zar", "aed", "sar", "egp", "inr", "pkr", "php", "idr", "myr", "thb", "vnd", "brl", "mxn", "cop",
    "ars", "clp", "pen", "usd", "eur", "gbp", "naira", "rupees", "rupiah", "baht", "dirham", "dirhams", "riyal",
)  # fmt: skip
#: Brands and shops named after people, written as people write them: a PERSON finding inside one is a brand.
#: Only phrases of two words or more (one word, "Chase", "Dell", could be anyone: see the commerce nouns).
PERSON_NAMED_BRANDS: tuple[str, ...] = (
    "Calvin Klein", "Kate Spade", "Ralph Lauren", "Tommy Hilfiger", "Louis Vuitton", "Hugo Boss", "Ted Baker",
    "Michael Kors", "Tory Burch", "Vera Wang", "Yves Saint Laurent", "Christian Dior", "Giorgio Armani",
    "Dolce & Gabbana", "Jimmy Choo", "Paul Smith", "Stella McCartney", "Estée Lauder", "Estee Lauder",
    "Marks & Spencer", "Marks and Spencer", "John Lewis", "Harvey Norman", "Harvey Nichols", "Jack Wills",
    "Ben & Jerry's", "Wells Fargo", "Morgan Stanley", "Goldman Sachs", "Charles Schwab", "Merrill Lynch",
    "Johnson & Johnson", "Procter & Gamble", "Aston Martin", "Alfa Romeo", "Harley-Davidson", "Harley Davidson",
    "Rolls-Royce", "Rolls Royce", "Mercedes-Benz", "Mercedes Benz", "Johnnie Walker", "Jack Daniel's",
    "Jim Beam", "Captain Morgan", "Victoria's Secret", "Abercrombie & Fitch", "Barnes & Noble", "Lord & Taylor",
    "Dr. Martens", "Dr Martens", "Tommy Bahama", "Ashley Furniture", "Michael Hill", "Noel Leeming", "Mr Price",
    "Pick n Pay", "Trader Joe's", "Papa John's", "Dick's Sporting Goods", "Bed Bath & Beyond", "Sainsbury's",
    "Tim Hortons", "Dunkin' Donuts", "Ray-Ban", "Ray Ban", "Levi Strauss", "Levi's", "Martha Stewart",
    "Walt Disney", "Jamie Oliver", "Gordon Ramsay", "Jo Malone", "Bobbi Brown", "Anne Klein", "Marc Jacobs",
    "Oscar de la Renta", "Carolina Herrera", "Paco Rabanne", "Jean Paul Gaultier", "Kenneth Cole", "Steve Madden",
    # finance, law, services
    "Edward Jones", "Raymond James", "John Hancock", "T. Rowe Price", "T Rowe Price", "JP Morgan", "J.P. Morgan",
    "JPMorgan Chase", "Credit Suisse", "Ernst & Young", "Allen & Overy", "Kirkland & Ellis", "Baker McKenzie",
    "Clifford Chance", "Slaughter and May", "Herbert Smith Freehills", "Freshfields Bruckhaus Deringer",
    "William Hill", "Paddy Power", "Black & Decker", "Stanley Black & Decker", "John Deere", "Philip Morris",
    # fashion, beauty, home
    "Karl Lagerfeld", "Salvatore Ferragamo", "Roberto Cavalli", "Donna Karan", "Alexander McQueen",
    "Vivienne Westwood", "Jil Sander", "Tom Ford", "Tom Tailor", "Jack & Jones", "Jack Wolfskin", "Pierre Cardin",
    "Nina Ricci", "Charles & Keith", "Ben Sherman", "Fred Perry", "Eddie Bauer", "Ann Taylor", "Massimo Dutti",
    "Charles Tyrwhitt", "Max Factor", "Elizabeth Arden", "Helena Rubinstein", "Charlotte Tilbury",
    "Laura Mercier", "Peek & Cloppenburg", "Bang & Olufsen", "Hunter Douglas", "Crate & Barrel",
    "Williams-Sonoma", "Williams Sonoma", "Sherwin-Williams", "Sherwin Williams", "Benjamin Moore",
    "Tiffany & Co", "Tiffany & Co.", "El Corte Inglés", "El Corte Ingles", "Albert Heijn", "Dollar General",
    # food and drink
    "Dr Pepper", "Dr. Pepper", "Dr Oetker", "Dr. Oetker", "Mr Muscle", "Mr. Clean", "Betty Crocker",
    "Duncan Hines", "Sara Lee", "Uncle Ben's", "Chef Boyardee", "Little Caesars", "Jimmy John's",
    "Baskin-Robbins", "Baskin Robbins", "Krispy Kreme", "Dairy Queen", "Carl's Jr", "Ruby Tuesday",
    "Olive Garden", "Paris Baguette", "Don Julio", "Jose Cuervo", "José Cuervo", "Grey Goose", "Dom Pérignon",
    "Moët & Chandon", "Veuve Clicquot", "Stella Artois", "Häagen-Dazs",
)  # fmt: skip
#: Vehicle makes: the capitalised word after one is a model ("Hyundai Tucson", "Honda City", "Toyota Vios"),
#: which name recognisers read as a person or a town.
VEHICLE_MAKES: tuple[str, ...] = (
    "Toyota", "Honda", "Hyundai", "Kia", "Suzuki", "Maruti", "Nissan", "Mazda", "Mitsubishi", "Subaru", "Lexus",
    "Ford", "Chevrolet", "Chevy", "Volkswagen", "VW", "BMW", "Audi", "Mercedes", "Mercedes-Benz", "Peugeot",
    "Renault", "Fiat", "Tata", "Mahindra", "Skoda", "Škoda", "Seat", "Dacia", "Opel", "Vauxhall", "Citroën",
    "Citroen", "Jeep", "Dodge", "Chrysler", "Buick", "Cadillac", "GMC", "Tesla", "Volvo", "Proton", "Perodua",
    "Geely", "BYD", "Chery", "Isuzu", "Daihatsu", "Lada", "Porsche", "Jaguar", "Mini", "Infiniti", "Acura",
)  # fmt: skip
#: Month names and abbreviations in the languages customers write: beside a day or a year they are a date.
MONTH_WORDS: tuple[str, ...] = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "setiembre", "octubre",
    "noviembre", "diciembre", "janeiro", "fevereiro", "março", "maio", "junho", "julho", "setembro", "outubro",
    "novembro", "dezembro", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre", "januar", "jänner", "februar", "märz", "juni", "juli", "oktober",
    "dezember", "gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre",
    "dicembre", "januari", "februari", "maart", "mei", "augustus", "augusti", "maj", "stycznia", "lutego",
    "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada",
    "grudnia", "ocak", "şubat", "nisan", "mayıs", "haziran", "temmuz", "ağustos", "eylül", "ekim", "kasım",
    "aralık", "maret", "agustus", "desember", "mart", "ιανουάριος", "φεβρουάριος", "μάρτιος", "απρίλιος",
    "μάιος", "ιούνιος", "ιούλιος", "αύγουστος", "σεπτέμβριος", "οκτώβριος", "νοέμβριος", "δεκέμβριος",
    "ιανουαρίου", "φεβρουαρίου", "μαρτίου", "απριλίου", "μαΐου", "ιουνίου", "ιουλίου", "αυγούστου",
    "σεπτεμβρίου", "οκτωβρίου", "νοεμβρίου", "δεκεμβρίου",
)  # fmt: skip
#: Weekdays: never a person or a place ("Dienstag, 14.05.", "tisdag"). "Domingo" and "Domenica" are names too
#: and are left out.
WEEKDAY_WORDS: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "lunes", "martes", "miércoles",
    "miercoles", "jueves", "viernes", "sábado", "sabado", "segunda-feira", "terça-feira", "quarta-feira",
    "quinta-feira", "sexta-feira", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "lunedì", "martedì",
    "mercoledì", "giovedì", "venerdì", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag",
    "zondag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag", "poniedziałek", "wtorek",
    "środa", "czwartek", "piątek", "sobota", "niedziela", "pazartesi", "salı", "çarşamba", "perşembe",
    "cumartesi",
)  # fmt: skip
#: Feasts and seasons people mention with a capital: never a person ("open during Ramadan", "dịp Tết").
FEAST_WORDS: tuple[str, ...] = (
    "ramadan", "ramazan", "iftar", "suhoor", "eid", "diwali", "deepavali", "holi", "navratri", "onam", "pongal",
    "tết", "tet", "hanukkah", "chanukah", "christmas", "xmas", "easter", "navidad", "pascua", "nowruz", "vesak",
    "songkran", "lebaran", "thanksgiving", "halloween",
)  # fmt: skip
#: Time units after a count ("5 dias úteis", "zwei Wochen", "due mesi"), and the counts written as words: a count
#: with its unit is a duration, not a person ("Dias" alone is a surname: only after a count is it a unit).
TIME_UNITS: tuple[str, ...] = (
    "days", "weeks", "months", "hours", "minutes", "dias", "días", "dia", "día", "semanas", "semana", "meses",
    "mes", "horas", "minutos", "úteis", "uteis", "hábiles", "habiles", "corridos", "tage", "tagen", "wochen",
    "woche", "monate", "monaten", "stunden", "minuten", "jours", "semaines", "mois", "heures", "giorni",
    "settimane", "mesi", "ore", "minuti", "dagen", "weken", "maanden", "uur", "dni", "tygodni", "tygodnie",
    "miesięcy", "godzin", "dagar", "veckor", "månader", "timmar", "gün", "hafta", "saat", "hari", "minggu", "bulan",
    "jam",
)  # fmt: skip
COUNT_WORDS: tuple[str, ...] = (
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "dos", "tres", "cuatro", "cinco",
    "seis", "siete", "ocho", "nueve", "diez", "dois", "duas", "três", "quatro", "sete", "oito", "nove", "dez",
    "deux", "trois", "quatre", "cinq", "sept", "huit", "neuf", "dix", "zwei", "drei", "vier", "fünf", "sechs",
    "sieben", "acht", "neun", "zehn", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "dieci", "twee",
    "drie", "vijf", "zes", "zeven", "negen", "tien", "dwa", "trzy", "cztery", "pięć", "iki", "üç", "dört", "beş",
    "två", "fyra", "fem", "dua", "tiga", "empat", "lima",
)  # fmt: skip

#: Words that make a nine-digit group an SSN whatever identifier word stands further back.
SSN_WORDS = frozenset({"ssn", "social", "security", "ss#", "ssn#", "itin", "tin", "taxpayer"})
#: Words that make a number a bank account, or a date a birth date, whatever identifier word stands further back.
BANK_WORDS = frozenset({"account", "acct", "acc", "routing", "bank", "checking", "savings", "aba", "konto"})
BIRTH_WORDS = frozenset({"born", "birth", "dob", "birthday", "d.o.b", "geboren", "né", "née", "nacido", "nacida"})
#: Words before a dotted quad that make it a version ("firmware 2.4.1.8"), not an IP address.
VERSION_WORDS = frozenset(
    {"version", "ver", "v", "firmware", "fw", "build", "release", "bios", "driver", "ios", "android", "app", "update"}
)
_NO_WORDS: frozenset[str] = frozenset()
#: The word right before a finding (a version word must stand there: "firmware 2.4.1.8", not "app … from 192.0.2.15").
_WORDS_BEFORE = regex.compile(r"([\p{L}]+)[ \t:#]*$")
_OWN_WORDS = {"US_SSN": SSN_WORDS, "US_BANK_NUMBER": BANK_WORDS, "DATE_OF_BIRTH": BIRTH_WORDS}
_NAMES = frozenset({"PERSON", "LOCATION"})
_PERSON = "PERSON"
_CARD = "CREDIT_CARD"
_PRESIDIO_CARD = "CreditCardRecognizer"
_INTRODUCED = "IntroducedNameRecognizer"
#: A name joined to a number by a hyphen ("1-800-FLOWERS", "AT-HR-2025-00931") is part of a code.
_NUMBER_HYPHEN_BEFORE = regex.compile(r"\d-$")
_HYPHEN_NUMBER_AFTER = regex.compile(r"-\d")
#: A character that continues a word of a spaced script: a Latin/Greek/Cyrillic/... letter, a digit, or ``_``.
_SPACED_WORD_CHAR = regex.compile(r"[\d_]|(?![\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}])\p{L}")
_MONTHS = frozenset(w.casefold() for w in MONTH_WORDS)  # casefold: Greek final sigma
_UNITS = frozenset(UNITS)
_DAY_BEFORE = regex.compile(r"(?<![\d.,:/-])\d{1,2}(?:st|nd|rd|th|º|°)?\.?(?:[ \t]+(?i:of|de|del|di))?[ \t]+$")
_DAY_AFTER = regex.compile(
    r"\.?(?:[ \t]+(?i:de|del))?[ \t]+"
    r"(?:\d{1,2}(?:st|nd|rd|th)?(?![\d:.,/-]\d)(?!\d)|'?\d{2}(?!\d)|(?:19|20)\d{2}(?!\d))"
)
_WEEKDAYS = frozenset(WEEKDAY_WORDS)
_FEASTS = frozenset(FEAST_WORDS)
_TIME_UNITS = frozenset(TIME_UNITS)
_COUNTS = frozenset(COUNT_WORDS)
_COUNT_BEFORE = regex.compile(r"(?<![\p{L}\d.,])(?:\d{1,3}|\p{L}+)[ \t]+$")
_UNIT_AFTER = regex.compile(r"[ \t]+(\p{L}+)")
#: A dose after a medicine's name: "20mg", "10 mg", "100 mcg", "0.5 ml", "1,000 IU".
_DOSE_AFTER = regex.compile(r"[ \t]+\d[\d.,]*[ \t]?(?i:mg|mcg|µg|ug|ml|iu|units?)(?![\p{L}\d])")
_FINDING_WORDS = regex.compile(r"[\p{L}\p{M}-]+")
_CHAIN_BEFORE = regex.compile(r"\d[-.]$")
_CHAIN_AFTER = regex.compile(r"[-.]\d")


def _alternation(phrases: Iterable[str]) -> str:
    return "|".join(regex.escape(p).replace(r"\ ", r"[ \t]+") for p in sorted(set(phrases), key=len, reverse=True))


#: "Marks & Spencer voucher": the brand's other names between the finding and the noun.
_PARTNERS = r"(?:[ \t]*(?:&|and)[ \t]+\p{Lu}[\p{L}'’]+)*"
_BRANDS = regex.compile(rf"(?<![\p{{L}}\d])(?i:{_alternation(PERSON_NAMED_BRANDS)})(?![\p{{L}}\d])")
_COMMERCE_AFTER = regex.compile(rf"{_PARTNERS}[ \t]+(?i:{_alternation(COMMERCE_NOUNS)})(?![\p{{L}}\d])")
_DETERMINED_AFTER = regex.compile(rf"[ \t]+(?i:{_alternation(DETERMINED_COMMERCE_NOUNS)})(?![\p{{L}}\d])")
#: A make and the model after it, on the same line: "Hyundai Tucson", "Suzuki Dzire".
_VEHICLE_MODEL = regex.compile(
    rf"(?<![\p{{L}}\d])(?:{_alternation(VEHICLE_MAKES)})[ \t]+\p{{Lu}}[\p{{L}}\d-]*(?:[ \t]+\d[\w-]*)?(?![\p{{L}}\d])"
)
#: A piece of a finding left outside a brand: from its first to its last letter or digit.
_PIECE = regex.compile(r"[\p{L}\p{N}](?:.*[\p{L}\p{N}])?", regex.DOTALL)
_LETTERS = regex.compile(r"\p{L}")
_CAPITALISED_WORD = regex.compile(r"(?<![\p{L}])\p{Lu}\p{L}+")
_MIN_PIECE_LETTERS = 2
_DETERMINER_BEFORE = regex.compile(r"(?<![\p{L}])(?i:the|your|my|our|their|a|an|this|that)[ \t]+$")


def _recognizer(result: RecognizerResult) -> str:
    return (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, "")


def _glued(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return bool(
        (before and _SPACED_WORD_CHAR.match(before) and _SPACED_WORD_CHAR.match(text[start]))
        or (after and _SPACED_WORD_CHAR.match(after) and _SPACED_WORD_CHAR.match(text[end - 1]))
    )


def _hyphened_to_number(text: str, start: int, end: int) -> bool:
    return bool(_NUMBER_HYPHEN_BEFORE.search(text, max(0, start - 2), start) or _HYPHEN_NUMBER_AFTER.match(text, end))


def _dated_month(text: str, start: int, end: int) -> bool:
    word = text[start:end].strip(" .").casefold()
    if word not in _MONTHS:
        return False
    return bool(_DAY_BEFORE.search(text, max(0, start - 12), start) or _DAY_AFTER.match(text, end))


def _calendar_or_count(text: str, result: RecognizerResult) -> bool:
    """A weekday, a feast, or a count with its time unit ("zwei Wochen", "5 dias úteis"): no one's name."""
    words = [w.casefold() for w in _FINDING_WORDS.findall(text[result.start : result.end])]
    if not words:
        return False
    if all(w in _WEEKDAYS or w in _FEASTS for w in words):
        return True
    if all(w in _TIME_UNITS for w in words):
        count = _COUNT_BEFORE.search(text, max(0, result.start - 16), result.start)
        return bool(count and (count.group().strip()[0].isdigit() or count.group().strip().casefold() in _COUNTS))
    if all(w in _COUNTS for w in words):
        unit = _UNIT_AFTER.match(text, result.end)
        return bool(unit and unit.group(1).casefold() in _TIME_UNITS)
    return False


def _brand(text: str, result: RecognizerResult) -> bool:
    """A name before a commerce noun after a determiner ("the Jordan store", "your Jordan order") is a brand or
    a shop: unless a place gazetteer or spaCy also reads it as a place ("the Stockholm store"), which the caller
    keeps (LOCATION findings are never dropped here)."""
    if _recognizer(result) == _INTRODUCED:
        return False
    determiner = _DETERMINER_BEFORE.search(text, max(0, result.start - 8), result.start)
    if not determiner:
        return False
    return bool(_COMMERCE_AFTER.match(text, result.end) or _DETERMINED_AFTER.match(text, result.end))


def _dosed(text: str, result: RecognizerResult) -> bool:
    """One word with a dose after it ("Lipitor 20mg", "it's Eutirox 100 mcg") is a medicine, even after a word
    that often introduces a name; a name of two words stays."""
    if " " in text[result.start : result.end].strip():
        return False
    return _DOSE_AFTER.match(text, result.end) is not None


def _chain_fragment(text: str, result: RecognizerResult) -> bool:
    if _recognizer(result) != _PRESIDIO_CARD:
        return False
    before = _CHAIN_BEFORE.search(text, max(0, result.start - 2), result.start)
    return bool(before or _CHAIN_AFTER.match(text, result.end))


def _labelled_otherwise(text: str, result: RecognizerResult, identifier_words: frozenset[str]) -> bool:
    """An SSN-shaped number after "ticket"/"order" with no SSN word nearer, or a dotted quad after "firmware"."""
    own_words = _OWN_WORDS.get(result.entity_type)
    if own_words is not None:
        return nearest_keyword(text, result.start, own_words, identifier_words) == "id"
    if result.entity_type == "IP_ADDRESS" and ":" not in text[result.start : result.end]:
        before = _WORDS_BEFORE.search(text, max(0, result.start - 24), result.start)
        return bool(before and before.group(1).casefold() in VERSION_WORDS)
    return False


def _impossible(text: str, result: RecognizerResult, identifier_words: frozenset[str]) -> bool:
    if result.entity_type in _NAMES and (
        _glued(text, result.start, result.end) or _hyphened_to_number(text, result.start, result.end)
    ):
        return True
    if _labelled_otherwise(text, result, identifier_words):
        return True
    if result.entity_type in _NAMES and _calendar_or_count(text, result):
        return True
    if result.entity_type in _NAMES and _dated_month(text, result.start, result.end):
        return True
    if result.entity_type == _PERSON:
        if text[result.start : result.end].casefold() in _UNITS:
            return True
        if _dated_month(text, result.start, result.end) or _brand(text, result) or _dosed(text, result):
            return True
    return result.entity_type == _CARD and _chain_fragment(text, result)


def _brand_spans(text: str) -> list[tuple[int, int]]:
    """Listed brands and vehicle models in ``text``: names that belong to no person."""
    return [b.span() for b in _BRANDS.finditer(text)] + [v.span() for v in _VEHICLE_MODEL.finditer(text)]


def _full_name(text: str, result: RecognizerResult) -> bool:
    """A PERSON of two capitalised words or more ("Huy Nguyen"): inside an organisation's name it may still be
    its owner's ("Huy Nguyen Consulting", a sole trader), so recall first keeps it."""
    words = _CAPITALISED_WORD.findall(text[result.start : result.end])
    return result.entity_type == _PERSON and len([w for w in words if w not in INSTITUTION_WORDS]) >= 2


def _outside_names(
    text: str, result: RecognizerResult, brands: list[tuple[int, int]], organisations: list[tuple[int, int]]
) -> list[RecognizerResult]:
    pieces = _outside(text, result, brands) if brands else [result]
    if not organisations:
        return pieces
    public = [(s, e) for s, e in organisations if is_public_institution(text[s:e])]
    out = []
    for piece in pieces:
        if _full_name(text, piece):
            out.extend(_outside(text, piece, public) if public else [piece])
        else:
            out.extend(_outside(text, piece, organisations))
    return out


def _outside(text: str, result: RecognizerResult, covers: list[tuple[int, int]]) -> list[RecognizerResult]:
    """``result`` without the parts inside ``covers``: itself when it touches none, nothing when no word of it is
    left, else the pieces outside that still hold two letters."""
    cut = sorted((max(s, result.start), min(e, result.end)) for s, e in covers if s < result.end and result.start < e)
    if not cut:
        return [result]
    pieces, position = [], result.start
    for start, end in [*cut, (result.end, result.end)]:
        if start > position:
            pieces.append((position, start))
        position = max(position, end)
    out = []
    for start, end in pieces:
        piece = _PIECE.search(text, start, end)
        if piece and len(_LETTERS.findall(piece.group())) >= _MIN_PIECE_LETTERS:
            out.append(
                RecognizerResult(
                    result.entity_type,
                    piece.start(),
                    piece.end(),
                    result.score,
                    result.analysis_explanation,
                    result.recognition_metadata,
                )
            )
    return out


def drop_impossible(
    text: str, results: list[RecognizerResult], identifier_words: frozenset[str] = _NO_WORDS
) -> list[RecognizerResult]:
    """``results`` without the findings the module doc's rules prove impossible; ``identifier_words`` are the
    configured words that name an identifier ("order", "ticket": ``phone_identifier_words``)."""
    possible = [r for r in results if not _impossible(text, r, identifier_words)]
    if not any(r.entity_type in _NAMES for r in possible):
        return possible
    brands, organisations = _brand_spans(text), organisation_spans(text)
    if not brands and not organisations:
        return possible
    return [
        piece
        for r in possible
        for piece in (_outside_names(text, r, brands, organisations) if r.entity_type in _NAMES else [r])
    ]
