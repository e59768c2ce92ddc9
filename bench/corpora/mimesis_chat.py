"""Contact-center chat from a second generator, mimesis (15 locales), with templates written separately from
``faker_chat`` so neither phrasing nor data source is shared: a redactor that only learned Faker's shapes or our
Faker templates shows it here.

Values come from mimesis' own locale data (``Person``, ``Address``, ``Payment``, ``Internet``, ``Finance``,
``Transport``, ``Hardware``, ``Development``). mimesis has no IBAN, SSN or bank-account provider, so those are
drawn from mimesis' seeded random with their real rules (mod-97 IBANs per country, SSA-issuable SSNs); see
``bench/corpora/_values.py``. Japanese street lines are composed (mimesis' ``address`` there is a city and a
number triple). About 35 % of messages carry no PII.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mimesis import Address, Development, Finance, Hardware, Internet, Locale, Payment, Person, Transport
from mimesis.enums import Gender

from bench.corpora import LabelledText
from bench.corpora._builder import MessageBuilder, Piece, render, slot_names
from bench.corpora._values import bank_account, iban, negative, phone, ssn

__all__ = ["LOCALES", "PII_FREE_TEMPLATES", "PII_TEMPLATES", "generate"]

#: mimesis locale -> (libphonenumber region, weight).
LOCALES: dict[str, tuple[str, int]] = {
    "en": ("US", 4),
    "en-gb": ("GB", 2),
    "en-ca": ("CA", 1),
    "de": ("DE", 2),
    "fr": ("FR", 2),
    "es": ("ES", 1),
    "it": ("IT", 1),
    "nl": ("NL", 1),
    "pl": ("PL", 1),
    "pt-br": ("BR", 1),
    "sv": ("SE", 1),
    "tr": ("TR", 1),
    "da": ("DK", 1),
    "cs": ("CZ", 1),
    "ja": ("JP", 1),
}
PII_FREE_SHARE = 0.35
LOWERCASE_SHARE = 0.08

Template = tuple[str, frozenset[str]]


def _t(text: str, *tags: str) -> Template:
    return text, frozenset(tags)


PII_TEMPLATES: tuple[Template, ...] = (
    _t("ring me: {phone}", "callback"),
    _t("best number to get me is {phone} (mobile)", "callback"),
    _t("{phone} is the number on the account"),
    _t("pls use {phone}, the other one is switched off"),
    _t("Sorry, typo, it's {phone} not {phone_typo}"),
    _t("could someone phone {first} at {phone}? she's our office manager", "name_no_introducer"),
    _t("Kind regards\n\n{full}\n{phone}", "name_signoff"),
    _t("Best,\n{first}", "name_signoff"),
    _t("Thanks for nothing.\n- {full}", "name_signoff"),
    _t("{first} ({phone})", "name_no_introducer", "contact_card"),
    _t("Hey, {first} again from this morning", "name_marker"),
    _t("I am {full}, customer since 2015", "name_introduced"),
    _t("Customer name: {full}", "name_colon"),
    _t("{title} {last} wants a callback before {time}", "name_title"),
    _t("Who is {first}? I never signed up for anything", "name_no_introducer"),
    _t("My daughter {first} set this account up for me", "name_no_introducer"),
    _t("Put it under my partner's name, {full2}", "name_no_introducer"),
    _t("Send it c/o {full}, {street}, {postcity}", "name_addressed_to"),
    _t("I live at {street}, it's the blue door next to the bakery"),
    _t("Collection from {street} please, any time before {time}"),
    _t("Pick up address: {address}"),
    _t("We're at {street} now, we moved here from {city}"),
    _t("The depot in {city} keeps rejecting my parcel {tracking}"),
    _t("Deliver to:\n{full}\n{address_lines}", "address_block", "name_no_introducer"),
    _t("Card no. {card}"),
    _t("Use {card} for the renewal, the old one expired"),
    _t("Why did you charge {card} when my default is the other card?"),
    _t("Ssn: {ssn}"),
    _t("ssn {ssn_spaces} / dob {dob}", "ssn_after_identifier"),
    _t("My date of birth: {dob}"),
    _t("DOB is {dob}, postcode {postcode}"),
    _t("born {dob}, if that's what the form wants"),
    _t("Please change the date of birth on file to {dob}, it was entered wrong"),
    _t("Last 4 of my social are {last4}. Oh you need the whole thing? {ssn_bare}", "ssn_bare"),
    _t("Member ID {ticket}, DOB {dob}, SSN {ssn_bare}", "ssn_after_identifier", "ssn_bare"),
    _t("IBAN for the chargeback: {iban}"),
    _t("Bank details:\n{full}\n{iban}", "name_no_introducer", "form"),
    _t("Routing? I only have the account number: {acct}", "bank"),
    _t("Acct no {acct}, savings", "bank"),
    _t("Our office IP is {ip}, please whitelist it"),
    _t("Login attempts from {ip} were not me!"),
    _t("The server at {ipv6} is unreachable since {time}"),
    _t("Please email {email}"),
    _t("{email} is my login"),
    _t("Can't reset the password for {email}"),
    _t("CC {email2} on the reply please"),
    _t("{full_lc} here, any update on {order}?", "name_marker"),
    _t("name is {first_lc} {last_lc}"),
    _t("ok {first}, thanks for your help", "name_no_introducer"),
    _t("{last}, {first}: policy holder since {date}", "name_reversed"),
    _t("Invoice should say {company}, attn. {full}", "name_no_introducer"),
    _t("{first}!! why is my {phone_model} still not here", "name_no_introducer"),
    _t("Do you deliver to {city}? My sister {full2} lives there", "name_no_introducer"),
    _t("Fwd from {full} <{email}>: please advise", "name_no_introducer", "form"),
    _t("I'm abroad, use my {country} number {phone}"),
    _t("Tel. {phone} / e-mail {email}", "form"),
    _t("Same card as last time ({card}), just charge it"),
    _t("The account is in my late father's name, {full2}, born {dob}"),
    # Agents.
    _t("Can you confirm the postcode for {street}?", "agent"),
    _t("Hi {first}, {agent_first} here from the billing team.", "agent"),
    _t("{full}, we've received your documents.", "agent", "name_no_introducer"),
    _t("Dear {title} {last}, thank you for contacting us.", "agent", "name_title"),
    _t("I've noted {phone} as your preferred contact number.", "agent"),
    _t("A courier will collect from {address} on {date}.", "agent"),
    _t("The account ending {last4} is registered to {email}.", "agent"),
    _t("We texted a code to {phone}; it is valid for {duration}.", "agent"),
    _t("Thanks for holding, {first}. {agent_first} will take over from here.", "agent"),
)

PII_FREE_TEMPLATES: tuple[Template, ...] = (
    _t("{cap:Will} the replacement come with a charger?"),
    _t("{cap:Skip} the signature, just leave it at the door"),
    _t("{cap:Major} delay on order {order}, this is ridiculous"),
    _t("{cap:Hunter} wellies in size 6, do you have them?"),
    _t("{cap:Page} 3 of the manual says to hold reset for {duration}"),
    _t("{cap:Holly} wreath arrived crushed"),
    _t("{cap:Iris} scanner on the {phone_model} stopped working"),
    _t("{cap:Art} prints came without the frame, {quantity}"),
    _t("{cap:April} invoice shows {price} but I cancelled in March"),
    _t("{cap:June} delivery was late as well"),
    _t("{cap:Faith} restored, it works now haha"),
    _t("{cap:Joy} of joys, another {error_code}"),
    _t("{cap:Hazel} eyeshadow palette is out of stock again?"),
    _t("{cap:Basil} and tomato pasta was missing from my delivery"),
    _t("{cap:Jack} is broken on the {phone_model}, the headphone one"),
    _t("{manufacturer} dealership says the part is on backorder, ref {ticket}"),
    _t("{phone_model} won't update past {version}"),
    _t("the portal returns status {http_status} since {timestamp}"),
    _t("My {phone_model} shows {error_code} on boot"),
    _t("Transaction {sid} at {timestamp}", "system"),
    _t("Pay {price} by {date}? I thought it was included"),
    _t("invoice {order}: {quantity}, {price}"),
    _t("{company} never sent the replacement"),
    _t("Reminder: your appointment is on {date} at {time}.", "system"),
    _t("Your verification code expires in {duration}.", "system"),
    _t("Download speed dropped by {percentage} after the upgrade"),
    _t("The parcel {tracking} is stuck in customs"),
    _t("app {version}, {manufacturer} car kit, bluetooth won't pair"),
    _t("Case {case} - no reply after {duration}"),
    _t("{cap:Sue} you? no, I just want my {price} back"),
    _t("k"),
    _t("ta"),
    _t("sure"),
    _t("cheers mate"),
    _t("gracias"),
    _t("danke schön"),
    _t("merci beaucoup"),
    _t("that didn't help"),
    _t("same problem as before"),
    _t("can you escalate this"),
    _t("😡😡"),
    _t("love the new app btw"),
    _t("nevermind, found it"),
    _t("thanks, sorted"),
)

_COUNTRY_ADJECTIVE = {"US": "US", "GB": "UK", "CA": "Canadian", "DE": "German", "FR": "French", "ES": "Spanish",
                "IT": "Italian", "NL": "Dutch", "PL": "Polish", "BR": "Brazilian", "SE": "Swedish", "TR": "Turkish",
                "DK": "Danish", "CZ": "Czech", "JP": "Japanese"}  # fmt: skip
_IBAN_COUNTRY = {"US": "GB", "CA": "GB", "JP": "DE"}  # countries without IBANs bank in Europe here


@dataclass
class _Providers:
    person: Person
    address: Address
    payment: Payment
    internet: Internet
    finance: Finance
    transport: Transport
    hardware: Hardware
    development: Development

    @classmethod
    def create(cls, locale: str, seed: int) -> _Providers:
        loc = Locale(locale)
        return cls(
            Person(loc, seed=seed),
            Address(loc, seed=seed + 1),
            Payment(seed=seed + 2),
            Internet(seed=seed + 3),
            Finance(loc, seed=seed + 4),
            Transport(seed=seed + 5),
            Hardware(seed=seed + 6),
            Development(seed=seed + 7),
        )


@dataclass
class _Message:
    p: _Providers
    rng: random.Random
    locale: str
    gender: Gender = Gender.FEMALE
    person: tuple[str, str] | None = None

    @property
    def region(self) -> str:
        return LOCALES[self.locale][0]

    def _tags(self, *extra: str) -> frozenset[str]:
        return frozenset({f"locale:{self.locale}", *extra})

    def _person(self) -> tuple[str, str]:
        if self.person is None:
            self.person = (self.p.person.first_name(self.gender), self.p.person.last_name(self.gender))
        return self.person

    # -- people ------------------------------------------------------------------------------------------------
    def full(self) -> Piece:
        first, last = self._person()
        return Piece(f"{first} {last}", "PERSON", slices=self._tags("name_full"))

    def full2(self) -> Piece:
        return Piece(self.p.person.full_name(), "PERSON", slices=self._tags("name_full"))

    def first(self) -> Piece:
        return Piece(self._person()[0], "PERSON", slices=self._tags("name_first_only"))

    def last(self) -> Piece:
        return Piece(self._person()[1], "PERSON", slices=self._tags("name_last_only"))

    def agent_first(self) -> Piece:
        return Piece(self.p.person.first_name(), "PERSON", slices=self._tags("name_first_only"))

    def full_lc(self) -> Piece:
        first, last = self._person()
        return Piece(f"{first} {last}".lower(), "PERSON", slices=self._tags("name_lowercase"))

    def first_lc(self) -> Piece:
        return Piece(self._person()[0].lower(), "PERSON", slices=self._tags("name_lowercase"))

    def last_lc(self) -> Piece:
        return Piece(self._person()[1].lower(), "PERSON", slices=self._tags("name_lowercase"))

    def title(self) -> Piece:
        return Piece(self.p.person.title(self.gender))

    # -- contact -----------------------------------------------------------------------------------------------
    def _phone(self, raw: str) -> tuple[Piece, ...]:
        found = phone(self.rng, raw, self.region)
        pieces = (found,) if isinstance(found, Piece) else found
        return tuple(Piece(p.text, p.label, slices=p.slices | self._tags()) for p in pieces)

    def phone(self) -> tuple[Piece, ...]:
        return self._phone(self.p.person.telephone())

    def phone_typo(self) -> tuple[Piece, ...]:
        """A mistyped number: retried until the shared phone renderer picks a typo (or gives up)."""
        raw = self.p.person.telephone()
        for _ in range(30):
            pieces = self._phone(raw)
            if any("phone_typo" in p.slices for p in pieces):
                return pieces
        return pieces

    def email(self) -> Piece:
        return Piece(self.p.person.email(), "EMAIL_ADDRESS", slices=self._tags())

    def email2(self) -> Piece:
        return self.email()

    def country(self) -> Piece:
        return Piece(_COUNTRY_ADJECTIVE[self.region])

    # -- identity and money ------------------------------------------------------------------------------------
    def card(self) -> Piece:
        value = self.p.payment.credit_card_number()
        style = self.rng.choice(["spaces", "spaces", "compact"])
        if style == "compact":
            value = value.replace(" ", "")
        return Piece(value, "CREDIT_CARD", slices=self._tags(f"card_{style}"))

    def last4(self) -> Piece:
        return Piece(f"{self.rng.randint(0, 9999):04d}", negative="card_last4")

    def ssn(self) -> Piece:
        return Piece(ssn(self.rng, "dashes"), "US_SSN", slices=self._tags("ssn_dashes"))

    def ssn_spaces(self) -> Piece:
        return Piece(ssn(self.rng, "spaces"), "US_SSN", slices=self._tags("ssn_spaces"))

    def ssn_bare(self) -> Piece:
        return Piece(ssn(self.rng, "bare"), "US_SSN", slices=self._tags("ssn_bare"))

    def iban(self) -> Piece:
        grouped = self.rng.random() < 0.5
        value = iban(self.rng, _IBAN_COUNTRY.get(self.region, self.region), grouped=grouped)
        return Piece(value, "IBAN_CODE", slices=self._tags("iban_grouped" if grouped else "iban_compact"))

    def acct(self) -> Piece:
        return Piece(bank_account(self.rng), "US_BANK_NUMBER", slices=self._tags())

    def ip(self) -> Piece:
        return Piece(self.p.internet.ip_v4(), "IP_ADDRESS", slices=self._tags("ip_v4"))

    def ipv6(self) -> Piece:
        return Piece(self.p.internet.ip_v6(), "IP_ADDRESS", slices=self._tags("ip_v6"))

    def dob(self) -> Piece:
        born = self.p.person.birthdate(min_year=1935, max_year=2006)
        d, m, y = born.day, born.month, born.year
        styles = {
            "US": [f"{m}/{d}/{y}", f"{m:02d}-{d:02d}-{y}", born.strftime("%b %d %Y")],
            "DE": [f"{d}.{m}.{y}", f"{d:02d}.{m:02d}.{y}"],
            "JP": [f"{y}年{m}月{d}日", f"{y}.{m}.{d}"],
        }.get(self.region, [f"{d}/{m}/{y}", f"{d:02d}/{m:02d}/{y}", born.strftime("%d %B %Y"), born.isoformat()])
        return Piece(self.rng.choice(styles), "DATE_OF_BIRTH", slices=self._tags("dob_context"))

    # -- places ------------------------------------------------------------------------------------------------
    def _address_tags(self, *extra: str) -> frozenset[str]:
        origin = "address_us" if self.region == "US" else "address_non_us"
        return self._tags(origin, f"address:{self.locale}", *extra)

    def _street_line(self) -> str:
        a = self.p.address
        if self.locale == "ja":
            return f"{a.street_name()}{self.rng.randint(1, 9)}丁目{self.rng.randint(1, 30)}-{self.rng.randint(1, 20)}"
        return a.address()

    def street(self) -> Piece:
        return Piece(self._street_line(), "STREET_ADDRESS", slices=self._address_tags())

    def city(self) -> Piece:
        return Piece(self.p.address.city(), "LOCATION", slices=self._tags())

    def postcode(self) -> Piece:
        return Piece(self.p.address.postal_code(), "LOCATION", slices=self._address_tags("postcode_only"))

    def _postcity(self, tags: frozenset[str]) -> tuple[Piece, ...]:
        a, region = self.p.address, self.region
        if region == "US":
            return (Piece(f"{a.city()}, {a.state(abbr=True)} {a.postal_code()}", "LOCATION", slices=tags),)
        if region in {"GB", "CA"}:
            return (Piece(f"{a.city()} {a.postal_code()}", "LOCATION", slices=tags),)
        if region == "BR":
            city = Piece(a.city(), "LOCATION", slices=tags)
            return city, Piece(", CEP "), Piece(a.postal_code(), "LOCATION", slices=tags)
        if region == "JP":
            return (Piece(f"{a.prefecture()}{a.city()}", "LOCATION", slices=tags),)
        return (Piece(f"{a.postal_code()} {a.city()}", "LOCATION", slices=tags),)

    def postcity(self) -> tuple[Piece, ...]:
        return self._postcity(self._address_tags())

    def _address(self, sep: str, extra: str) -> tuple[Piece, ...]:
        tags = self._address_tags("address_full", extra) if extra else self._address_tags("address_full")
        street = Piece(self._street_line(), "STREET_ADDRESS", slices=tags)
        if self.region == "JP":  # 〒 postcode, prefecture and city, then the street line
            zip_code = Piece(self.p.address.postal_code(), "LOCATION", slices=tags)
            return Piece("〒"), zip_code, Piece(" "), *self._postcity(tags), street
        return street, Piece(sep), *self._postcity(tags)

    def address(self) -> tuple[Piece, ...]:
        return self._address(", ", "")

    def address_lines(self) -> tuple[Piece, ...]:
        return self._address("\n", "address_multiline")

    # -- hard negatives ----------------------------------------------------------------------------------------
    def cap(self, word: str) -> Piece:
        return Piece(word, negative="capitalised_word")

    def company(self) -> Piece:
        return Piece(self.p.finance.company(), negative="company")

    def manufacturer(self) -> Piece:
        return Piece(self.p.transport.manufacturer(), negative="brand")

    def phone_model(self) -> Piece:
        return Piece(self.p.hardware.phone_model(), negative="product")

    def version(self) -> Piece:
        if self.rng.random() < 0.5:
            return Piece(self.p.development.version(), negative="version")
        return negative(self.rng, "version")

    def http_status(self) -> Piece:
        return Piece(str(self.p.internet.http_status_code()), negative="error_code")

    def slots(self) -> dict[str, Any]:
        names = (
            "full", "full2", "first", "last", "agent_first", "full_lc", "first_lc", "last_lc", "title", "phone",
            "phone_typo", "email", "email2", "country", "card", "last4", "ssn", "ssn_spaces", "ssn_bare", "iban",
            "acct", "ip", "ipv6", "dob", "street", "city", "postcode", "postcity", "address", "address_lines",
            "cap", "company", "manufacturer", "phone_model", "version", "http_status",
        )  # fmt: skip
        slots: dict[str, Any] = {name: getattr(self, name) for name in names}
        for kind in ("order", "tracking", "ticket", "case", "sid", "timestamp", "date", "time", "quantity",
                     "error_code", "duration", "percentage", "price"):  # fmt: skip
            slots[kind] = lambda kind=kind: negative(self.rng, kind, self.region)
        return slots


_US_ONLY_SLOTS = {"ssn", "ssn_spaces", "ssn_bare", "acct"}


def _locale_for(rng: random.Random, template: str, locales: Sequence[str], weights: Sequence[int]) -> str:
    if _US_ONLY_SLOTS & set(slot_names(template)):
        return "en"
    return rng.choices(locales, weights=weights)[0]


def generate(size: int, seed: int) -> list[LabelledText]:
    """``size`` labelled messages, identical for the same ``seed`` (each locale's providers seeded from it)."""
    rng = random.Random(seed * 7919 + 17)
    locales = list(LOCALES)
    weights = [w for _, w in LOCALES.values()]
    providers = {loc: _Providers.create(loc, seed * 100_000 + i * 100) for i, loc in enumerate(locales)}
    corpus = []
    for _ in range(size):
        pii = rng.random() >= PII_FREE_SHARE
        template, tags = rng.choice(PII_TEMPLATES if pii else PII_FREE_TEMPLATES)
        locale = _locale_for(rng, template, locales, weights)
        gender = rng.choice([Gender.FEMALE, Gender.MALE])
        message = _Message(providers[locale], rng, locale, gender)
        builder = MessageBuilder().tag(*tags, f"locale:{locale}")
        render(builder, template, message.slots())
        corpus.append(builder.build(lowercase=locale != "ja" and rng.random() < LOWERCASE_SHARE))
    return corpus
