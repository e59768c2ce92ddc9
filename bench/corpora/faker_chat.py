"""Contact-center chat built from Faker's own per-locale providers (13 locales), in templates of our own.

Why Faker: its providers were written by other people for other purposes, so names, streets, cities, phone
shapes and IBANs follow each locale's conventions rather than what our recognisers were tuned on. We only
choose where a value goes in a message; every value of a locale comes from that locale's provider, except:

- dates of birth: ``date_between_dates`` with fixed bounds, because ``date_of_birth`` is relative to today
  and the corpus must be the same for a seed on any day;
- titles are kept outside the PERSON span (``Dr.`` is not the person), and Faker's ``x123`` phone extensions
  are dropped;
- Faker's en_IN and es_MX ``iban`` yields 21-character "GB" numbers (neither country has IBANs), so customers
  of those locales give an en_GB / es_ES IBAN, as a customer banking abroad would;
- Japanese street lines are composed from Faker ja_JP's own town/chōme/ban/gō providers, because its
  ``street_address`` is an English pattern.

Postal addresses follow each locale's order (``Flat 3, 12 High Street``, ``12, rue …``, ``Calle … 12``,
``…straße 12``, ``ul. … 12/4``, ``〒… 県市町1丁目2番3号``); the street line is STREET_ADDRESS and the
postcode/city part is LOCATION. About 35 % of messages carry no PII; most carry labelled hard negatives.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from faker import Faker

from bench.corpora import LabelledText
from bench.corpora._builder import MessageBuilder, Piece, render, slot_names
from bench.corpora._values import REGIONS, negative, phone, phone_validity

__all__ = ["LOCALES", "PII_FREE_TEMPLATES", "PII_TEMPLATES", "generate"]

#: Locale -> weight. en_US carries the US-only identifiers (SSN, bank accounts), so it is drawn more often.
LOCALES = {
    "en_US": 4,
    "en_GB": 2,
    "en_IN": 2,
    "en_AU": 1,
    "de_DE": 2,
    "fr_FR": 2,
    "es_ES": 1,
    "es_MX": 1,
    "pt_BR": 1,
    "it_IT": 1,
    "nl_NL": 1,
    "pl_PL": 1,
    "ja_JP": 1,
}
PII_FREE_SHARE = 0.35
LOWERCASE_SHARE = 0.1
NATIVE_SHARE = 0.3

Template = tuple[str, frozenset[str]]


def _t(text: str, *tags: str) -> Template:
    return text, frozenset(tags)


# -- templates: customers and agents on SMS, WhatsApp and web chat --------------------------------------------------
PII_TEMPLATES: tuple[Template, ...] = (
    _t("hi can u call me back on {phone} pls", "callback"),
    _t("Please call me on {phone} after {time}, I'm at work until then.", "callback"),
    _t("My number changed, the new one is {phone}"),
    _t("You can reach me at {phone} or {email}"),
    _t("Text me at {phone} when the driver is close"),
    _t("whatsapp me on {phone} instead, I don't check email"),
    _t("yes {phone}", "bare_reply"),
    _t("it's {email}", "bare_reply"),
    _t("{street}", "bare_reply"),
    _t("{name} here, I ordered the {product} last week ({order}) and it still hasn't shipped", "name_marker"),
    _t("{name}: my order {order} arrived damaged", "name_colon", "name_no_introducer"),
    _t("Is {first} available? She helped me yesterday with ticket {ticket}", "name_no_introducer"),
    _t("The refund of {price} hasn't reached my account yet.\n\nRegards,\n{name}", "name_signoff"),
    _t("Box was open when it arrived, photos attached.\nThanks,\n{first}", "name_signoff"),
    _t("Cheers\n{first}", "name_signoff"),
    _t("Signed, {name}", "name_signoff"),
    _t("Hi, this is {name} from {company}, following up on case {case}", "name_introduced"),
    _t("My name is {name} and my account number is {acct}", "name_introduced", "bank"),
    _t("Hello, I'm {first}, my mum {name2} ordered this for me", "name_introduced"),
    _t("Account holder: {name}\nIBAN: {iban}", "name_colon", "form"),
    _t("Refund to {iban} ({name}) please", "name_parenthesised"),
    _t("Please send the refund to IBAN {iban}, account name {name_particle}", "name_particle"),
    _t("Name on the account is {name_particle}", "name_particle"),
    _t("The parcel should be addressed to {name}, {address}", "name_addressed_to"),
    _t("Deliver to {street}, {city} and leave it with the neighbour if I'm out"),
    _t("new address: {address}"),
    _t("I've moved to {street}, can you update my account?"),
    _t("Can you ship to my work address instead? {address}"),
    _t("Billing address is {address} and shipping is the same"),
    _t("{name}\n{street}\n{postcity}", "address_block", "name_no_introducer"),
    _t("Ask for {first} at reception, {company}, {street}", "name_no_introducer"),
    _t("Please cancel everything for {name} at {address}", "name_no_introducer"),
    _t("I'm moving from {city} to {city2} next month, will my plan still work?"),
    _t("my card {card} was charged twice for {price}"),
    _t("I paid with the card ending {last4} but the statement shows {card}"),
    _t("Paid {price} by card {card} on {date}, order {order}"),
    _t("SSN {ssn}, DOB {dob}", "ssn_after_identifier"),
    _t("DOB {dob}, SSN {ssn_bare}", "ssn_after_identifier"),
    _t("For verification: date of birth {dob}, surname {last}", "name_last_only"),
    _t("I was born on {dob} if you need it for the security check"),
    _t("My social is {ssn} and the account is in my wife's name, {name2}"),
    _t("the full ssn is {ssn_bare} not sure why it didn't match", "ssn_bare"),
    _t("Name: {name}\nDOB: {dob}\nSSN: {ssn}", "form"),
    _t("The IP address showing on my router is {ip}, still getting {error_code}"),
    _t("I can't log in from {ip}, it says {error_code}"),
    _t("my ipv6 is {ipv6} if that helps"),
    _t("MSISDN {msisdn} needs to be ported before {date}"),
    _t("The SIM with number {msisdn} was blocked after {duration}"),
    _t("Please update my email to {email}, the old one {email2} is closed"),
    _t("send the invoice to {email} please"),
    _t("From: {name} <{email}>\nSubject: order {order}", "form", "name_no_introducer"),
    _t("{name_lc} - order {order} - still waiting", "name_no_introducer"),
    _t("hey its {name_lc}, wheres my parcel {tracking}"),
    _t("This is {first_lc} again, any news?"),
    _t("Can I speak to {title_last}? He said he'd call back"),
    _t("I spoke with {first} yesterday and she promised a callback on {phone}"),
    _t("{first} {last} {phone}", "name_no_introducer", "contact_card"),
    _t("Contact: {name}\nPhone: {phone}\nEmail: {email}", "form"),
    _t("Transfer the deposit from account {acct} please, the routing number is on file", "bank"),
    _t("my checking account number is {acct}", "bank"),
    _t("The direct debit should come from {iban}, not the old account"),
    _t("My husband {name2} will pick it up, his number is {phone}", "name_no_introducer"),
    _t("emergency contact: {name2} ({phone})", "name_parenthesised"),
    _t("Order {order} for {name} ({email})", "name_no_introducer"),
    _t("{first} from {city} here 👋 is the sale still on? {percentage} off?", "name_marker"),
    _t("call {first} on {phone} for access to the building", "name_no_introducer"),
    _t("Hi {first}! Yes, {phone} is my mobile", "agent_name"),
    # Agents.
    _t("Thanks {first}! I've updated your delivery address to {street}. Anything else?", "agent"),
    _t("Hello {title_last}, I can see order {order} was shipped on {date} with tracking {tracking}.", "agent"),
    _t("I've sent a verification code to {email}. It expires in {duration}.", "agent"),
    _t("Just to confirm, the number we have is {phone}, is that still right?", "agent"),
    _t("{first}, the technician will arrive between {time} and {time2}", "agent", "name_no_introducer"),
    _t("Thank you {name}, your refund of {price} has been issued to the card ending {last4}.", "agent"),
    _t("I'll transfer you to {first} in billing, she'll call you on {phone}", "agent"),
)

PII_FREE_TEMPLATES: tuple[Template, ...] = (
    _t("Where is my order {order}? It said {duration} delivery"),
    _t("Tracking {tracking} hasn't moved since {date}"),
    _t("{cap:Will} you be able to deliver before {time} tomorrow?"),
    _t("{cap:May} I get a refund instead of store credit? It was {price}"),
    _t("{cap:Grant} access to the shared account please, ticket {ticket}"),
    _t("{cap:Mark} it resolved, the {product} works again"),
    _t("{cap:Bill} me next month instead, the {percentage} discount code didn't apply"),
    _t("{cap:Frank} question: why is the {product} {price} here and cheaper at {brand}?"),
    _t("{cap:Chase} the courier please, it's been {duration}"),
    _t("{cap:Rose} gold is the colour I ordered, not silver. Order {order}"),
    _t("{cap:Amber} light keeps flashing on the router since the update to {version}"),
    _t("{cap:Max} {quantity} per customer? that's silly"),
    _t("{cap:Hope} you can help, the {product} stopped charging"),
    _t("{cap:Summer} sale price wasn't applied to {order}"),
    _t("{cap:Dawn} delivery slot please, I leave for work at {time}"),
    _t("{cap:Ginger} beer was flat, {quantity}, best before {date}"),
    _t("The app ({version}) crashes with {error_code} when I open the basket"),
    _t("Updated to {version} and now the login fails: {error_code}"),
    _t("case {case} is still open after {duration}"),
    _t("Message {sid} failed with {error_code}", "system"),
    _t("Conversation {sid} reassigned at {timestamp}", "system"),
    _t("I ordered {quantity} but only got half"),
    _t("Your {brand} order {order} of {price} is confirmed", "system"),
    _t("Is the {product} compatible with {version}?"),
    _t("Refund of {price} was promised on {date}, ticket {ticket}"),
    _t("Delivery window {time} to {time2} is fine"),
    _t("{company} charged me {price} twice on {date}"),
    _t("The {brand} store said it's a warranty issue, reference {ticket}"),
    _t("Got {error_code} again at {timestamp}"),
    _t("Price went from {price} to {price2}, that's {percentage} more"),
    _t("We've escalated your case {case}; expect an update within {duration}.", "agent"),
    _t("Your ticket {ticket} was closed at {timestamp}. Reply to reopen.", "system"),
    _t("{brand} told me to contact you about the {product}"),
    _t("ok thanks"),
    _t("thank you so much!"),
    _t("no that's all"),
    _t("👍"),
    _t("still waiting..."),
    _t("hello? anyone there"),
    _t("can I speak to a human"),
    _t("I already did that twice"),
    _t("the link in the email doesn't work"),
    _t("brilliant, cheers"),
    _t("not yet, it says pending"),
    _t("wifi keeps dropping every evening"),
)

#: Templates in the customer's own language, drawn for ``NATIVE_SHARE`` of that locale's PII messages.
NATIVE_TEMPLATES: dict[str, tuple[Template, ...]] = {
    "de_DE": (
        _t("Hallo, hier ist {name}. Meine Rückrufnummer ist {phone}."),
        _t("Bitte die Lieferung an {address} schicken, Bestellung {order}."),
        _t("Mein Geburtsdatum ist der {dob}, Vorgang {ticket}."),
        _t("Mit freundlichen Grüßen\n{name}", "name_signoff"),
    ),
    "fr_FR": (
        _t("Bonjour, c'est {name}, vous pouvez me rappeler au {phone} ?"),
        _t("Mon adresse : {address}"),
        _t("Le colis {tracking} n'est jamais arrivé, je suis joignable au {phone}."),
        _t("Cordialement,\n{name}", "name_signoff"),
    ),
    "es_ES": (
        _t("Hola, soy {name}. Mi número es {phone}."),
        _t("Envíenlo a {address}, por favor."),
        _t("Mi correo es {email} y el pedido es {order}."),
    ),
    "es_MX": (
        _t("Buenas tardes, habla {name}, mi celular es {phone}"),
        _t("La dirección de entrega es {address}"),
    ),
    "pt_BR": (
        _t("Oi, aqui é {name}, meu celular é {phone}"),
        _t("Endereço de entrega: {address}"),
        _t("Paguei {price} no cartão {card} e não recebi, pedido {order}"),
    ),
    "it_IT": (
        _t("Buongiorno, sono {name}, potete richiamarmi al {phone}?"),
        _t("Spedite a {address} grazie"),
    ),
    "nl_NL": (
        _t("Hoi, met {name}. Bel me terug op {phone}."),
        _t("Mijn adres is {address}."),
    ),
    "pl_PL": (
        _t("Dzień dobry, tu {name}. Mój numer to {phone}."),
        _t("Proszę wysłać na adres {address}."),
    ),
    "ja_JP": (
        _t("お世話になっております。{jname}です。電話番号は{phone}です。", "name_native_script"),
        _t("お届け先：{address}", "name_native_script"),
        _t("{jname}様、ご注文{order}は{date}に発送いたしました。", "agent", "name_native_script"),
    ),
}

#: Products and brands that look like names or words; redacting them is over-redaction.
_PRODUCTS = (
    "Galaxy S23 Ultra", "iPhone 15 Pro", "AirPods Pro", "Kindle Paperwhite", "PlayStation 5", "Nest Thermostat",
    "Fire TV Stick 4K", "Surface Laptop 5", "ThinkPad X1 Carbon", "Pixel 8", "Echo Dot", "Roomba j7",
    "Dyson V15 Detect", "Apple Watch Series 9", "Nintendo Switch OLED", "Instant Pot Duo", "Sonos Era 100",
    "Jabra Evolve2 65", "Fitbit Charge 6", "Moto G Power",
)  # fmt: skip
_BRANDS = (
    "Dell", "Ford", "Lincoln", "Mercedes", "Tiffany", "Chanel", "Porsche", "Jordan", "Marshall", "Philips",
    "Gillette", "Hilton", "Marriott", "Wendy's", "McDonald's", "Dyson", "Bosch", "Miele", "John Lewis",
    "Marks & Spencer", "Sainsbury's", "Tommy Hilfiger", "Ralph Lauren", "Hugo Boss", "Louis Vuitton", "Klarna",
    "PayPal", "Mastercard", "WhatsApp",
)  # fmt: skip
_COMPANY_FORM = re.compile(
    r"\b(GmbH|AG|KG|S\.A\.|SA|BV|N\.V\.|SPA|s\.r\.l\.|PLC|LLC|Inc|Ltd|Group|Sons|S\.L\.|S\.Coop\.|figli|s\.c\.|"
    r"C\.V\.|Ltda|S\.Com\.|asociados)\b|株式会社|有限会社|合同会社"
)
#: Faker's name prefixes ("Dr.", "Dipl.-Ing.", "Sig.ra", "pani"): kept outside the PERSON span.
_TITLE = re.compile(
    r"^(\w[\w.-]*\.|Sig\.ra|Dott\.ssa|Mr|Mrs|Ms|Mx|Miss|Dr|Herr|Frau|Sr|Sra|Srta|Dott|Pan|Pani)$", re.IGNORECASE
)
_SUFFIX = re.compile(r"^(\S+\.|MD|PhD|DDS|DVM|Jr|Sr|II|III|IV|V)$")
_PARTICLES = {
    "nl_NL": ("van", "van der", "de", "van den"),
    "de_DE": ("von", "von der", "zu"),
    "fr_FR": ("de", "du", "de la", "Le"),
    "es_ES": ("de", "de la", "del"),
    "es_MX": ("de", "de la", "del"),
    "pt_BR": ("da", "dos", "de"),
    "it_IT": ("di", "De", "Lo", "Della"),
}
#: Name shapes Faker has no locale for, written from our own knowledge: Irish and Arabic particles.
_OTHER_PARTICLE_NAMES = (
    ("Seán", "Ó Briain"), ("Siobhán", "Ní Dhomhnaill"), ("Cathal", "Mac Cárthaigh"), ("Aoife", "Ó Súilleabháin"),
    ("Omar", "el-Sayed"), ("Layla", "Al Mansouri"), ("Yusuf", "bin Rashid"), ("Amira", "El Amrani"),
    ("Karim", "Abu Hamdan"), ("Nour", "al-Khatib"),
)  # fmt: skip
_DOB_EARLIEST, _DOB_LATEST = dt.date(1935, 1, 1), dt.date(2006, 12, 31)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_US_ONLY_SLOTS = {"ssn", "ssn_bare", "acct"}
_IBAN_LOCALE = {"en_IN": "en_GB", "es_MX": "es_ES"}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


@dataclass
class _Message:
    """The slots of one message: a person is drawn once, so ``{first}`` and ``{name}`` are the same human."""

    fake: Faker
    rng: random.Random
    locale: str
    fakers: dict[str, Faker] = field(default_factory=dict)
    person: tuple[str, str] | None = None
    used: dict[str, int] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return REGIONS[self.locale]

    def _person(self) -> tuple[str, str]:
        if self.person is None:
            if self.locale == "ja_JP":
                self.person = (self.fake.first_romanized_name(), self.fake.last_romanized_name())
            else:
                self.person = (self.fake.first_name(), self.fake.last_name())
        return self.person

    def _tags(self, *extra: str) -> frozenset[str]:
        return frozenset({f"locale:{self.locale}", *extra})

    # -- people ------------------------------------------------------------------------------------------------
    def name(self) -> Sequence[Piece]:
        """Faker's ``name`` half the time (title moved outside the span, suffixes dropped), else first + last."""
        if self.locale != "ja_JP" and self.rng.random() < 0.5:
            tokens = self.fake.name().split()
            title = []
            while len(tokens) > 2 and _TITLE.match(tokens[0]):
                title.append(tokens.pop(0))
            core = tokens
            while len(core) > 2 and _SUFFIX.match(core[-1]):
                core = core[:-1]
            if len(core) >= 2:
                self.person = (core[0], " ".join(core[1:]))
                lead = (Piece(" ".join(title) + " "),) if title else ()
                return (*lead, Piece(" ".join(core), "PERSON", slices=self._tags("name_full")))
        first, last = self._person()
        return (Piece(f"{first} {last}", "PERSON", slices=self._tags("name_full")),)

    def name2(self) -> Piece:
        first, last = self.fake.first_name(), self.fake.last_name()
        if self.locale == "ja_JP":
            first, last = self.fake.first_romanized_name(), self.fake.last_romanized_name()
        return Piece(f"{first} {last}", "PERSON", slices=self._tags("name_full"))

    def jname(self) -> Piece:
        return Piece(self.fake.name(), "PERSON", slices=self._tags("name_native_script"))

    def first(self) -> Piece:
        return Piece(self._person()[0], "PERSON", slices=self._tags("name_first_only"))

    def last(self) -> Piece:
        return Piece(self._person()[1], "PERSON", slices=self._tags("name_last_only"))

    def first_lc(self) -> Piece:
        return Piece(self._person()[0].lower(), "PERSON", slices=self._tags("name_lowercase", "name_first_only"))

    def name_lc(self) -> Piece:
        first, last = self._person()
        return Piece(f"{first} {last}".lower(), "PERSON", slices=self._tags("name_lowercase"))

    def title_last(self) -> Sequence[Piece]:
        title = self.fake.prefix() if hasattr(self.fake, "prefix") else "Mr"
        title = title.strip() or "Mr"
        return Piece(title + " "), Piece(self._person()[1], "PERSON", slices=self._tags("name_title"))

    def name_particle(self) -> Piece:
        particles = _PARTICLES.get(self.locale)
        if particles and self.rng.random() < 0.7:
            first, last = self.fake.first_name(), self.fake.last_name()
            if self.locale != "nl_NL" or " " not in last:  # nl_NL surnames often carry their particle already
                last = f"{self.rng.choice(particles)} {last}"
        else:
            first, last = self.rng.choice(_OTHER_PARTICLE_NAMES)
        self.person = (first, last)
        return Piece(f"{first} {last}", "PERSON", slices=self._tags("name_particle"))

    # -- contact details ---------------------------------------------------------------------------------------
    def phone(self) -> Piece | Sequence[Piece]:
        found = phone(self.rng, self.fake.phone_number(), self.region)
        pieces = (found,) if isinstance(found, Piece) else found
        return tuple(Piece(p.text, p.label, slices=p.slices | self._tags()) for p in pieces)

    def msisdn(self) -> Piece:
        value = self.fake.msisdn()
        valid = phone_validity("+" + value, self.region) or phone_validity(value, self.region)
        tags = self._tags("phone_msisdn", "phone_valid" if valid else "phone_invalid")
        return Piece(value, "PHONE_NUMBER", slices=tags)

    def email(self) -> Piece:
        if self.person and self.rng.random() < 0.5:
            first, last = self.person
            sep = self.rng.choice([".", "_", ""])
            value = f"{_ascii(first)}{sep}{_ascii(last)}@{self.fake.free_email_domain()}"
        else:
            value = self.rng.choice([self.fake.email, self.fake.free_email, self.fake.company_email])()
        return Piece(value, "EMAIL_ADDRESS", slices=self._tags())

    def email2(self) -> Piece:
        return Piece(self.fake.free_email(), "EMAIL_ADDRESS", slices=self._tags())

    # -- money and identity ------------------------------------------------------------------------------------
    def card(self) -> Piece:
        digits = self.fake.credit_card_number()
        style = self.rng.choice(["compact", "spaces", "dashes"])
        if style != "compact":
            sizes = {15: (4, 6, 5), 14: (4, 6, 4)}.get(len(digits), (4,) * (len(digits) // 4 + 1))
            parts, i = [], 0
            for n in sizes:
                if i < len(digits):
                    parts.append(digits[i : i + n])
                    i += n
            digits = (" " if style == "spaces" else "-").join(parts)
        return Piece(digits, "CREDIT_CARD", slices=self._tags(f"card_{style}"))

    def last4(self) -> Piece:
        return Piece(f"{self.rng.randint(0, 9999):04d}", negative="card_last4")

    def ssn(self) -> Piece:
        style = self.rng.choice(["dashes", "dashes", "spaces"])
        value = self.fake.ssn() if style == "dashes" else self.fake.ssn().replace("-", " ")
        return Piece(value, "US_SSN", slices=self._tags(f"ssn_{style}"))

    def ssn_bare(self) -> Piece:
        return Piece(self.fake.ssn().replace("-", ""), "US_SSN", slices=self._tags("ssn_bare"))

    def iban(self) -> Piece:
        value = self.fakers.get(_IBAN_LOCALE.get(self.locale, ""), self.fake).iban()
        if self.rng.random() < 0.4:
            value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
            return Piece(value, "IBAN_CODE", slices=self._tags("iban_grouped"))
        return Piece(value, "IBAN_CODE", slices=self._tags("iban_compact"))

    def acct(self) -> Piece:
        value = str(self.fake.random_number(digits=self.rng.randint(8, 12), fix_len=True))
        return Piece(value, "US_BANK_NUMBER", slices=self._tags())

    def ip(self) -> Piece:
        return Piece(self.fake.ipv4(), "IP_ADDRESS", slices=self._tags("ip_v4"))

    def ipv6(self) -> Piece:
        return Piece(self.fake.ipv6(), "IP_ADDRESS", slices=self._tags("ip_v6"))

    def dob(self) -> Piece:
        born = self.fake.date_between_dates(_DOB_EARLIEST, _DOB_LATEST)
        d, m, y = born.day, born.month, born.year
        if self.locale == "ja_JP":
            styles = [f"{y}年{m}月{d}日", f"{y}/{m:02d}/{d:02d}"]
        elif self.locale == "en_US":
            styles = [f"{m:02d}/{d:02d}/{y}", f"{_MONTHS[m - 1]} {d}, {y}", f"{m}/{d}/{y}", born.isoformat()]
        elif self.locale == "de_DE":
            styles = [f"{d:02d}.{m:02d}.{y}", f"{d}. {_MONTHS[m - 1]} {y}"]
        else:
            styles = [f"{d:02d}/{m:02d}/{y}", f"{d} {_MONTHS[m - 1]} {y}", born.isoformat(), f"{d:02d}-{m:02d}-{y}"]
        return Piece(self.rng.choice(styles), "DATE_OF_BIRTH", slices=self._tags("dob_context"))

    # -- places ------------------------------------------------------------------------------------------------
    def _street_line(self) -> str:
        fake = self.fake
        if self.locale == "ja_JP":
            return f"{fake.town()}{fake.chome()}{fake.ban()}{fake.gou()}"
        line = re.sub(r"\s*\n\s*", ", ", fake.street_address().strip())
        line = re.sub(r"\s+,", ",", line)
        if self.locale == "pl_PL" and self.rng.random() < 0.6:
            line = line.replace("ulica ", "ul. ")
        return line

    def _address_tags(self, *extra: str) -> frozenset[str]:
        origin = "address_us" if self.locale == "en_US" else "address_non_us"
        return self._tags(origin, f"address:{self.locale}", *extra)

    def street(self) -> Piece:
        return Piece(self._street_line(), "STREET_ADDRESS", slices=self._address_tags())

    def _city(self) -> str:
        if self.locale == "it_IT":
            return self._italian()[1]
        return self.fake.city()

    def _italian(self) -> tuple[str, str, str]:
        """(CAP, comune, province) that belong together; also, Faker's it_IT ``city`` depends on the hash seed."""
        cap, rest = self.fake.postcode_city_province().split(", ", 1)
        city, province = rest.rsplit(" (", 1)
        return cap, city, province.rstrip(")")

    def city(self) -> Piece:
        return Piece(self._city(), "LOCATION", slices=self._tags())

    def city2(self) -> Piece:
        return self.city()

    def _postcity(self) -> str:
        fake, loc = self.fake, self.locale
        if loc == "en_US":
            return f"{fake.city()}, {fake.state_abbr()} {fake.zipcode()}"
        if loc in {"en_GB", "en_IN"}:
            return f"{fake.city()} {fake.postcode()}"
        if loc == "en_AU":
            return f"{fake.city()} {fake.state_abbr()} {fake.postcode()}"
        if loc == "es_MX":
            return f"{fake.postcode()} {fake.city()}, {fake.state_abbr()}"
        if loc == "pt_BR":
            return f"{fake.city()} - {fake.estado_sigla()}, {fake.postcode()}"
        if loc == "it_IT":
            cap, city, province = self._italian()
            return f"{cap} {city} ({province})"
        return f"{fake.postcode()} {fake.city()}"

    def postcity(self) -> Piece:
        return Piece(self._postcity(), "LOCATION", slices=self._address_tags())

    def address(self) -> Sequence[Piece]:
        tags = self._address_tags("address_full")
        if self.locale == "ja_JP":
            fake = self.fake
            return (
                Piece("〒"),
                Piece(fake.zipcode(), "LOCATION", slices=tags),
                Piece(" "),
                Piece(f"{fake.prefecture()}{fake.city()}", "LOCATION", slices=tags),
                Piece(self._street_line(), "STREET_ADDRESS", slices=tags),
            )
        multiline = self.rng.random() < 0.2
        sep = "\n" if multiline else ", "
        return (
            Piece(self._street_line(), "STREET_ADDRESS", slices=tags | ({"address_multiline"} if multiline else set())),
            Piece(sep),
            Piece(self._postcity(), "LOCATION", slices=tags),
        )

    # -- hard negatives ----------------------------------------------------------------------------------------
    def neg(self, kind: str) -> Piece:
        return negative(self.rng, kind, self.region)

    def cap(self, word: str) -> Piece:
        return Piece(word, negative="capitalised_word")

    def product(self) -> Piece:
        return Piece(self.rng.choice(_PRODUCTS), negative="product")

    def brand(self) -> Piece:
        return Piece(self.rng.choice(_BRANDS), negative="brand")

    def company(self) -> Piece:
        for _ in range(20):
            value = self.fake.company()
            if _COMPANY_FORM.search(value):
                return Piece(value, negative="company")
        return Piece(f"{self.fake.last_name()} Group", negative="company")

    def slots(self) -> dict[str, object]:
        slots: dict[str, object] = {
            name: getattr(self, name)
            for name in (
                "name", "name2", "jname", "first", "last", "first_lc", "name_lc", "title_last", "name_particle",
                "phone", "msisdn", "email", "email2", "card", "last4", "ssn", "ssn_bare", "iban", "acct", "ip",
                "ipv6", "dob", "street", "city", "city2", "postcity", "address", "cap", "product", "brand",
                "company",
            )
        }  # fmt: skip
        for kind in ("order", "tracking", "ticket", "case", "sid", "timestamp", "date", "time", "quantity",
                     "version", "error_code", "duration", "percentage", "price"):  # fmt: skip
            slots[kind] = lambda kind=kind: self.neg(kind)
        slots["time2"], slots["price2"] = slots["time"], slots["price"]
        return slots


def _pick(rng: random.Random, locales: Sequence[str], weights: Sequence[int]) -> str:
    return rng.choices(locales, weights=weights)[0]


def generate(size: int, seed: int) -> list[LabelledText]:
    """``size`` labelled messages, identical for the same ``seed`` (Faker is seeded per locale from it)."""
    rng = random.Random(seed)
    locales, weights = list(LOCALES), list(LOCALES.values())
    fakers = {}
    for i, locale in enumerate(locales):
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(seed * 1000 + i)
    corpus = []
    for _ in range(size):
        pii = rng.random() >= PII_FREE_SHARE
        locale = _pick(rng, locales, weights)
        if pii and locale in NATIVE_TEMPLATES and rng.random() < NATIVE_SHARE:
            template, tags = rng.choice(NATIVE_TEMPLATES[locale])
            tags = tags | {"lang_native"}
        else:
            template, tags = rng.choice(PII_TEMPLATES if pii else PII_FREE_TEMPLATES)
            if _US_ONLY_SLOTS & set(slot_names(template)):
                locale = "en_US"
        message = _Message(fakers[locale], rng, locale, fakers)
        builder = MessageBuilder().tag(*tags, f"locale:{locale}")
        render(builder, template, message.slots())  # type: ignore[arg-type]
        corpus.append(builder.build(lowercase=locale != "ja_JP" and rng.random() < LOWERCASE_SHARE))
    return corpus
