"""Where a text names an organisation: "Cleveland Clinic", "Grace Fellowship Church", "Bank of Ireland",
"Hospital Israelita Albert Einstein", "Northwind Traders", "Hargreaves & Lamb Solicitors".

Why: organisations are named after their founders and towns, so every name recogniser (spaCy, the gazetteer,
GeoNames) finds "Cleveland", "Albert Einstein" or "Ireland" in them, and the redacted text loses the hospital,
bank or law firm a supervisor needs to read ("referred by <PERSON> for the scan"). An organisation name is no
personal data; the name of the person in it belongs to the organisation.

The evidence is the institution word itself, written capitalised as part of the name:

- a *head noun* after the capitalised words on the same line ("… Hospital", "… Airways", "… Solicitors"), or
- an institution *prefix* before them ("Bank of …", "Hospital …", "Szpital …", "Stadtwerke …").

The name runs over capitalised words and the connectors firms use ("&", "and", "of", "de", "e", "y", "im."),
never over a comma, a line break or a lower-case word, so "Dr Ana Lima, Apollo Hospitals" keeps the doctor.
Head nouns that are also common surnames ("Church", "Power", "Hall") are left out: "Charlotte Church" is a person.
"""

from __future__ import annotations

import regex

__all__ = [
    "HEAD_NOUNS",
    "INSTITUTION_WORDS",
    "PREFIXES",
    "PUBLIC_INSTITUTION_WORDS",
    "is_public_institution",
    "organisation_spans",
]

# fmt: off
#: Capitalised words that end (or continue) an organisation's name: "Mayo Clinic", "Kenya Airways".
HEAD_NOUNS: frozenset[str] = frozenset({
    # health
    "Hospital", "Hospitals", "Clinic", "Clinics", "Medical", "Centre", "Center", "Surgery", "Practice",
    "Pharmacy", "Chemist", "Chemists", "Dental", "Dentistry", "Healthcare", "Health", "Hospice", "Infirmary",
    "Sanatorium", "Veterinary", "Vets", "Laboratory", "Laboratories", "Diagnostics",
    # faith, education, public
    "Mosque", "Temple", "Cathedral", "Chapel", "Parish", "Fellowship", "Ministries", "University", "College",
    "School", "Academy", "Institute", "Council", "Ministry", "Department", "Police", "Library", "Museum",
    "Gallery", "Theatre", "Theater", "Foundation", "Trust", "Society", "Charity",
    # transport and utilities
    "Airlines", "Airline", "Airways", "Aviation", "Railways", "Railway", "Rail", "Buses", "Couriers",
    "Freight", "Logistics", "Shipping", "Airport", "Energy", "Electric", "Electricity", "Utilities", "Telecom",
    "Telecoms", "Communications", "Broadband", "Water",
    # money and law
    "Bank", "Banking", "Financial", "Finance", "Insurance", "Assurance", "Securities", "Investments",
    "Capital", "Credit", "Solicitors", "Lawyers", "Attorneys", "Chambers", "Notaries", "Accountants",
    # trade
    "Brothers", "Bros", "Traders", "Trading", "Plumbing", "Roofing", "Electricals", "Controls", "Motors",
    "Autos", "Garage", "Builders", "Construction", "Realty", "Properties", "Estates", "Supermarket",
    "Supermarkets", "Hypermarket", "Mall", "Market", "Stores", "Foods", "Bakery", "Restaurant", "Cafe", "Café",
    "Kitchen", "Grill", "Diner", "Pizzeria", "Hotel", "Hotels", "Resort", "Resorts", "Inn", "Suites", "Hostel",
    "Stadium", "Arena", "Cinema", "Cinemas", "Salon", "Spa", "Gym", "Fitness", "Studios", "Studio", "Media",
    "Consulting", "Consultants", "Solutions", "Services", "Systems", "Technologies", "Technology", "Labs",
    "Ventures", "Pharma", "Pharmaceuticals", "Industries", "Enterprises", "Associates", "Partners", "Partner",
    "Hijos", "Filhos", "Söhne", "Fils", "Figli", "Zonen",
    # local government: "Aarhus Kommune", "Accra Metropolitan Assembly", "Camden Borough Council"
    "Kommune", "Kommun", "Kunta", "Assembly", "Municipality", "Borough", "Authority",
})
#: Capitalised words (or two) that open an organisation's name: "Bank of Ireland", "Hospital Clínic".
PREFIXES: tuple[str, ...] = (
    "Bank of", "Banco", "Banque", "Bankhaus", "University of", "Universidad", "Universidade", "Università",
    "Université", "Universität", "Universiteit", "Uniwersytet", "Hospital", "Hôpital", "Ospedale",
    "Policlinico", "Clínica", "Clinica", "Clinique", "Klinik", "Klinikum", "Ziekenhuis", "Szpital", "Stadtwerke",
    "Sparkasse", "Caixa", "Caja", "Colegio", "Instituto", "Institut", "Fundación", "Fundação", "Air",
    # local government named after its town: "City of Toronto", "Comune di Bologna", "Stadt Graz"
    "City of", "Town of", "County of", "Municipality of", "Borough of", "Comune di", "Città di", "Provincia di",
    "Ville de", "Mairie de", "Stadt", "Gemeinde", "Landkreis", "Bürgeramt", "Stadtpolizei", "Gemeente",
    "Ayuntamiento de", "Municipio de", "Municipalidad de", "Prefeitura de", "Câmara Municipal de", "Dimos",
)
#: Institutions named after the famous or the dead, never after their owner: a full name inside one of these
#: ("Queen Elizabeth Hospital", "Hospital Israelita Albert Einstein", "Clínica Ricardo Palma") is the institution's
#: name. Businesses ("Huy Nguyen Consulting", "Martin Brothers Plumbing") may carry their owner's name: not here.
PUBLIC_INSTITUTION_WORDS: frozenset[str] = frozenset({
    "Hospital", "Hospitals", "Clinic", "Clinics", "Hospice", "Infirmary", "Sanatorium", "Mosque", "Temple",
    "Cathedral", "Chapel", "Parish", "University", "College", "School", "Academy", "Institute", "Council",
    "Ministry", "Police", "Library", "Museum", "Foundation", "Airport", "Stadium", "Arena", "Universidad",
    "Universidade", "Università", "Université", "Universität", "Universiteit", "Uniwersytet", "Hôpital",
    "Ospedale", "Policlinico", "Clínica", "Clinica", "Clinique", "Klinik", "Klinikum", "Ziekenhuis", "Szpital",
    "Colegio", "Instituto", "Institut", "Fundación", "Fundação", "Kommune", "Kommun", "Assembly",
    "Municipality", "Borough", "Authority", "City", "Town", "County", "Comune", "Ville", "Stadt", "Gemeinde",
})
# fmt: on
#: Every word of a head noun or a prefix: what an organisation's name holds besides its founder's or town's name.
INSTITUTION_WORDS: frozenset[str] = HEAD_NOUNS | frozenset(w for p in PREFIXES for w in p.split())

#: A capitalised word: a capital, then letters, apostrophes or hyphens ("O'Brien", "Sherwin-Williams"); a dot
#: only after an abbreviation of up to three letters ("St.", "Dr."), so a sentence's end is never crossed.
_WORD = r"(?:\p{Lu}\p{Ll}{0,2}\.|\p{Lu}[\p{L}\p{M}'’-]*)"
_CONNECTOR = r"(?:[ \t]+(?:&|and|of|the|de|do|da|dos|das|del|la|e|y|et|und|en|im\.|di)(?=[ \t]+\p{Lu}))"
_GAP = rf"(?:{_CONNECTOR}?[ \t]+)"
_HEAD = "|".join(regex.escape(w) for w in sorted(HEAD_NOUNS, key=len, reverse=True))
_PREFIX = "|".join(regex.escape(p).replace(r"\ ", r"[ \t]+") for p in sorted(PREFIXES, key=len, reverse=True))
#: Name words, then one or more head nouns: "Sir Ganga Ram Hospital", "Martin Brothers Plumbing".
_BY_HEAD = regex.compile(
    rf"(?<![\p{{L}}\d]){_WORD}(?:{_GAP}{_WORD})*?{_GAP}(?:{_HEAD})(?:{_GAP}(?:{_HEAD}))*(?![\p{{L}}\d])"
)
#: A prefix, then name words: "Hospital Israelita Albert Einstein", "Bank of the West".
_BY_PREFIX = regex.compile(
    rf"(?<![\p{{L}}\d])(?:{_PREFIX})(?:[ \t]+the)?(?:[ \t]+{_WORD}(?:{_GAP}{_WORD})*)(?![\p{{L}}\d])"
)


_PUBLIC_WORD = regex.compile(
    rf"(?<![\p{{L}}])(?:{'|'.join(sorted(PUBLIC_INSTITUTION_WORDS, key=len, reverse=True))})(?![\p{{L}}])"
)


def organisation_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every organisation name the module doc's rules find in ``text``."""
    spans = [m.span() for m in _BY_HEAD.finditer(text, overlapped=False)]
    spans.extend(m.span() for m in _BY_PREFIX.finditer(text))
    return spans


def is_public_institution(name: str) -> bool:
    """True when an organisation's name holds a ``PUBLIC_INSTITUTION_WORDS`` word: named after no owner."""
    return _PUBLIC_WORD.search(name) is not None
