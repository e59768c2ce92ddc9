"""Phone numbers in chat, recall first: every phone-shaped digit run, valid for some region or not.

A customer's mistyped number is still the customer's number. python-phonenumbers only accepts numbers that
are valid (or possible) for a region, so it lets through exactly what real customers type: an exchange
starting with 0 or 1, an unassigned area code, a mobile with a digit missing or doubled, a national number in
another country's format. This recogniser therefore works from the *shape* of the text:

- a run of 7-15 digits (``phone_min_digits`` .. ``phone_max_digits``) with the separators people use (spaces,
  ``-``, ``.``, ``_``, ``/``, parentheses), optionally led by ``+``, ``00`` or ``(+44)``, with an extension
  after it ("ext. 214", "x305"); a ``whatsapp:`` or ``tel:`` prefix is just punctuation before it; an O typed
  for a zero or an l for a one counts as the digit;
- that is not glued to a word or a code (``ORD-48213377``, ``v2.14.3``, ``#48213377``, a SID's hex), nor a price
  (currency sign or decimal part next to it), a calendar date (``25/11/2026``, ``2026-11-25``), a year range
  (``2019-2024``) or a compact timestamp (``20261125143000``);
- that does not follow a code prefix of two to four capitals ("PZU 4471 0093 22", "XGH 4532 0118 7720", "EK 402
  918 337": a policy, member or loyalty number), unless the prefix is a phone label ("TEL", "HP", "MOB"), a country
  or state code ("UK", "NSW"), the abbreviation of a personal identifier ("SSN", "NHS", "TFN") or a phone word is
  nearer;
- and whose nearest keyword before it is not an identifier word ("order", "ticket", "tracking", "invoice", ...:
  ``phone_identifier_words``), unless the number is written like a phone (``+``, parentheses) or a phone word
  ("call", "text", "whatsapp") is nearer.

``phone_strictness`` trades recall for precision: ``"shape"`` (the default) keeps every such run; ``"possible"``
and ``"valid"`` keep only runs python-phonenumbers finds possible / valid for an E.164 country code or one of
``phone_regions``. Validated numbers score higher than shape-only ones either way the audit reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

import phonenumbers
from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.recognizers.rule import rule_finding

__all__ = ["STRICTNESS", "ChatPhoneRecognizer", "PhoneCandidate", "nearest_keyword", "phone_candidates"]

ENTITY = "PHONE_NUMBER"
STRICTNESS = ("shape", "possible", "valid")
_SPACE = "[ \u00a0\u202f]"
#: A separator between two digit groups: one punctuation mark with at most one space on either side (or a line
#: break after it: "(305) 418-\n2276", sent too soon), or one or two spaces. Possessive digit groups (``\d++``)
#: keep the scan linear on long digit strings.
_SEP = rf"(?:{_SPACE}?[-._=\u2010-\u2013/]{{1,2}}(?:{_SPACE}|\n)?|{_SPACE}{{1,2}})"
_PAREN_GROUP = r"\((?:\+|00)?\d{1,5}\)"
#: A digit group. Letters typed for digits count as digits: an O for a zero ("07700 9OO 512", "O7700", "604.555.O163")
#: where no other letter follows it, an l or I between digits for a one ("0806 482 77l3").
_GROUP = r"(?:\d|[Oo](?=[OolI]*\d))(?:\d|[Oo](?![^\W\d_OolI])|(?<=[\dOo])[lI](?=[\dOolI]*\d))*+"
_RUN = re.compile(
    rf"(?:(?:\+|\uff0b){_SPACE}?|\(\+\d{{1,3}}\){_SPACE}?)?"
    rf"(?:{_PAREN_GROUP}{_SEP}?)?{_GROUP}"
    rf"(?:(?:{_SEP}|{_SEP}?{_PAREN_GROUP}{_SEP}?){_GROUP})*"
)
_DIGIT = re.compile(r"\d")
_TIME_AFTER = re.compile(r"[:h]\d\d")
_LAST_GROUP = re.compile(rf"{_SEP}?\(?\d+\)?$")
_GROUPS = re.compile(r"\d+")
_SPACED_LAST_GROUP = re.compile(rf"{_SPACE}+\d+$")
_DIGIT_OR_O = re.compile(r"[\dOolI]")
#: An extension after the number belongs to it ("(646) 555-0177 ext. 214", "212-555-0134 x305").
_EXTENSION = re.compile(r"[ \u00a0]*,?[ \u00a0]*(?:ext\.?|extension|x|#)[ \u00a0]*\d{1,6}(?![\d\w])", re.IGNORECASE)
_CURRENCY = "$€£¥₹₩₽¢"
_CURRENCY_CODES = re.compile(r"[ \u00a0]?(?:[$€£¥₹₩₽¢]|(?:usd|eur|gbp|inr|cad|aud|brl|jpy|chf)\b)", re.IGNORECASE)
#: Characters that, right before the run, make it part of a code or an amount ("ORD-…", "#…", "$…").
_GLUED_BEFORE = frozenset("#$€£¥₹₩₽¢_@&%")
#: After one of these, a run is the tail of an identifier when a letter or digit precedes the mark ("INV-1234567").
#: ``:`` and ``.`` are not among them: "mobile:0770…", "Tel.0171…" are phones; an identifier word decides there.
_CODE_JOINERS = frozenset("-_/\u2010\u2011\u2012\u2013")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
#: Capitals right before a run, with one space between: an identifier's prefix unless listed below.
_CODE_PREFIX = re.compile(r"(?<![^\W_])([A-Z]{2,4})[ \u00a0]$")
#: Capitals that may stand before a phone number: labels, countries, states or provinces whose codes people
#: write before a number, and the abbreviations of personal identifiers (recall first: "SSN 123456789", "TFN 123
#: 456 782" stay redacted).
_PHONE_PREFIXES = frozenset(
    {
        "TEL", "TELF", "TLF", "MOB", "MOBI", "CELL", "CEL", "HP", "PH", "PHN", "FAX", "SMS", "TXT", "WA", "WAPP",
        "NO", "NR", "NUM", "NMR", "DIR", "OFF", "OFC", "OFFC", "EXT", "CALL", "HOME", "WORK", "MB", "HM", "WK",
        "UK", "USA", "UAE", "KSA", "NSW", "VIC", "QLD", "TAS", "ACT",
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
        "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
        "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WV", "WI", "WY", "PR",
        "AB", "BC", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
    }
    | set(phonenumbers.SUPPORTED_REGIONS)
    # personal identifiers: the number after them is personal data whatever it is, keep it redacted
    | {
        "SSN", "SIN", "TIN", "ITIN", "NIN", "NINO", "NI", "DOB", "PIN", "CPF", "RG", "RUT", "RUN", "CURP", "RFC",
        "NIF", "NIE", "DNI", "CIF", "PAN", "NIC", "EIN", "MRN", "NHS", "ID", "BSN", "CNP", "TFN", "IRD", "PPS",
        "PPSN", "NRIC", "FIN", "HKID", "KTP", "NIK", "SAID", "ACCT", "ACC", "AC", "IBAN", "BAN", "TAX", "VAT",
        "CC", "CVV", "PPN", "AHV", "OIB", "EGN", "JMBG", "EMSO", "AMKA", "HETU", "CPR", "NHI", "UMID", "SSS",
    }
)  # fmt: skip
#: Words looked at before a run to find its nearest keyword.
_CONTEXT_WORDS_BACK = 4
_STRONG_START = ("+", "\uff0b", "(")
#: "00" starts an international number only when a country code and a national number follow.
_MIN_DIGITS_AFTER_00 = 11
_DATE_SEPARATORS = frozenset("-./")
_YEAR_MIN, _YEAR_MAX = 1900, 2099
_DECIMAL_MAX_FRACTION, _DECIMAL_MAX_WHOLE = 3, 3
_VERSION_MIN_GROUPS = 3
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff66-\uff9f]")
_TIMESTAMP_FORMATS = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}


class PhoneCandidate(tuple):
    """``(start, end, digits, strong)``: a phone-shaped run, its digit count, and whether it is written like a
    phone (``+``, ``00``, parentheses), which outweighs an identifier word before it."""

    __slots__ = ()

    def __new__(cls, start: int, end: int, digits: int, strong: bool) -> PhoneCandidate:
        return super().__new__(cls, (start, end, digits, strong))

    start = property(lambda self: self[0])
    end = property(lambda self: self[1])
    digits = property(lambda self: self[2])
    strong = property(lambda self: self[3])


def _is_calendar_date(run: str) -> bool:
    """``25/11/2026``, ``11-25-26``, ``2026.11.25``: three groups, one separator, a real day and month."""
    groups = _GROUPS.findall(run)
    seps = set(re.sub(r"[\d ]", "", run))
    if len(groups) != 3 or len(seps) != 1 or not seps <= _DATE_SEPARATORS:
        return False
    sizes = [len(g) for g in groups]
    a, b, c = (int(g) for g in groups)
    if sizes[0] == 4 and sizes[1] <= 2 and sizes[2] <= 2:
        return _YEAR_MIN <= a <= _YEAR_MAX and 1 <= b <= 12 and 1 <= c <= 31
    if sizes[0] <= 2 and sizes[1] <= 2 and sizes[2] in (2, 4):
        return 1 <= min(a, b) <= 12 and 1 <= max(a, b) <= 31
    return False


def _is_year_range(run: str) -> bool:
    groups = _GROUPS.findall(run)
    return len(groups) == 2 and all(len(g) == 4 and _YEAR_MIN <= int(g) <= _YEAR_MAX for g in groups)


def _is_compact_timestamp(run: str) -> bool:
    layout = _TIMESTAMP_FORMATS.get(len(run))
    if layout is None or not run.isdigit() or not run.startswith(("19", "20")):
        return False
    try:
        datetime.strptime(run, layout)  # noqa: DTZ007 - only the shape is checked
    except ValueError:
        return False
    return True


def _is_decimal(run: str) -> bool:
    """``3.14159265``, ``1234567.89``: one dot between two groups reads as a decimal number, unless the integer
    part has a leading zero and neither part is short ("06734.72132" is a phone written with a dot)."""
    if run.count(".") != 1 or re.search(r"[^\d.]", run):
        return False
    whole, fraction = run.split(".")
    if whole.startswith("0") and whole != "0":
        return False
    return len(fraction) <= _DECIMAL_MAX_FRACTION or len(whole) <= _DECIMAL_MAX_WHOLE


def _is_version(run: str) -> bool:
    """``106.0.5924.88``, ``10.0.22501.1638``: dots only, three or more groups, a one-digit group after the
    first. Dotted phones group digits in twos to fours ("06.12.34.56.78", "1.800.555.0199")."""
    if re.search(r"[^\d.]", run):
        return False
    groups = run.split(".")
    return len(groups) >= _VERSION_MIN_GROUPS and any(len(g) == 1 for g in groups[1:])


def _wordlike(char: str) -> bool:
    """A letter or digit that glues a run into a word. CJK script is not: Japanese and Chinese write no spaces,
    so "電話番号は0081 73-8845-4720です" holds a free-standing number."""
    return char.isalnum() and not _CJK.match(char)


def _glued_before(text: str, start: int) -> bool:
    """True when a word, a code or an amount sign runs into the start of the run."""
    before = text[start - 1] if start > 0 else ""
    if before and (_wordlike(before) or before in _GLUED_BEFORE):
        return True
    return before in _CODE_JOINERS and start > 1 and _wordlike(text[start - 2])


def _glued(text: str, start: int, end: int) -> bool:
    """True when the run is part of a word, a code, an amount or a longer number."""
    if _glued_before(text, start):
        return True
    after = text[end] if end < len(text) else ""
    if after in "xX" and text[end + 1 : end + 2].isdigit():
        return False  # an extension: "555-0123x45"
    if after and (_wordlike(after) or after in "%_@"):
        return True
    if after in _CODE_JOINERS and end + 1 < len(text) and _wordlike(text[end + 1]):
        return True
    if after in ".," and end + 1 < len(text) and text[end + 1].isdigit():
        return True  # "1.299,00": a decimal part follows
    window_before = text[max(0, start - 2) : start]
    return any(c in _CURRENCY for c in window_before) or bool(_CURRENCY_CODES.match(text, end))


def _split_wide(run: str) -> list[tuple[int, str]]:
    """Sub-runs of a run too long to be one number, cut at separators that hold a space next to a mark or two
    spaces ("415 555 0123 / 415 555 0199"): the (offset, text) of each part."""
    parts = []
    pos = 0
    for sep in re.finditer(rf"{_SPACE}[-.\u2010-\u2013/]{_SPACE}?|[-.\u2010-\u2013/]{_SPACE}|{_SPACE}{{2}}", run):
        parts.append((pos, run[pos : sep.start()]))
        pos = sep.end()
    parts.append((pos, run[pos:]))
    return [(o, p) for o, p in parts if p]


def phone_candidates(text: str, *, min_digits: int, max_digits: int) -> list[PhoneCandidate]:
    """Phone-shaped runs of ``text`` that are not codes, amounts, dates or timestamps (see the module doc)."""
    out: list[PhoneCandidate] = []
    for match in _RUN.finditer(text):
        pieces = [(match.start(), match.group())]
        if len(_DIGIT_OR_O.findall(match.group())) > max_digits:
            pieces = [(match.start() + o, p) for o, p in _split_wide(match.group())]
        for start, run in pieces:
            candidate = _candidate(text, start, run, min_digits, max_digits)
            if candidate is not None:
                out.append(candidate)
    return out


def _candidate(text: str, start: int, run: str, min_digits: int, max_digits: int) -> PhoneCandidate | None:
    stripped = run
    end = start + len(stripped)
    if _TIME_AFTER.match(text, end):
        # "2026-11-25 14:30": the last group is the hour of a time, not part of the run.
        last = _LAST_GROUP.search(stripped)
        if last is None:
            return None
        stripped = stripped[: last.start()]
        end = start + len(stripped)
    if _glued(text, start, end) and not _glued_before(text, start) and _SPACED_LAST_GROUP.search(stripped):
        # "010 284 733 91 1 3ashan": the last group belongs to the word after it (Arabizi writes 3 for ع).
        stripped = stripped[: _SPACED_LAST_GROUP.search(stripped).start()]
        end = start + len(stripped)
    digits = len(_DIGIT_OR_O.findall(stripped))
    if not min_digits <= digits <= max_digits:
        return None
    if _glued(text, start, end):
        return None
    if _is_calendar_date(stripped) or _is_year_range(stripped) or _is_compact_timestamp(stripped):
        return None
    if _is_decimal(stripped) or _is_version(stripped):
        return None
    strong = stripped.startswith(_STRONG_START) or (stripped.startswith("00") and digits >= _MIN_DIGITS_AFTER_00)
    extension = _EXTENSION.match(text, end)
    return PhoneCandidate(start, extension.end() if extension else end, digits, strong)


def _after_code_prefix(text: str, start: int) -> bool:
    """True when an identifier's capital-letter prefix stands right before ``start`` ("PZU 4471 0093 22")."""
    prefix = _CODE_PREFIX.search(text, max(0, start - 6), start)
    return bool(prefix and prefix.group(1) not in _PHONE_PREFIXES)


def nearest_keyword(text: str, start: int, phone_words: frozenset[str], id_words: frozenset[str]) -> str | None:
    """``"phone"``, ``"id"`` or None: the kind of the nearest keyword among the few words before ``start``."""
    window = text[max(0, start - 60) : start]
    last_digit = max((window.rfind(d) for d in "0123456789"), default=-1)
    # A keyword before an earlier number belongs to that number ("version 4.1.7 still shows 510-555-0108").
    words = _WORD.findall(window[last_digit + 1 :])
    for word in reversed(words[-_CONTEXT_WORDS_BACK:]):
        folded = word.casefold()
        if folded in phone_words:
            return "phone"
        if folded in id_words:
            return "id"
    return None


class ChatPhoneRecognizer(LocalRecognizer):
    """PHONE_NUMBER for phone-shaped digit runs (module doc). Presidio's context enhancer lifts the score with
    ``CONTEXT`` words as for its own phone recogniser."""

    CONTEXT = [
        "phone", "number", "telephone", "cell", "cellphone", "mobile", "call", "text", "whatsapp", "sms",
        "reach", "tel", "contact", "landline", "ring", "fax", "callback",
    ]  # fmt: skip
    #: Words that make the run a phone whatever identifier word stands further back.
    PHONE_WORDS = frozenset(
        {
            "phone", "telephone", "tel", "cell", "cellphone", "mobile", "call", "calling", "text", "texting",
            "whatsapp", "sms", "reach", "ring", "landline", "fax", "callback", "contact", "dial", "móvil",
            "movil", "telefono", "teléfono", "handy", "telefon", "portable", "téléphone", "celular", "tel.",
        }
    )  # fmt: skip
    SHAPE_SCORE = 0.4
    VALID_SCORE = 0.6

    def __init__(
        self,
        *,
        regions: Sequence[str],
        strictness: str = "shape",
        min_digits: int = 7,
        max_digits: int = 15,
        identifier_words: Iterable[str] = (),
        language: str = "en",
    ) -> None:
        if strictness not in STRICTNESS:
            raise ValueError(f"phone strictness must be one of {STRICTNESS}, got {strictness!r}")
        self.regions = tuple(regions)
        self.strictness = strictness
        self.min_digits = min_digits
        self.max_digits = max_digits
        self.identifier_words = frozenset(w.casefold() for w in identifier_words)
        super().__init__(
            supported_entities=[ENTITY], supported_language=language, name="ChatPhoneRecognizer", context=self.CONTEXT
        )

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import."""

    def _checked(self, number: str) -> bool | None:
        """True if python-phonenumbers finds ``number`` valid (or possible, per strictness) for its ``+``
        country code or one of the regions; None when the strictness does not ask (shape mode)."""
        if self.strictness == "shape":
            return None
        check = phonenumbers.is_valid_number if self.strictness == "valid" else phonenumbers.is_possible_number
        cleaned = number.replace("\uff0b", "+")
        regions = [None] if cleaned.startswith("+") else list(self.regions)
        for region in regions:
            try:
                if check(phonenumbers.parse(cleaned, region)):
                    return True
            except phonenumbers.NumberParseException:
                continue
        return False

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        results = []
        for cand in phone_candidates(text, min_digits=self.min_digits, max_digits=self.max_digits):
            if not cand.strong:
                keyword = nearest_keyword(text, cand.start, self.PHONE_WORDS, self.identifier_words)
                if keyword == "id" or (keyword is None and _after_code_prefix(text, cand.start)):
                    continue
            checked = self._checked(text[cand.start : cand.end])
            if checked is False:
                continue
            score = self.VALID_SCORE if checked else self.SHAPE_SCORE
            why = f"{self.strictness} phone number ({cand.digits} digits)"
            results.append(rule_finding(self, ENTITY, cand.start, cand.end, score, why))
        return results
