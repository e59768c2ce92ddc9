"""Findings that cannot be what they say, dropped after every recogniser has spoken.

Each rule here looks at one finding in its text and removes it only when the text proves it is no personal data
of that type. They run on all recognisers' findings at once (``FastAnalyzer._finish``), so one rule covers spaCy,
the gazetteer and the position rules alike:

- **glued names**: a PERSON or LOCATION that starts or ends inside a Latin-script word or number is a piece of a
  code ("IS" of ``ISe4ec33…``, "CH" of a SID, "GB" of a tracking number). Scripts written without spaces (Han,
  kana, Hangul, Thai) are exempt: there a name touches the next word.
- **month + day**: a PERSON that is a month name or abbreviation beside a day number or before a year is a date
  ("before 5 Mar", "on 1 Jan", "Jan 5", "bought Jan 2024"), although Jan and Mar are given names too.
- **brands**: a PERSON with a determiner before it and a commerce or order noun after it ("the Jordan store",
  "your Jordan order", "my Dell charger") is a brand or a shop. A name found after an introducer ("my name is
  …") is always kept, nouns that follow people too ("the Kumar booking", "account", "case") are no commerce
  nouns, and a place found as LOCATION ("the Stockholm store") is never dropped here.
- **labelled as something else**: an SSN, bank account number or birth date whose nearest keyword is an
  identifier word ("ticket 219-44-8810", "ref #77382911", "born 12/03/1980 and the order was on 12/03/2025")
  with no word of its own type nearer ("ssn", "account", "born"), or a dotted quad right after a version word
  ("firmware 2.4.1.8").
- **units**: a PERSON that is a unit of measure or a currency ("100 Mbps", "Rs. 4,750") is none.
- **brands named after people**: a PERSON inside a listed brand of two words or more ("Calvin Klein boxers",
  "ordered from Mr Price") is the brand. Single words ("Chase", "Dell") stay names unless a commerce noun
  follows: a customer may be called that.
- **fragments of a longer number**: a credit card found by Presidio's regex inside a longer dashed or dotted
  digit chain ("840-6862294-1617607", an order number) is part of that chain, not a card; the whole-run shape
  recognisers still see the chain as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex
from presidio_analyzer import RecognizerResult

from streams.redact.recognizers.phone import nearest_keyword

__all__ = [
    "COMMERCE_NOUNS",
    "DETERMINED_COMMERCE_NOUNS",
    "MONTH_WORDS",
    "PERSON_NAMED_BRANDS",
    "BANK_WORDS",
    "BIRTH_WORDS",
    "SSN_WORDS",
    "UNITS",
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
)  # fmt: skip
MONTH_WORDS: tuple[str, ...] = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
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
#: A character that continues a word of a spaced script: a Latin/Greek/Cyrillic/... letter, a digit, or ``_``.
_SPACED_WORD_CHAR = regex.compile(r"[\d_]|(?![\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}])\p{L}")
_MONTHS = frozenset(MONTH_WORDS)
_UNITS = frozenset(UNITS)
_DAY_BEFORE = regex.compile(r"(?<![\d.,:/-])\d{1,2}(?:st|nd|rd|th)?\.?(?:[ \t]+(?i:of))?[ \t]+$")
_DAY_AFTER = regex.compile(
    r"\.?[ \t]+(?:\d{1,2}(?:st|nd|rd|th)?(?![\d:.,/-]\d)(?!\d)|'?\d{2}(?!\d)|(?:19|20)\d{2}(?!\d))"
)
_CHAIN_BEFORE = regex.compile(r"\d[-.]$")
_CHAIN_AFTER = regex.compile(r"[-.]\d")


def _alternation(phrases: Iterable[str]) -> str:
    return "|".join(regex.escape(p).replace(r"\ ", r"[ \t]+") for p in sorted(set(phrases), key=len, reverse=True))


#: "Marks & Spencer voucher": the brand's other names between the finding and the noun.
_PARTNERS = r"(?:[ \t]*(?:&|and)[ \t]+\p{Lu}[\p{L}'’]+)*"
_BRANDS = regex.compile(rf"(?<![\p{{L}}\d])(?i:{_alternation(PERSON_NAMED_BRANDS)})(?![\p{{L}}\d])")
_COMMERCE_AFTER = regex.compile(rf"{_PARTNERS}[ \t]+(?i:{_alternation(COMMERCE_NOUNS)})(?![\p{{L}}\d])")
_DETERMINED_AFTER = regex.compile(rf"[ \t]+(?i:{_alternation(DETERMINED_COMMERCE_NOUNS)})(?![\p{{L}}\d])")
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


def _dated_month(text: str, start: int, end: int) -> bool:
    word = text[start:end].strip(" .").casefold()
    if word not in _MONTHS:
        return False
    return bool(_DAY_BEFORE.search(text, max(0, start - 12), start) or _DAY_AFTER.match(text, end))


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
    if result.entity_type in _NAMES and _glued(text, result.start, result.end):
        return True
    if _labelled_otherwise(text, result, identifier_words):
        return True
    if result.entity_type == _PERSON:
        if text[result.start : result.end].casefold() in _UNITS:
            return True
        if _dated_month(text, result.start, result.end) or _brand(text, result):
            return True
        if any(b.start() <= result.start and result.end <= b.end() for b in _BRANDS.finditer(text)):
            return True
    return result.entity_type == _CARD and _chain_fragment(text, result)


def drop_impossible(
    text: str, results: list[RecognizerResult], identifier_words: frozenset[str] = _NO_WORDS
) -> list[RecognizerResult]:
    """``results`` without the findings the module doc's rules prove impossible; ``identifier_words`` are the
    configured words that name an identifier ("order", "ticket": ``phone_identifier_words``)."""
    return [r for r in results if not _impossible(text, r, identifier_words)]
