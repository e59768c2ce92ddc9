"""Values both generated corpora need and neither generator provides well: phone renderings, typo'd phones,
checksummed IBANs and SSNs for mimesis (it has neither), and hard negatives (identifiers that must survive).

Phones are re-rendered with libphonenumber the way people actually type them (E.164 without separators, a
``whatsapp:`` address, national formats with dots, dashes or parentheses, a ``00`` prefix) and a share is
mutated the way people mistype them (a digit dropped or doubled, an exchange starting with 0 or 1, an unassigned
area code). Whether the result is still a valid number is decided by libphonenumber, not by us, and tagged as
``phone_valid`` / ``phone_invalid``: a redactor must remove a mistyped number just as surely as a valid one.
"""

from __future__ import annotations

import random
import re
import string

import phonenumbers

from bench.corpora._builder import Piece

__all__ = [
    "REGIONS",
    "bank_account",
    "iban",
    "negative",
    "phone",
    "phone_validity",
    "ssn",
]

#: Generator locale -> libphonenumber region.
REGIONS = {
    "en_US": "US",
    "en_GB": "GB",
    "en_IN": "IN",
    "en_AU": "AU",
    "de_DE": "DE",
    "fr_FR": "FR",
    "es_ES": "ES",
    "es_MX": "MX",
    "pt_BR": "BR",
    "it_IT": "IT",
    "nl_NL": "NL",
    "pl_PL": "PL",
    "ja_JP": "JP",
    "sv_SE": "SE",
    "tr_TR": "TR",
    "da_DK": "DK",
    "fi_FI": "FI",
    "cs_CZ": "CZ",
    "en_CA": "CA",
}

_PNF = phonenumbers.PhoneNumberFormat
_EXTENSION = re.compile(r"\s*(x|ext\.?)\s*\d+$", re.IGNORECASE)


# -- phones ---------------------------------------------------------------------------------------------------
def phone_validity(text: str, region: str) -> bool:
    core = text.removeprefix("whatsapp:")
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(core, region))
    except phonenumbers.NumberParseException:
        return False


def _national_with(rng: random.Random, number: phonenumbers.PhoneNumber) -> str:
    """The national rendering with the separators people type: dots, dashes, spaces or an area code in ()."""
    groups = re.findall(r"\d+", phonenumbers.format_number(number, _PNF.NATIONAL))
    if len(groups) < 2:
        return phonenumbers.format_number(number, _PNF.NATIONAL)
    style = rng.choice(["dots", "dashes", "spaces", "parens", "parens_dash"])
    if style == "dots":
        return ".".join(groups)
    if style == "dashes":
        return "-".join(groups)
    if style == "spaces":
        return " ".join(groups)
    if style == "parens":
        return f"({groups[0]}) " + " ".join(groups[1:])
    return f"({groups[0]}) " + "-".join(groups[1:])


def _digit_positions(text: str, skip: int) -> list[int]:
    return [i for i, c in enumerate(text) if c.isdigit()][skip:]


def _mutate(rng: random.Random, text: str, region: str) -> tuple[str, str]:
    """One typo, as (new text, kind); the country code's digits are left alone."""
    skip = 3 if text.startswith("+") else 1
    positions = _digit_positions(text, skip)
    kinds = ["dropped", "doubled", "swapped"]
    if region in {"US", "CA"}:
        kinds += ["exchange_0_1", "unassigned_area"]
    kind = rng.choice(kinds)
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if kind in {"exchange_0_1", "unassigned_area"} and len(digits) >= 10:
        national = digits[-10:]  # NPA NXX XXXX
        chars = list(text)
        if kind == "exchange_0_1":
            chars[national[3]] = rng.choice("01")
        else:  # a middle digit of 9 is reserved for expansion: no area code N9X is assigned
            chars[national[0]], chars[national[1]] = rng.choice("2345678"), "9"
        return "".join(chars), kind
    if len(positions) < 2:
        return text, "none"
    i = rng.choice(positions[:-1])
    if kind == "dropped":
        return text[:i] + text[i + 1 :], kind
    if kind == "doubled":
        return text[: i + 1] + text[i] + text[i + 1 :], kind
    j = next(p for p in positions if p > i)
    chars = list(text)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars), kind


def phone(rng: random.Random, raw: str, region: str) -> Piece | tuple[Piece, Piece]:
    """``raw`` (a generator's own number) as a chat user would type it, labelled and tagged.

    Tags: the rendering (``phone_provider_format``, ``phone_e164``, ``phone_whatsapp``, ``phone_international``,
    ``phone_national_format``, ``phone_00_prefix``), ``phone_typo`` + ``phone_typo:<kind>`` for mutations, and
    ``phone_valid`` / ``phone_invalid`` by libphonenumber.
    """
    raw = _EXTENSION.sub("", raw.strip())
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    roll = rng.random()
    tags = set()
    if number is None or roll < 0.35:
        text, tags = raw, {"phone_provider_format"}
    elif roll < 0.45:
        text, tags = phonenumbers.format_number(number, _PNF.E164), {"phone_e164"}
    elif roll < 0.52:
        text, tags = "whatsapp:" + phonenumbers.format_number(number, _PNF.E164), {"phone_whatsapp"}
    elif roll < 0.62:
        text, tags = phonenumbers.format_number(number, _PNF.INTERNATIONAL), {"phone_international"}
    elif roll < 0.75:
        text, tags = _national_with(rng, number), {"phone_national_format"}
    elif roll < 0.80:
        text = "00" + phonenumbers.format_number(number, _PNF.INTERNATIONAL)[1:]
        tags = {"phone_00_prefix"}
    else:
        base = rng.choice(
            [
                raw,
                phonenumbers.format_number(number, _PNF.INTERNATIONAL),
                phonenumbers.format_number(number, _PNF.NATIONAL),
                phonenumbers.format_number(number, _PNF.E164),
            ]
        )
        text, kind = _mutate(rng, base, region)
        tags = {"phone_typo", f"phone_typo:{kind}"}
    tags.add("phone_valid" if phone_validity(text, region) else "phone_invalid")
    if text.startswith("whatsapp:"):
        # The channel prefix is an address scheme, not PII; the number after it is.
        return Piece("whatsapp:"), Piece(text[len("whatsapp:") :], "PHONE_NUMBER", slices=frozenset(tags))
    return Piece(text, "PHONE_NUMBER", slices=frozenset(tags))


# -- identifiers mimesis lacks ------------------------------------------------------------------------------------
_IBAN_BBAN = {  # country -> (BBAN length, alphabet of the BBAN: digits only, or with upper-case letters)
    "DE": (18, "d"),
    "FR": (23, "d"),
    "ES": (20, "d"),
    "IT": (23, "a"),
    "NL": (14, "a"),
    "PL": (24, "d"),
    "GB": (18, "a"),
    "SE": (20, "d"),
    "DK": (14, "d"),
    "FI": (14, "d"),
    "CZ": (20, "d"),
    "TR": (22, "d"),
    "BR": (25, "a"),
    "PT": (21, "d"),
    "BE": (12, "d"),
}


def iban(rng: random.Random, country: str, *, grouped: bool = False) -> str:
    """A mod-97-valid IBAN of ``country``'s length and BBAN shape (bank-code letters where the country has them)."""
    length, alphabet = _IBAN_BBAN.get(country, (18, "d"))
    if country == "BR":  # bank, branch and account digits, then account type and holder position
        bban = "".join(rng.choice(string.digits) for _ in range(length - 2)) + rng.choice("CP") + "1"
    elif alphabet == "a":
        letters = 4 if country in {"GB", "NL"} else 1
        bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(letters))
        bban += "".join(rng.choice(string.digits) for _ in range(length - letters))
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(length))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    value = f"{country}{check:02d}{bban}"
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if grouped else value


def ssn(rng: random.Random, style: str = "dashes") -> str:
    """A US SSN the SSA could issue: area 001-899 except 666, group 01-99, serial 0001-9999."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    group, serial = rng.randint(1, 99), rng.randint(1, 9999)
    sep = {"dashes": "-", "spaces": " ", "bare": ""}[style]
    return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"


def bank_account(rng: random.Random) -> str:
    return "".join(rng.choice(string.digits) for _ in range(rng.randint(8, 12)))


# -- hard negatives -----------------------------------------------------------------------------------------------
def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _upper(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(n))


_CURRENCY = {
    "US": ("$", "{sym}{int}.{dec}", ","),
    "GB": ("£", "{sym}{int}.{dec}", ","),
    "IN": ("₹", "{sym}{int}.{dec}", ","),
    "AU": ("A$", "{sym}{int}.{dec}", ","),
    "CA": ("C$", "{sym}{int}.{dec}", ","),
    "MX": ("MX$", "{sym}{int}.{dec}", ","),
    "DE": ("€", "{int},{dec} {sym}", "."),
    "FR": ("€", "{int},{dec} {sym}", " "),
    "ES": ("€", "{int},{dec} {sym}", "."),
    "IT": ("€", "{sym} {int},{dec}", "."),
    "NL": ("€", "{sym} {int},{dec}", "."),
    "PL": ("zł", "{int},{dec} {sym}", " "),
    "BR": ("R$", "{sym} {int},{dec}", "."),
    "JP": ("¥", "{sym}{int}", ","),
    "SE": ("kr", "{int},{dec} {sym}", " "),
    "DK": ("kr.", "{int},{dec} {sym}", "."),
    "FI": ("€", "{int},{dec} {sym}", " "),
    "CZ": ("Kč", "{int},{dec} {sym}", " "),
    "TR": ("₺", "{sym}{int},{dec}", "."),
}


def price(rng: random.Random, region: str) -> str:
    sym, pattern, thousands = _CURRENCY.get(region, _CURRENCY["US"])
    amount = rng.choice([rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 4999)])
    grouped = f"{amount:,}".replace(",", thousands)
    return pattern.format(sym=sym, int=grouped, dec=f"{rng.randint(0, 99):02d}")


def _order(rng: random.Random) -> str:
    return rng.choice(
        [
            f"ORD-{_digits(rng, 8)}",
            f"#{_digits(rng, 8)}",
            f"{_digits(rng, 3)}-{_digits(rng, 7)}-{_digits(rng, 7)}",  # marketplace style, phone-like on purpose
            f"WEB/{rng.randint(2022, 2026)}/{_digits(rng, 6)}",
            f"{_upper(rng, 2)}{_digits(rng, 7)}",
            f"A-{_digits(rng, 4)}-{_digits(rng, 4)}",
        ]
    )


def _tracking(rng: random.Random) -> str:
    return rng.choice(
        [
            f"1Z{_upper(rng, 3)}{_digits(rng, 3)}{_digits(rng, 2)}{_digits(rng, 8)}",
            f"{_upper(rng, 2)}{_digits(rng, 9)}GB",
            f"9400 {_digits(rng, 4)} {_digits(rng, 4)} {_digits(rng, 4)} {_digits(rng, 4)} {_digits(rng, 2)}",
            f"JD{_digits(rng, 18)}",
            f"TBA{_digits(rng, 12)}",
        ]
    )


def _ticket(rng: random.Random) -> str:
    return rng.choice(
        [f"INC{_digits(rng, 7)}", f"CS-{rng.randint(2022, 2026)}-{_digits(rng, 6)}", f"#{_digits(rng, 6)}"]
    )


def _case(rng: random.Random) -> str:
    return rng.choice([_digits(rng, 8), "00" + _digits(rng, 6), _digits(rng, 7)])


def _sid(rng: random.Random) -> str:
    return rng.choice(["SM", "MM", "CH", "IS", "MG", "CA", "RE", "WS"]) + _hex(rng, 32)


def _timestamp(rng: random.Random) -> str:
    y, mo, d = rng.randint(2023, 2026), rng.randint(1, 12), rng.randint(1, 28)
    h, mi, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    zone = rng.choice(["Z", "+01:00", "-05:00", ".512Z", "+05:30"])
    sep = rng.choice(["T", "T", " "])
    return f"{y}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{zone}"


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip


def _date(rng: random.Random) -> str:
    y, mo, d = rng.randint(2023, 2026), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [
            f"{d:02d}/{mo:02d}/{y}",
            f"{y}-{mo:02d}-{d:02d}",
            f"{_MONTHS[mo - 1]} {d}",
            f"{d} {_MONTHS[mo - 1][:3]}",
            f"{d:02d}.{mo:02d}.{y}",
            f"{mo}/{d}",
        ]
    )


def _time(rng: random.Random) -> str:
    h, m = rng.randint(1, 12), rng.choice([0, 15, 30, 45])
    return rng.choice([f"{h}:{m:02d}am", f"{h}:{m:02d} pm", f"{h + 8:02d}:{m:02d}", f"{h}pm", f"{h + 7}h{m:02d}"])


def _quantity(rng: random.Random) -> str:
    return rng.choice(
        [f"{rng.randint(2, 9)} items", f"{rng.randint(2, 6)} x 500 ml", f"{rng.randint(10, 40)} units",
         f"qty {rng.randint(2, 12)}", f"{rng.randint(1, 5)}.5 kg", f"{rng.randint(2, 4)} boxes"]
    )  # fmt: skip


def _version(rng: random.Random) -> str:
    a, b, c = rng.randint(1, 19), rng.randint(0, 30), rng.randint(0, 9)
    return rng.choice(
        [f"v{a}.{b}.{c}", f"iOS {rng.randint(15, 18)}.{rng.randint(0, 6)}.{rng.randint(1, 3)}",
         f"Android {rng.randint(11, 15)}", f"{a}.{b}.{c} ({rng.randint(1000, 9999)})",
         f"{rng.randint(100, 130)}.0.{rng.randint(5000, 6999)}.{rng.randint(10, 199)}",
         f"10.0.{rng.randint(19041, 22631)}.{rng.randint(1000, 4999)}"]
    )  # fmt: skip


def _error_code(rng: random.Random) -> str:
    return rng.choice(
        ["0x80070005", "0x800F081F", f"error {rng.choice([500, 502, 503, 404])}", f"E-{rng.randint(1000, 9999)}",
         "ERR_CONNECTION_RESET", f"HTTP {rng.choice([401, 403, 429])}", f"code {rng.choice([30003, 30007, 21610])}"]
    )  # fmt: skip


def _duration(rng: random.Random) -> str:
    return rng.choice(
        [f"{rng.randint(5, 59)} minutes", f"{rng.randint(1, 5)}h {rng.randint(1, 59)}m", "3 business days",
         f"00:{rng.randint(10, 59)}:{rng.randint(10, 59)}", f"{rng.randint(20, 90)} seconds", "48 hours"]
    )  # fmt: skip


def _percentage(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(5, 50)}%", f"{rng.randint(1, 30)}.5 %", "100%"])


_NEGATIVES = {
    "order": _order,
    "tracking": _tracking,
    "ticket": _ticket,
    "case": _case,
    "sid": _sid,
    "timestamp": _timestamp,
    "date": _date,
    "time": _time,
    "quantity": _quantity,
    "version": _version,
    "error_code": _error_code,
    "duration": _duration,
    "percentage": _percentage,
}


def negative(rng: random.Random, kind: str, region: str = "US") -> Piece:
    """A hard negative of ``kind`` (see ``_NEGATIVES``, plus ``price``), labelled so over-redaction is counted."""
    value = price(rng, region) if kind == "price" else _NEGATIVES[kind](rng)
    return Piece(value, negative=kind)
