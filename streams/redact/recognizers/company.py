"""Is this "name" a company? "Scott LLC", "Herrera and Sons", "Chauvin Cordier S.A.S.", "株式会社福田水産".

Company names are built from family names, so every name recogniser finds them; a company designator right
after the words (or inside the span), or a Japanese company form, says they are a company. Companies are not
personal data: the span is dropped, which the labelled hard negatives of ``bench/redaction_quality.py`` count.
"""

from __future__ import annotations

import regex

from streams.redact.recognizers.name_words import COMPANY_DESIGNATORS, COMPANY_PREFIXES

__all__ = ["names_a_company"]

#: Case matters: "Kavya as well" is no company, "Nordic AS" is. Upper-case spellings are accepted too.
_FORMS = sorted({f for d in COMPANY_DESIGNATORS for f in (d, d.upper())}, key=len, reverse=True)
_DESIGNATOR = "|".join(regex.escape(d).replace(r"\ ", r"\s+") for d in _FORMS)
_AFTER = regex.compile(rf"[ \t]*,?[ \t]*(?:{_DESIGNATOR})(?![\p{{L}}\d])")
_INSIDE = regex.compile(rf"(?<![\p{{L}}\d])(?:{_DESIGNATOR})(?![\p{{L}}\d])\s*$")
_JAPANESE = regex.compile("|".join(COMPANY_PREFIXES))
#: Institutions named "<kind> of <place or founder>": "Bank of America", "Bank of the West".
_INSTITUTION_BEFORE = regex.compile(r"(?<![\p{L}])(?:Bank|BANK)[ \t]+of[ \t]+(?:the[ \t]+)?$")


def names_a_company(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is (part of) a company name."""
    span = text[start:end]
    before = _INSTITUTION_BEFORE.search(text, max(0, start - 16), start)
    return bool(_JAPANESE.search(span) or _INSIDE.search(span) or _AFTER.match(text, end) or before)
