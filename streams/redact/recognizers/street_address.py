"""Street addresses in the orders people write them: "221B Baker Street", "Flat 3, 12 Acacia Avenue", "12, rue de
Rivoli", "Calle Mayor 5", "Via Roma, 12", "ul. Kwiatowa 12/4", "Hauptstraße 5", "Keizersgracht 123",
"東京都千代田区丸の内1丁目2番3号", plus the postcode-and-city line that follows them ("75001 Paris", "SW1A 1AA").

spaCy's small model finds cities, not house numbers, and no single library covers these formats (``usaddress``
parses one known US address; ``pyap`` detects US/CA/GB only: ``bench/address_libraries.py`` measures both
against this recogniser). The word tables are postal standards (``street_words.py``); the patterns are the
orders those standards use:

1. house number + street words + suffix ("1600 Pennsylvania Avenue NW", "987 Anderson Union Apt. 4"), also led
   by a unit ("Flat 32 90 Sanders End") or with the unit instead of a number ("Studio 3\\nTucker Burg");
2. house number + street type + name ("9, avenue Gilles Jourdan");
3. street type + name + house number ("Calle de Alcalá, 23", "aleja Skargi 13/24"), or without the number where
   the type is no English word ("rue de Rivoli");
4. compound or two-word street name + number ("Hans-Gerhard-Steuer-Ring 818", "Berliner Straße 5", "Am Markt 3");
5. Japanese block addresses (chōme / ban / gō, in kanji or romanised);
6. postcodes with their city, in the formats of the countries above.

Street words must be capitalised unless the suffix is no ordinary English word ("12 baker street" is an address,
"3 day pass" is not), and compound names that are English words ("Offering 2", "Keypad 3") are rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import regex
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

from streams.redact.prefilter import COMMON_WORDS
from streams.redact.recognizers.address_clause import AddressClauses, might_hold_introducer
from streams.redact.recognizers.address_extent import AddressExtent
from streams.redact.recognizers.cued_street import CuedStreets
from streams.redact.recognizers.name_words import COMPANY_DESIGNATORS, NOT_NAMES
from streams.redact.recognizers.street_words import (
    ADDRESS_CUES,
    BUILDING_WORDS,
    CALENDAR_WORDS,
    CHAIN_UNITS,
    COMPOUND_ENDINGS,
    COUNTER_WORDS,
    DIRECTIONALS,
    DOOR_SIDES,
    FLOOR_WORDS,
    LOWERCASE_SAFE_SUFFIXES,
    NAME_PARTICLES,
    NOT_STREET_NAMES,
    PREFIX_TYPES,
    PREFIX_TYPES_WITHOUT_NUMBER,
    SUFFIXES,
    UNIT_DESIGNATORS,
)

__all__ = ["ENTITY", "StreetAddressRecognizer", "might_hold_address"]

ENTITY = "STREET_ADDRESS"


def _alternation(words: tuple[str, ...]) -> str:
    """Longest first, so the regex prefers "de la" to "de"; spaces inside a phrase match any run of spaces."""
    return "|".join(regex.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True))


_SUFFIX = _alternation(SUFFIXES)
_LOWER_SUFFIX = _alternation(LOWERCASE_SAFE_SUFFIXES)
_UNIT = _alternation(UNIT_DESIGNATORS)
_DIRECTION = _alternation(DIRECTIONALS)
_PARTICLE = _alternation(NAME_PARTICLES)
_PREFIX = _alternation(PREFIX_TYPES)
_PREFIX_ALONE = _alternation(PREFIX_TYPES_WITHOUT_NUMBER)
_ENDING = _alternation(COMPOUND_ENDINGS)
#: After a street type, a word that makes the phrase English ("via Email 2 times").
_NOT_NAME = rf"(?!(?i:{_alternation(NOT_STREET_NAMES)})(?![\p{{L}}\d]))"
_COUNTERS = frozenset(COUNTER_WORDS)
_WORD_BEFORE = regex.compile(r"([\p{L}]+)[ \t]*[#:]?[ \t]*$")
_GATE = regex.compile(r"\d|\p{Hangul}")
_S = r"[ \t\u00a0]"
#: A capitalised street word ("Baker", "O'Connell", "Saint-Germain", "St.") or an ordinal ("5th", "42nd").
_WORD = r"(?:\p{Lu}[\p{L}\p{M}'’.-]*|\d{1,3}(?:st|nd|rd|th|e|er|ª|º)\b)"
_LOWER_WORD = r"\p{Ll}[\p{L}\p{M}'’-]*"
#: Street words, with lower-case particles only between two of them ("Calle de Alcalá", "Via dei Mille").
_WORDS = rf"{_WORD}(?:{_S}+(?:(?i:{_PARTICLE}){_S}+)*{_WORD}){{0,4}}"
#: A name that may open with particles ("rue de la Paix": "de la Paix").
_NAME = rf"(?:(?i:{_PARTICLE}){_S}*)*{_WORDS}"
#: The same in lower case, as customers type whole messages ("rue michaud", "vial de delia bejarano").
_LOWER_NAME = rf"(?:(?i:{_PARTICLE}){_S}+)*{_LOWER_WORD}(?:{_S}+(?:(?i:{_PARTICLE}){_S}+)*{_LOWER_WORD}){{0,3}}"
#: "221B", "12-14", "98/77", "40-20", "3 bis", "12a": the house number and what people attach to it.
_NUMBER = (
    r"\d{1,6}(?:\p{L}(?![\p{L}\d]))?(?:[-/]\d{1,5}\p{L}?(?![\p{L}\d])){0,2}(?:\s?(?:bis|ter|quater)\b)?"
    r"(?:-(?:I{1,3}|IV|hs|huis|boven|bg)(?![\p{L}\d]))?"
)
_NUMBER_START = r"(?<![\p{L}\d.,/#$€£¥₹@+:-])"
_UNIT_TAIL = (
    rf"(?:(?:,|{_S}-)?{_S}+(?i:{_UNIT})\.?{_S}*[#:]?{_S}*(?:\d{{1,5}}\p{{L}}?(?:/(?:\p{{L}}{{1,3}}{_S}?)?\d{{1,4}})?|[A-Z])"
    r"(?![\p{L}\d]))"
    r"{0,5}"
)
#: Two or more unit words with their numbers in a row (``CHAIN_UNITS``): "Tower B, Flat 1204", "blk 4 lot 12",
#: "flat 5 2nd floor", "Bloco C apto 204". At least one of them is a unit word proper, not a counting noun.
_CHAIN_ID = r"(?:\d{1,5}(?:-?\p{L}(?![\p{L}\d]))?(?:[-/.]\d{1,4}\p{L}?)?|\p{Lu}(?:-?\d{1,3})?)(?![\p{L}\d])"
_CHAIN_ELEMENT = (
    rf"(?:(?i:{_alternation(CHAIN_UNITS)})(?:\.|{_S}|(?=\d)|(?=[#:]))(?:\.|{_S})*(?:(?i:n[º°o]\.?|#|:){_S}*)?{_CHAIN_ID}"
    rf"|\d{{1,2}}(?:st|nd|rd|th|º|ª|°|\.)?{_S}*(?i:{_alternation(FLOOR_WORDS)})\.?(?![\p{{L}}\d]))"
)
_CHAIN_GAP = rf"(?:{_S}*[,;]{_S}*|{_S}+-{_S}+|{_S}+)"
_UNIT_CHAIN = regex.compile(
    rf"(?<![\p{{L}}\d]){_CHAIN_ELEMENT}(?:{_CHAIN_GAP}{_CHAIN_ELEMENT})+"
    rf"(?:{_S}+(?i:{_alternation(DOOR_SIDES)})(?![\p{{L}}\d]))?"
)
_UNITS_IN_A_ROW = rf"{_CHAIN_ELEMENT}(?:{_CHAIN_GAP}{_CHAIN_ELEMENT})*"
_BUILDING = rf"(?i:{_alternation(BUILDING_WORDS)})\.?"
_BUILDING_NAME_WORD = r"[\p{L}][\p{L}\p{M}'’-]*"
_BUILDING_NAME = rf"{_BUILDING_NAME_WORD}(?:{_S}+{_BUILDING_NAME_WORD}){{0,2}}"
#: A named building beside its flat, floor or room: "Torre Coral depto 1104", "Sarit View Apts 4th floor",
#: "résidence Nour imm 4 appt 12", "bldg 3 unit 5c sampaguita condo". The name is the group ``name``.
_NAMED_BUILDING = regex.compile(
    rf"(?<![\p{{L}}\d])(?:(?P<name>{_BUILDING_NAME}){_S}+{_BUILDING}|{_BUILDING}{_S}+(?P<name>{_BUILDING_NAME}))"
    rf"{_CHAIN_GAP}{_UNITS_IN_A_ROW}"
    rf"|(?<![\p{{L}}\d]){_UNITS_IN_A_ROW}{_CHAIN_GAP}(?P<name>{_BUILDING_NAME}){_S}+{_BUILDING}(?![\p{{L}}\d])"
)
#: A lower-case street line: a house number, one to three lower-case words, a street suffix ("27 holloway close",
#: "1187 elmwood dr", "12 ngong rd"). It counts only when a word of the name is no English word (below).
_LOWER_STREET = regex.compile(
    rf"{_NUMBER_START}\d{{1,5}}\p{{Ll}}?,?{_S}+((?:\p{{Ll}}[\p{{Ll}}'’-]+{_S}+){{1,3}})(?i:{_SUFFIX})\.?(?![\p{{L}}\d])"
    rf"(?:,?{_S}+(?i:{_UNIT})\.?{_S}*#?{_S}*(?:\d{{1,5}}\p{{L}}?|\p{{L}})(?![\p{{L}}\d]))?"
)
_INFLECTIONS = ("s", "es", "ed", "ing", "er", "ers")
_COUNTING_ELEMENT = regex.compile(r"^(?i:phase|sector|street|st|road|rd|lane|gali|zone)\b")
_CARDINAL = "sur|norte|este|oeste|bis"
#: Mexican addresses give the interior number after the exterior one ("Cerrada Marín 777 406").
_SECOND_NUMBER = rf"(?:{_S}+\d{{1,5}}(?![\p{{L}}\d]))?"
_HOUSE_NO_MARK = r"(?:(?i:n[º°o]\.?|nr\.?|no[.:]?|#|д\.|дом)\s*)?"
_KANJI = r"[\p{Han}\p{Hiragana}\p{Katakana}ー々ヶケ]"
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH"
    "|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI|AS|MP|AA|AE|AP|NSW|VIC|QLD|TAS|ACT|NT|SA|"
    "ON|QC|BC|AB|MB|SK|NS|NB|NL|PE|YT|NU"
)
#: US state and Australian state codes in lower case, minus those that are English words ("in", "or", "me", "hi").
_LOWER_STATES = (
    "al|ak|az|ar|ca|ct|dc|fl|ga|ia|il|ks|ky|md|mi|mn|ms|mt|nc|nd|nh|nj|nm|nv|ny|ri|sc|sd|tn|tx|ut|vt|va|wv|wi|wy|"
    "nsw|vic|qld|tas|act|nt|wa|sa"
)
_ZIP = r"(?:\d{4,5}(?:-\d{4})?|[A-Z]\d[A-Z]\s?\d[A-Z]\d)"
#: Postcodes written before the city, by country: DE/FR/ES/IT/US 5 digits (optionally "DK-", "F-"), NL "1016 GV",
#: PL "00-950", BR "01310-100", JP "100-0005", SE/CZ "111 36", AT/BE/CH/DK/NO/AU 4 digits.
_POSTCODE = r"(?:(?:[A-Z]{1,2}-)?\d{4,5}|\d{2}-\d{3}|\d{4}\s?[A-Z]{2}|\d{5}-\d{3}|\d{3}-\d{4}|\d{3}\s\d{2})"
_POSTCODE_WORDS = (
    "post code|postcode|postal code|zip code|zipcode|zip|plz|postleitzahl|code postal|c\\.p\\.|cp|cap|"
    "código postal|cep|pin code|pincode|pin|postnummer|kod pocztowy|psč|posta kodu"
)
_CITY_WORD = r"\p{Lu}[\p{L}\p{M}'’.-]+"
_CITY = rf"{_CITY_WORD}(?:[ -](?:(?:de|del|la|le|sur|am|an|der|di|do|da|im)[ -])?{_CITY_WORD}){{0,3}}"
#: A city in title case ("Navi Mumbai"), never a code in capitals ("DS-220419", "TCK-883102").
_TITLE_CITY = r"\p{Lu}\p{Ll}[\p{L}\p{M}'’.-]*(?:[ -]\p{Lu}\p{Ll}[\p{L}\p{M}'’.-]*){0,2}"
_LINE_START = r"(?:(?<=^)|(?<=[,\n;(])[ \t]*|(?<=\n))"

#: English words that end like a compound street name ("Offering", "Keypad", "During"): not streets.
_ENGLISH_LOOKALIKE = regex.compile(
    r"(?:ering|uring|aring|iring|monitoring|authoring|coloring|colouring|scoring|storing|exploring|ignoring|"
    r"restoring|mentoring|tutoring|flooring|boring|mooring|anchoring|honoring|favoring|factoring|sponsoring|"
    r"touring|keypad|notepad|trackpad|launchpad|touchpad|scratchpad|iceberg|newsfeed|brigade|backyard|"
    r"program|instagram|hologram|kilogram|telegram|diagram|amsterdam)$",
    regex.IGNORECASE,
)

_STRONG, _MEDIUM, _WEAK = 0.6, 0.5, 0.3
#: English words among the name particles that would carry an address into the sentence after it ("… on 8/1").
#: Street words this short can be written with a dot that ends no sentence ("Depto. 209", "Edif. 774").
_ABBREVIATION = 6
_NOT_EXTENT_PARTICLES = frozenset({"on", "and", "the", "upon", "en", "i", "e", "y"})
#: Abbreviations inside the place parts of an address ("Co. Galway", "Mt. Eden", "2. tv." Danish floors).
_PLACE_ABBREVIATIONS = (
    "co", "mt", "ft", "pt", "tv", "th", "mf", "st", "sta", "sto", "col", "urb", "ens", "fracc", "jr", "esq", "res",
)  # fmt: skip
#: Patterns that find a postcode alone: the city before it in the same part belongs to the address.
_CLAUSE = "clause after an address introducer"
#: Codes a counting noun may stand before ("plus code 7JFJ+R9"): never a count.
_UNCOUNTED = frozenset({"Open Location Code"})
_NAME_NUMBER_UNIT = "street name + number + unit"
#: The name part of a "name + number + unit" match: everything before its first digit.
_NAME_BEFORE_NUMBER = regex.compile(r"[^\d]+")
_POSTCODE_ANCHORS = frozenset({"UK or Canadian postcode", "Irish Eircode", "lower-case city + state + ZIP"})
_ARTICLE_BEFORE = regex.compile(r"(?<![\p{L}])The[ \t]+$")
_LAST_TOKEN = regex.compile(r"[ \t]+([\p{L}']+)[ \t]*$")
#: Words that end an address, in the languages of our street types ("… grazie", "… merci").
_TRAILING_COMMON = COMMON_WORDS | frozenset(
    {"grazie", "merci", "gracias", "danke", "obrigado", "obrigada", "bitte", "tack", "tak", "dziękuję", "dank"}
    | {d.casefold() for d in COMPANY_DESIGNATORS}
)


#: What a pattern needs in the text before it is worth running (most need a digit; see ``_matches``).
_NEEDS: dict[str, tuple[str, ...]] = {
    "number + street + suffix": ("digit", "suffix"),
    "number + lower-case street + street suffix": ("digit", "suffix"),
    "unit + street + suffix": ("digit", "suffix"),
    "Wisconsin/Utah grid number + street + suffix": ("digit", "suffix"),
    "number + lower-case street + any suffix": ("digit", "suffix"),
    "lower-case unit + street + suffix": ("digit", "suffix"),
    "street named after a landmark word": ("suffix",),
    "street name + suffix + unit": ("digit", "suffix"),
    "street name + suffix + house number mark": ("digit", "suffix"),
    "land parcel": ("digit",),
    _NAME_NUMBER_UNIT: ("digit",),
    "named street without a number": ("suffix",),
    "compound street + number": ("digit", "compound"),
    "lower-case compound street + number": ("digit", "compound"),
    "number + street + compound street word": ("digit", "compound"),
    "number + street type + name": ("digit", "prefix"),
    "street type + name + number": ("digit", "prefix"),
    "street type + name, no number": ("prefix",),
    "Japanese block address": ("digit", "cjk"),
    "Japanese city or ward": ("cjk",),
    "Korean road address": ("digit", "hangul"),
    "Korean city + district": ("hangul",),
    "Chinese street address": ("digit", "cjk"),
    "post office box": ("digit", "box"),
    "rural route or military box": ("digit", "box"),
    "postcode after its name": ("digit", "postcode word"),
    "number + street type + lower-case name": ("digit", "prefix"),
    "street type + lower-case name + number": ("digit", "prefix"),
}
_DIGIT = regex.compile(r"\d")
_FEATURES = ("digit", "prefix", "postcode word", "cjk", "hangul", "suffix", "compound", "box")
#: Words every post-office, rural-route or military box address holds one of.
_BOX_WORDS = frozenset(
    {"box", "postfach", "apartado", "postal", "casilla", "postale", "bag", "pmb", "p.m.b", "apo", "fpo", "dpo"}
)
#: First words of street types and postcode words, as ``_WORD_RUN`` splits a case-folded text: the patterns that
#: need one run only on texts that hold one (a set look-up instead of a scan of a 200-word alternation).
_PREFIX_FIRST_WORDS = frozenset(p.casefold().split()[0].rstrip(".").rstrip("/") for p in PREFIX_TYPES)
_PREFIX_ALONE_FIRST_WORDS = frozenset(
    p.casefold().split()[0].rstrip(".").rstrip("/") for p in PREFIX_TYPES_WITHOUT_NUMBER
)
_POSTCODE_FIRST_WORDS = frozenset(w.replace("\\", "").split()[0].rstrip(".") for w in _POSTCODE_WORDS.split("|"))
_CJK_GATE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_HANGUL_GATE = regex.compile(r"\p{Hangul}")
#: The first word of every street suffix ("cul-de-sac" whole), as the text's words are split for the look-up.
_SUFFIX_FIRST_WORDS = frozenset(s.casefold().split()[0].rstrip(".") for s in SUFFIXES)
_COMPOUND_ENDINGS = tuple(e.casefold().rstrip(".") for e in COMPOUND_ENDINGS)
_WORD_RUN = regex.compile(r"[\p{L}][\p{L}\p{M}'’.-]*")
#: The building words as ``_WORD_RUN`` splits a case-folded text: a set look-up gates the named-building scan.
_BUILDING_WORD_SET = frozenset(w.casefold() for w in BUILDING_WORDS)
_REGEX_TIMEOUT_S = 5.0


def might_hold_address(text: str) -> bool:
    """The recogniser's gate: every pattern needs a digit, except a street type that names a street alone, a
    Korean city + district and the clause after an address introducer."""
    if _GATE.search(text) is not None or might_hold_introducer(text):
        return True
    return not _PREFIX_ALONE_FIRST_WORDS.isdisjoint(w.rstrip(".") for w in _WORD_RUN.findall(text.casefold()))


def _unit_chains(text: str) -> list[tuple[int, int]]:
    """Spans of two or more unit words with their numbers in a row, one of them no counting noun."""
    if not _DIGIT.search(text):
        return []
    out = []
    for match in _UNIT_CHAIN.finditer(text):
        elements = regex.split(_CHAIN_GAP, match.group())
        if any(not _COUNTING_ELEMENT.match(e) for e in elements if e[:1].isalpha()):
            out.append(match.span())
    return out


def _named_buildings(text: str) -> list[tuple[int, int]]:
    """A building's name with the flat, floor or room beside it (``_NAMED_BUILDING``). The name's leading common
    words are left out ("we are in Sarit View Apts…" starts at "Sarit"); a name of common words only ("the main
    building 2nd floor") is no building's name, and the unit alone is left to the other patterns."""
    if not _DIGIT.search(text) or _BUILDING_WORD_SET.isdisjoint(
        w.rstrip(".") for w in _WORD_RUN.findall(text.casefold())
    ):
        return []
    out = []
    for match in _NAMED_BUILDING.finditer(text):
        name_start, name_end = match.span("name")
        words = list(_WORD_RUN.finditer(text, name_start, name_end))
        while words and words[0].group().casefold() in COMMON_WORDS:
            words.pop(0)
        if not any(w.group().casefold() not in COMMON_WORDS for w in words):
            continue
        start = words[0].start() if name_start == match.start() else match.start()
        out.append((start, match.end()))
    return out


class StreetAddressRecognizer(PatternRecognizer):
    """STREET_ADDRESS for the address forms in the module doc; context words ("address", "deliver") lift weak
    matches (a bare postcode and city) over the threshold as Presidio's context enhancer does."""

    PATTERNS = [
        Pattern(
            "number + street + suffix",
            rf"{_NUMBER_START}(?:[A-Z]-(?=\d))?(?:(?i:{_UNIT})\.?{_S}*\d{{1,5}}\p{{L}}?,?\s+)?{_NUMBER},?{_S}+"
            rf"(?:(?i:{_DIRECTION}){_S}+)?{_WORDS}{_S}+(?i:{_SUFFIX})\b\.?(?:{_S}+(?i:{_DIRECTION})\b)?{_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "number + lower-case street + street suffix",
            rf"{_NUMBER_START}{_NUMBER},?{_S}+(?:{_LOWER_WORD}{_S}+){{1,3}}(?i:{_LOWER_SUFFIX})\b\.?{_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "unit + street + suffix",
            rf"(?<![\p{{L}}\d])(?i:flat|studio|apartment|apt|unit|suite|maisonette)\.?{_S}*\d{{1,5}}(?:/\d{{1,5}})?"
            rf"\p{{L}}?,?\s+{_WORDS}{_S}+(?i:{_SUFFIX})\b\.?",
            _STRONG,
        ),
        Pattern(
            # Colombia, Argentina, Venezuela: streets are numbered, the house is "# cross street - metres"
            "numbered street # number",
            rf"(?<![\p{{L}}\d])(?i:calle|cl|cll|carrera|cra|kra|kr|cr|diagonal|dg|transversal|tv|tr|avenida|av|ak|ac)"
            rf"\.?{_S}+\d{{1,3}}{_S}?\p{{L}}?(?![\p{{L}}\d])(?:{_S}?(?i:bis))?(?:{_S}+(?i:{_CARDINAL}))?{_S}*"
            rf"(?:#|(?i:n[°º]\.?|no\.|nro\.?|número)){_S}*\d{{1,5}}{_S}?\p{{L}}?(?![\p{{L}}\d])"
            rf"(?:{_S}+(?i:{_CARDINAL}))?(?:{_S}?-{_S}?\d{{1,4}}\p{{L}}?(?![\p{{L}}\d]))?(?:{_S}+(?i:{_CARDINAL}))?"
            rf"(?:{_S}+(?i:entre){_S}+\d{{1,3}}{_S}+(?i:y|e){_S}+\d{{1,3}}(?![\p{{L}}\d]))?{_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "number + street type + name",
            rf"{_NUMBER_START}{_NUMBER},?{_S}+(?i:{_PREFIX}){_S}+{_NOT_NAME}{_NAME}",
            _STRONG,
        ),
        Pattern(
            "street type + name + number",
            rf"(?<![\p{{L}}\d])(?i:{_PREFIX}){_S}+{_NOT_NAME}{_NAME},?{_S}+{_HOUSE_NO_MARK}{_NUMBER}(?![\p{{L}}\d])"
            rf"{_SECOND_NUMBER}{_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "street type + name, no number",
            rf"(?<![\p{{L}}\d])(?i:{_PREFIX_ALONE}){_S}+{_NOT_NAME}{_NAME}",
            _MEDIUM,
        ),
        Pattern(
            "compound street + number",
            rf"(?<![\p{{L}}\d-])\p{{Lu}}[\p{{L}}\p{{M}}'’-]{{2,}}?(?i:{_ENDING}){_S}+{_HOUSE_NO_MARK}{_NUMBER}(?![\p{{L}}\d])",
            _STRONG,
        ),
        Pattern(
            "two-word street + number",
            rf"(?<![\p{{L}}\d])(?:(?:Am|An der|An den|Auf der|Auf dem|Im|In der|Zum|Zur|Unter den|Alte|Neue|Große|"
            rf"Kleine|Oude|Nieuwe|Korte|Lange)\s+{_WORDS}|\p{{Lu}}[\p{{L}}-]+{_S}+(?:Straße|Strasse|Str\.|Weg|Platz|"
            rf"Allee|Ring|Gasse|Damm|Ufer|Chaussee|Markt|Laan|Straat|Gracht|Kade|Plein|Singel|Dijk|Burgwal|Voorburgwal|"
            rf"Achterburgwal|Sokağı|Sokak|Sk\.|Caddesi|Cad\.|Cd\.|Bulvarı|Yolu|Cesta|Třída|Náměstí|Nábřeží|Allé|Vej|Gade|"
            rf"Gatan|Vägen|Gata|Veien|Gate))\s+{_HOUSE_NO_MARK}{_NUMBER}(?![\p{{L}}\d]){_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "names + Nordic street type + number",
            rf"(?<![\p{{L}}\d])\p{{Lu}}[\p{{L}}'’-]+(?:{_S}+\p{{Lu}}[\p{{L}}'’-]+){{0,2}}{_S}+(?:gate|gata|gatan|vei|veien|"
            rf"vej|vägen|väg|allé|plass|torg|torget|gränd|stræde|plads|tie|katu|kuja){_S}+{_NUMBER}(?![\p{{L}}\d])"
            rf"{_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "Wisconsin/Utah grid number + street + suffix",
            rf"(?<![\p{{L}}\d])[NSEW]\d{{1,5}}(?:[NSEW]\d{{1,5}})?{_S}+{_WORDS}{_S}+(?i:{_SUFFIX})\b\.?"
            rf"(?:{_S}+[A-Z]{{1,2}}(?![\p{{L}}\d]))?",
            _STRONG,
        ),
        Pattern(
            "Colombian street number + plate",
            rf"(?<![\p{{L}}\d])(?i:calle|carrera|cra\.?|kra\.?|cl\.?|avenida|av\.?|diagonal|dg\.?|transversal|tv\.?)"
            rf"{_S}+\d{{1,3}}{_S}?[A-Z]?(?:{_S}?bis)?{_S}*(?:#|(?i:no)\.?|N°){_S}*\d{{1,3}}[A-Z]?{_S}*-{_S}*\d{{1,3}}"
            rf"{_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "Indian house number",
            r"(?<![\p{L}\d])(?i:h\.?\s?no|house\s?no|door\s?no|plot\s?no|flat\s?no|hse\s?no)\.?\s*[:#]?\s*"
            r"\d{1,5}(?:[-/]\d{1,5}){0,3}(?:/?[A-Z](?![\p{L}\d]))?",
            _STRONG,
        ),
        Pattern(
            "street named after a landmark word",
            rf"(?<![\p{{L}}])(?i:off|opposite|opp\.|behind|beside|near|along|junction\s+of)[ \t]+{_WORDS}[ \t]+"
            rf"(?i:{_SUFFIX})\b\.?",
            _MEDIUM,
        ),
        Pattern(
            # "Cumhuriyet cd. no 14 daire 6", "Atatürk Cad. No: 5", "Main Street No. 12"
            "street name + suffix + house number mark",
            rf"(?<![\p{{L}}\d]){_WORDS}{_S}+(?i:{_SUFFIX})(?![\p{{L}}\d]),?{_S}+(?i:no|nr|n[º°o])[.:]?{_S}*{_NUMBER}"
            rf"(?![\p{{L}}\d]){_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            # Plots, stands and erven where streets have no numbers: "Plot 1142, Cadastral Zone B02", "Stand 1128,
            # Zone 5", "House No. C142/12, Ashongman Estate", "Farm Rietfontein 412". A place part must follow (a
            # capitalised word after a comma), so "plot 3 of the chart" is none.
            "land parcel",
            rf"(?<![\p{{L}}\d])(?:(?i:plot|erf|house{_S}+no\.?|h/no\.?|hse{_S}+no\.?)|Stand|Farm{_S}+\p{{Lu}}\p{{L}}+)"
            rf"{_S}*[#:]?{_S}*\p{{Lu}}?\d{{1,5}}(?:[-/]\d{{1,5}}\p{{L}}?)?(?![\p{{L}}\d])(?=,?{_S}*(?:,{_S}*\p{{Lu}}|\p{{Lu}}))",
            _STRONG,
        ),
        Pattern(
            # A street named without its type, its number and the flat or office: "Gorriti 5120 PB 2", "Los
            # Carrera 455, of. 31", "Hauptplatz 9, Top 4". The unit makes it an address ("Windows 10 Pro" has none).
            _NAME_NUMBER_UNIT,
            rf"(?<![\p{{L}}\d]){_WORDS}{_S}+{_NUMBER}(?![\p{{L}}\d]),?{_S}+(?i:{_UNIT})\.?{_S}*[#:]?{_S}*"
            rf"(?:\d{{1,5}}\p{{L}}?|[A-Z])(?![\p{{L}}\d]){_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "street name + suffix + unit",
            rf"(?<![\p{{L}}\d]){_WORDS}{_S}+(?i:{_SUFFIX})\b\.?,?{_S}+(?i:apt|apartment|flat|unit|suite|ste|hse|house)\.?"
            rf"{_S}*#?{_S}*[A-Z]?\d{{1,5}}[A-Z]?(?![\p{{L}}\d])",
            _STRONG,
        ),
        Pattern(
            "named street without a number",
            rf"(?<![\p{{L}}\d-])(?:\p{{Lu}}[\p{{L}}\p{{M}}'’-]+{_S}+){{1,3}}(?:Street|Road|Avenue|Lane|Drive|Close|Crescent|"
            rf"Boulevard|Terrace|Grove|Gardens)(?![\p{{L}}\d])",
            _WEAK,
        ),
        Pattern(
            "Irish county",
            r"(?<![\p{L}])Co\.?[ \t]+(?:Antrim|Armagh|Carlow|Cavan|Clare|Cork|Derry|Donegal|Down|Dublin|Fermanagh|"
            r"Galway|Kerry|Kildare|Kilkenny|Laois|Leitrim|Limerick|Longford|Louth|Mayo|Meath|Monaghan|Offaly|Roscommon|Sligo|"
            r"Tipperary|Tyrone|Waterford|Westmeath|Wexford|Wicklow)(?![\p{L}])",
            _MEDIUM,
        ),
        Pattern(
            "building + name + flat",
            rf"(?<![\p{{L}}\d])(?i:building|bldg|block|blk|tower|villa)\.?{_S}*\d{{1,4}}[A-Z]?,{_S}+{_WORDS},{_S}+"
            rf"(?i:flat|apt|apartment|unit)\.?{_S}*\d{{1,5}}[A-Z]?(?![\p{{L}}\d])",
            _STRONG,
        ),
        Pattern(
            "Chinese street address",
            r"\p{Han}{1,10}?(?:路|街|道|巷|弄|大道)(?:\p{Han}{1,3}段)?\d{1,5}(?:巷\d{1,4})?(?:弄\d{1,4})?[號号]"
            r"(?:\d{1,3}[樓楼](?:之\d{1,3})?)?(?:\p{Han}{0,10}\d{1,3}[樓楼][A-Z]?室?)?",
            _STRONG,
        ),
        Pattern(
            "Open Location Code",
            r"(?<![\p{L}\d+])[23456789CFGHJMPQRVWX]{4,8}\+[23456789CFGHJMPQRVWX]{2,3}(?![\p{L}\d])",
            _STRONG,
        ),
        Pattern(
            "number + highway or county road",
            rf"{_NUMBER_START}\d{{1,6}}{_S}+(?:(?i:fm|rm|rr|co\.?{_S}?rd\.?|county{_S}+(?:road|rd)|cr|sr|state{_S}+(?:route|rd)|"
            rf"route|rte\.?|hwy\.?|highway|us{_S}+(?:hwy|highway|route)|ih)){_S}*-?{_S}*\d{{1,4}}[A-Z]?"
            rf"(?:{_S}+[NSEW](?![\p{{L}}\d]))?",
            _STRONG,
        ),
        Pattern(
            "post office box",
            r"(?<![\p{L}\d])(?i:p\.?[ \t]?o\.?[ \t]*box|post[ \t]+office[ \t]+box|postfach|apartado(?:[ \t]+postal)?|"
            r"caixa[ \t]+postal|casilla|boîte[ \t]+postale|private[ \t]+bag|p\.?m\.?b\.?)"
            r"[ \t]*\.?[ \t]*[#:]?[ \t]*\d{1,6}(?![\p{L}\d])",
            _STRONG,
        ),
        Pattern(
            "rural route or military box",
            r"(?<![\p{L}\d])(?i:rural[ \t]+route|r\.?[ \t]?r\.?|hc|highway[ \t]+contract|star[ \t]+route|psc|cmr|unit)"
            r"[ \t]*#?[ \t]*\d{1,5},?[ \t]*(?i:box)[ \t]*#?[ \t]*\d{1,5}[A-Z]?(?![\p{L}\d])"
            r"|(?<![\p{L}\d])(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}(?![\p{L}\d])",
            _STRONG,
        ),
        Pattern(
            "house + street numbers",
            r"(?<![\p{L}\d])(?i:house|h|villa|plot|building|bldg|flat)[ \t]*#?[ \t]*\d{1,4}[A-Z]?,?[ \t]+"
            r"(?i:street|st|road|rd|lane|gali)[ \t]*#?[ \t]*\d{1,4}[A-Za-z]?(?![\p{L}\d])",
            _STRONG,
        ),
        Pattern(
            "lower-case city + state + ZIP",
            rf"(?<=[a-z][a-z'-]+[ \t]+)(?<![\p{{L}}\d])(?:{_LOWER_STATES}),?[ \t]+"
            rf"(?:\d{{5}}(?:-\d{{4}})?|(?<=(?:nsw|vic|qld|tas|act|nt|wa|sa),?[ \t]+)\d{{4}})(?![\p{{L}}\d])",
            _STRONG,
        ),
        Pattern(
            "Singapore postcode",
            r"(?<![\p{L}\d])[Ss](?:\(?\d{6}\)?|(?i:ingapore)[ \t]+\d{6})(?![\p{L}\d])",
            _WEAK,
        ),
        Pattern("Ghana digital address", r"(?<![\p{L}\d])[A-Z]{2}-\d{3,4}-\d{4}(?![\p{L}\d])", _WEAK),
        Pattern(
            "Philippine block + lot",
            r"(?<![\p{L}\d])(?i:blk|block)\.?\s*\d{1,4}[A-Z]?,?\s+(?i:lot)\.?\s*\d{1,4}[A-Z]?"
            r"(?:,?\s+(?i:phase|ph)\.?\s*\d{1,3})?",
            _STRONG,
        ),
        Pattern(
            "road + No. + number",
            r"(?<![\p{L}\d])(?:\p{Lu}\p{Ll}+\s+){0,2}(?i:road|rd|street|st|lane|ln|cross|main)\.?\s+(?i:no)\.?\s*"
            r"\d{1,4}(?![\p{L}\d])",
            _MEDIUM,
        ),
        Pattern(
            "Korean road address",
            r"[\p{Hangul}\d]{1,12}(?:로|길)\s?\d{1,4}(?:-\d{1,4})?(?:번길\s?\d{1,4})?(?:,?\s*\d{1,4}동)?(?:,?\s*\d{1,3}층)?"
            r"(?:\s*\d{1,4}호)?",
            _STRONG,
        ),
        Pattern(
            "romanised Korean road address",
            r"(?<![\p{L}\d])(?:\d{1,4}[ \t]+)?\p{Lu}\p{Ll}+-(?:daero|ro|gil)(?:[ \t]+\d{1,3}(?:beon|ga)?-gil)?"
            r"(?:[ \t]+\d{1,4}(?:-\d{1,4})?)?",
            _STRONG,
        ),
        Pattern(
            "Korean city + district",
            r"[\p{Hangul}]{2,6}(?:특별시|광역시|특별자치시|특별자치도|시|도)\s+[\p{Hangul}]{1,6}(?:구|군|시)(?![\p{Hangul}])",
            _MEDIUM,
        ),
        Pattern(
            "Japanese block address",
            rf"{_KANJI}{{1,16}}?\d{{1,3}}(?:丁目|-)\d{{1,4}}(?:番地?|-)\d{{1,4}}号?"
            rf"(?:[ 　]?{_KANJI}{{1,12}}\d{{1,4}}(?:号室?)?)?"
            rf"|\d{{1,3}}丁目\d{{1,4}}番地?(?:\d{{1,4}}号?)?"
            rf"|{_KANJI}{{1,16}}?(?:市|区|町|村|郡){_KANJI}{{0,12}}?\d{{1,3}}丁目(?:\d{{1,4}}番地?(?:\d{{1,4}}号?)?)?",
            _STRONG,
        ),
        Pattern(
            "romanised Japanese block address",
            r"(?<![\p{L}\d-])\d{1,2}-(?:ch[oō]me-)?\d{1,4}(?:-\d{1,4})?,?\s+\p{Lu}\p{Ll}+"
            r"(?:-(?:ch[oō]me|cho|machi))?(?:,\s*\p{Lu}\p{Ll}+-(?:ku|shi|cho|machi|gun))?",
            _STRONG,
        ),
        Pattern(
            "UK or Canadian postcode",
            r"(?<![\p{L}\d])(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d)(?![\p{L}\d])",
            _MEDIUM,
        ),
        Pattern(
            "city, state + ZIP",
            rf"{_CITY},?{_S}+(?:{_STATES}),?{_S}+{_ZIP}(?![\p{{L}}\d])",
            _STRONG,
        ),
        Pattern(
            "postcode + city on its own line",
            rf"{_LINE_START}(?:{_POSTCODE}|\d{{3}}),?\s+"
            rf"{_CITY}(?:{_S}*\([A-Z]{{2}}\)|{_S}*/{_S}*[A-Z]{{2}})?",
            _MEDIUM,
        ),
        Pattern(
            "postcode + city",
            rf"(?<![\p{{L}}\d.,$€£-]){_POSTCODE},?{_S}+{_CITY}",
            _WEAK,
        ),
        Pattern(
            "city + postcode",
            rf"{_CITY}(?:(?:,?{_S}+|,)(?:\d{{4,6}}|\d{{3}}-\d{{4}}|\d{{3}} \d{{2}})|-[1-9]\d{{5}})(?![\p{{L}}\d])",
            _WEAK,
        ),
        Pattern("Japanese postcode", r"〒\s?\d{3}-?\d{4}", _STRONG),
        Pattern(
            "Japanese city or ward",
            r"(?<![\p{Han}])\p{Han}{1,10}?(?:都|道|府|県|市|区|區|縣|县|省|鎮|镇|町|村|郡)(?![\p{Han}])",
            _MEDIUM,
        ),
        Pattern(
            "postcode after its name",
            rf"(?<=(?i:{_POSTCODE_WORDS})\s*[:#]?\s*)(?:[A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}}|{_POSTCODE}|\d{{3,6}})"
            rf"(?![\p{{L}}\d])",
            _STRONG,
        ),
        Pattern(
            "Irish Eircode", r"(?<![\p{L}\d])(?:[AC-FHKNPRTV-Y]\d{2}|D6W)\s?[0-9AC-FHKNPRTV-Y]{4}(?![\p{L}\d])", _MEDIUM
        ),
        Pattern("city + Indian PIN", rf"{_TITLE_CITY}[ ,-]+[1-9]\d{{5}}(?![\p{{L}}\d])", _MEDIUM),
        Pattern(
            "number + street + compound street word",
            rf"{_NUMBER_START}{_NUMBER},?{_S}+(?:{_WORD}{_S}+){{0,2}}\p{{Lu}}[\p{{L}}\p{{M}}'’.-]*?(?i:{_ENDING})"
            rf"(?![\p{{L}}\d]){_UNIT_TAIL}",
            _STRONG,
        ),
        Pattern(
            "number + street type + lower-case name",
            rf"{_NUMBER_START}{_NUMBER},?{_S}+(?i:{_PREFIX_ALONE}){_S}+{_NOT_NAME}{_LOWER_NAME}",
            _MEDIUM,
        ),
        Pattern(
            "street type + lower-case name + number",
            rf"(?<![\p{{L}}\d])(?i:{_PREFIX}){_S}+{_NOT_NAME}{_LOWER_NAME},?{_S}+{_HOUSE_NO_MARK}{_NUMBER}"
            rf"(?![\p{{L}}\d]){_UNIT_TAIL}",
            _MEDIUM,
        ),
        Pattern(
            "number + lower-case street + any suffix",
            rf"{_NUMBER_START}{_NUMBER},?{_S}+(?:{_LOWER_WORD}{_S}+){{1,3}}(?i:{_SUFFIX})\b\.?{_UNIT_TAIL}",
            _WEAK,
        ),
        Pattern(
            "lower-case unit + street + suffix",
            rf"(?<![\p{{L}}\d])(?i:flat|studio|apartment|apt|unit|suite)\.?{_S}*\d{{1,5}}\p{{L}}?,?\s+"
            rf"(?:{_LOWER_WORD}{_S}+){{1,3}}(?i:{_SUFFIX})\b\.?",
            _WEAK,
        ),
        Pattern(
            "lower-case compound street + number",
            rf"(?<![\p{{L}}\d-])\p{{Ll}}[\p{{L}}\p{{M}}'’-]{{2,}}?(?i:{_ENDING}){_S}+{_HOUSE_NO_MARK}{_NUMBER}"
            rf"(?![\p{{L}}\d])",
            _WEAK,
        ),
    ]
    CONTEXT = [
        "address", "live", "living", "street", "deliver", "delivery", "ship", "shipping", "send", "apartment", "apt",
        "suite", "flat", "postcode", "zip", "post", "moved", "move", "located", "residence", "home", "billing",
        "adresse", "dirección", "direccion", "endereço", "indirizzo", "adres", "wohnhaft", "anschrift",
        "collection", "collect", "pickup", "pick", "courier", "drop", "c/o", "gps", "digital", "landmark",
    ]  # fmt: skip

    def __init__(
        self,
        *,
        language: str = "en",
        is_english: Callable[[str], bool] | None = None,
        identifier_words: Iterable[str] = (),
    ) -> None:
        """``is_english`` (a case-folded word is a dictionary word: the name gazetteer's) switches on street names
        without a street word after an address cue (``cued_street.py``); without it they are not looked for."""
        self._clauses = AddressClauses(
            identifier_words=identifier_words,
            ordinary_first_words=[*COUNTER_WORDS, *NOT_STREET_NAMES, *NOT_NAMES],
        )
        self._cued = None
        self._is_english = is_english
        self._ordinary_names = (
            COMMON_WORDS
            | _COUNTERS
            | frozenset(w.casefold() for w in (*identifier_words, *NOT_STREET_NAMES, *NOT_NAMES, *CALENDAR_WORDS))
        )
        if is_english is not None:
            ordinary = _TRAILING_COMMON | frozenset(CALENDAR_WORDS) | _COUNTERS | frozenset(NOT_STREET_NAMES)
            ordinary |= frozenset(w.casefold() for w in NOT_NAMES)
            self._cued = CuedStreets(
                cues=ADDRESS_CUES,
                particles=NAME_PARTICLES,
                units=UNIT_DESIGNATORS,
                is_ordinary=lambda word: word in ordinary or is_english(word),
            )
        self._extent = AddressExtent(
            abbreviations=[
                *(w for w in (*UNIT_DESIGNATORS, *PREFIX_TYPES, *SUFFIXES) if len(w) <= _ABBREVIATION),
                *_PLACE_ABBREVIATIONS,
            ],
            particles=[p for p in NAME_PARTICLES if p not in _NOT_EXTENT_PARTICLES],
            units=[*UNIT_DESIGNATORS, *CHAIN_UNITS, *FLOOR_WORDS, *DOOR_SIDES],
            common_words=_TRAILING_COMMON | frozenset(CALENDAR_WORDS) | frozenset(NOT_NAMES),
        )
        super().__init__(
            supported_entity=ENTITY,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=language,
            name="StreetAddressRecognizer",
            global_regex_flags=regex.MULTILINE,
        )
        self._unit_before = regex.compile(
            rf"(?:(?<![\p{{L}}\d])(?i:{_UNIT})\.?[ \t]*[#:]?[ \t]*(?:\d{{1,5}}\p{{L}}?(?:/\d{{1,3}})?|\p{{Lu}})?,?"
            r"[ \t]*)+$"
        )
        #: Feature tuple (``_FEATURES`` order) -> the patterns whose needs it meets, built as texts show them.
        self._applicable: dict[tuple[bool, ...], list[tuple[Pattern, regex.Pattern[str]]]] = {}
        self._compiled = [
            (p, regex.compile(p.regex, regex.MULTILINE), _NEEDS.get(p.name, ("digit",))) for p in self.PATTERNS
        ]

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None, regex_flags: int | None = None):
        """Presidio's pattern matching, minus numbers that a counting noun precedes ("Level 3 Support Center"),
        each match trimmed of trailing common words and extended over the address parts around it."""
        if ENTITY not in entities:
            return []
        results = [
            r
            for r in self._matches(text)
            if (r.analysis_explanation.pattern_name in _UNCOUNTED or not self._counted(text, r.start))
            and (r.analysis_explanation.pattern_name != _NAME_NUMBER_UNIT or self._foreign_name(text, r.start))
        ]
        if self._cued is not None:
            results.extend(self._result(s, e, _STRONG, "cued street name") for s, e in self._cued.find(text))
        results.extend(self._result(s, e, _STRONG, "unit chain") for s, e in _unit_chains(text))
        results.extend(self._result(s, e, _STRONG, "named building + unit") for s, e in _named_buildings(text))
        results.extend(self._result(s, e, _STRONG, "lower-case street, unknown name") for s, e in self._lower(text))
        for r in results:
            r.end = self._trim(text, r.start, r.end)
            # Weak matches too: they count only when context lifts them, and then their whole extent does.
            r.end = self._extent.forward(text, r.end)
            anchor = r.analysis_explanation.pattern_name if r.analysis_explanation else ""
            r.start = self._extent.backward(text, r.start, within_part=anchor in _POSTCODE_ANCHORS)
            article = _ARTICLE_BEFORE.search(text, max(0, r.start - 5), r.start)
            if article and text[r.start : r.start + 1].isupper():
                r.start = article.start()  # "The Old Rectory, Mill Lane": the house name's article
            unit = self._unit_before.search(text, max(0, r.start - 24), r.start)
            if unit:
                # "Plot 7, Adeola Odeku Street", "Bât. C, 8 avenue Jean Jaurès", "Apt 14, The Maltings, …"
                r.start = unit.start()
        # The clause after "my address is" is the address as the customer wrote it: no extent, no trimming.
        results.extend(self._result(s, e, _STRONG, _CLAUSE) for s, e in self._clauses.find(text))
        return EntityRecognizer.remove_duplicates([r for r in results if r.end > r.start])

    def _lower(self, text: str) -> list[tuple[int, int]]:
        """Lower-case street lines whose name holds a word that is no English word ("27 holloway close"): a
        dictionary word alone ("5 green park") could be anything, a surname or a foreign word before a street
        suffix is a street."""
        if self._is_english is None or not _DIGIT.search(text):
            return []
        out = []
        for match in _LOWER_STREET.finditer(text):
            words = [w.casefold() for w in match.group(1).split()]
            if any(w in _TRAILING_COMMON for w in words):
                continue  # "5 mangoes to gate": a sentence, not a street name
            if any(not self._english_form(w) for w in words):
                out.append(match.span())
        return out

    def _english_form(self, word: str) -> bool:
        """A dictionary word or an inflection of one ("mangoes", "boxes", "parked"): the word list has stems."""
        assert self._is_english is not None
        if self._is_english(word):
            return True
        stems = [word[: -len(end)] for end in _INFLECTIONS if word.endswith(end) and len(word) - len(end) >= 3]
        return any(self._is_english(stem) or self._is_english(stem + "e") for stem in stems)

    def _matches(self, text: str) -> list[RecognizerResult]:
        """Every pattern whose preconditions the text meets (``_NEEDS``), like Presidio's pattern loop but without
        its per-pattern timing and explanation strings, which cost more than most of our regexes."""
        # Set look-ups and suffix tests of the text's words: much cheaper than scanning the street-word and
        # compound patterns over texts that hold no such word.
        words = [w.rstrip(".") for w in _WORD_RUN.findall(text.casefold())]
        features = (
            _DIGIT.search(text) is not None,
            not _PREFIX_FIRST_WORDS.isdisjoint(words),
            not _POSTCODE_FIRST_WORDS.isdisjoint(words),
            _CJK_GATE.search(text) is not None,
            _HANGUL_GATE.search(text) is not None,
            not _SUFFIX_FIRST_WORDS.isdisjoint(words),
            any(w.endswith(_COMPOUND_ENDINGS) for w in words),
            not _BOX_WORDS.isdisjoint(words) or "pobox" in text.casefold().replace(".", "").replace(" ", ""),
        )
        applicable = self._applicable.get(features)
        if applicable is None:
            present = {name for name, on in zip(_FEATURES, features, strict=True) if on}
            applicable = self._applicable[features] = [
                (p, c) for p, c, needs in self._compiled if present.issuperset(needs)
            ]
        results = []
        for pattern, compiled in applicable:
            for match in compiled.finditer(text, timeout=_REGEX_TIMEOUT_S):
                if match.end() == match.start():
                    continue
                if "compound" in pattern.name and self.invalidate_result(match.group()):
                    continue
                results.append(self._result(match.start(), match.end(), pattern.score, pattern.name))
        return results

    def _result(self, start: int, end: int, score: float, pattern_name: str) -> RecognizerResult:
        return RecognizerResult(
            entity_type=ENTITY,
            start=start,
            end=end,
            score=score,
            analysis_explanation=AnalysisExplanation(
                recognizer=self.name, original_score=score, pattern_name=pattern_name
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )

    @staticmethod
    def _trim(text: str, start: int, end: int) -> int:
        """Drop trailing common words a lower-case pattern swallowed ("12 rue michaud please" → "12 rue michaud")."""
        while True:
            match = _LAST_TOKEN.search(text, start, end)
            if match is None or match.group(1).casefold() not in _TRAILING_COMMON or match.start(1) == start:
                return end
            end = match.start()

    def _foreign_name(self, text: str, start: int) -> bool:
        """The words before the number of a "name + number + unit" match name a street: none is an ordinary or
        identifier word, and one at least is no English word ("Gorriti 5120 PB 2"; not "Order 12345 unit 2",
        "Gate 4 Room 12")."""
        name = _NAME_BEFORE_NUMBER.match(text, start)
        words = [w.casefold().rstrip(".") for w in _WORD_RUN.findall(name.group() if name else "")]
        if not words or any(w in self._ordinary_names for w in words):
            return False
        return self._is_english is None or any(not self._is_english(w) for w in words)

    @staticmethod
    def _counted(text: str, start: int) -> bool:
        if not text[start : start + 1].isdigit():
            return False
        before = _WORD_BEFORE.search(text, 0, start)
        return before is not None and before.group(1).casefold() in _COUNTERS

    def invalidate_result(self, pattern_text: str) -> bool:
        """A compound "street" that is an English word ("Offering 2", "2 Monitoring") is no address (checked for the
        compound-street patterns only: "1016 JK Amsterdam" is a postcode and city)."""
        return any(_ENGLISH_LOOKALIKE.search(word) for word in pattern_text.split())
