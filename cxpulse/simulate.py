"""Realistic, signed Twilio Conversations webhook traffic for demos, tests and benchmarks.

Three layers, each usable alone:

* :func:`generate_posts` - a pure, seeded generator of contact-centre conversations rendered as Twilio
  Conversations *post-event webhook* form posts (``onConversationAdded``, ``onParticipantAdded``,
  ``onMessageAdded``, ``onMessageUpdated``, ``onDeliveryUpdated``, ``onConversationStateUpdated``).
  Conversations overlap in time like a real contact centre's; each conversation's own events are in causal
  order. Same seed, settings and start -> the same posts, byte for byte.
* :func:`sign` - the headers Twilio would send with a post (``X-Twilio-Signature`` over the *public* URL).
* :func:`run_simulation` - posts signed webhooks to the ingest endpoint at a target rate, each when its
  timestamp comes due; a conversation's next event waits until its previous one was answered; 5xx and
  timeouts are retried like Twilio does.

Every :class:`WebhookPost` lists the customer's personal data it carries in ``pii`` so tests can check
that none of it survives redaction. Agent identities and our own business numbers are not listed: they are
not customer data and must survive the pipeline.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import ipaddress
import itertools
import json
import math
import operator
import random
import string
import sys
import time
import unicodedata
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TextIO

import httpx
from twilio.request_validator import RequestValidator

from cxpulse.errors import CxpulseError
from cxpulse.settings import Settings, SimulatorSettings
from schemas.twilio import webhook_event_id

__all__ = [
    "DEFAULT_ARRIVALS_PER_MINUTE",
    "DEFAULT_START",
    "WEBHOOK_PATH",
    "SimulationError",
    "SimulationReport",
    "WebhookPost",
    "add_arguments",
    "event_mix",
    "generate_posts",
    "iban_valid",
    "is_loopback_url",
    "luhn_valid",
    "main",
    "run_simulation",
    "sign",
]

# --------------------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------------------

#: Where Twilio posts Conversations webhooks on the ingest endpoint.
WEBHOOK_PATH = "/twilio/conversations"
#: Default timeline origin: :func:`generate_posts` must not read the clock to stay pure and repeatable.
DEFAULT_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
#: New conversations per simulated minute when the caller does not ask for a traffic level.
DEFAULT_ARRIVALS_PER_MINUTE = 6.0

# Outcome mix (the bot-containment share comes from SimulatorSettings).
#: Of the conversations handed to a human, the share where the customer gives up before an agent joins.
ABANDON_RATE = 0.12
#: The bot's sentiment annotation per triage turn, derived from the script (no random draw, so seeded runs
#: keep their sequence): a customer who has to explain twice is less happy; one who asks for a human, negative.
TRIAGE_SENTIMENT = ("neutral", "negative")
HANDOFF_SENTIMENT = "negative"
#: Of the conversations that went inactive normally, the share the customer reopens by writing again.
REOPEN_RATE = 0.12
#: Share of handled conversations the agent closes outright (active -> closed) instead of via inactive.
AGENT_CLOSES_DIRECTLY = 0.5
#: Chance that a customer message carries extra personal data in its body.
CUSTOMER_PII_RATE = 0.45
#: Chance that an agent message gets edited a few seconds later (onMessageUpdated).
AGENT_EDIT_RATE = 0.12
#: Chance that a web-chat customer edits a message (SMS and WhatsApp cannot edit).
CHAT_EDIT_RATE = 0.06
#: Chance that an SMS/WhatsApp customer attaches a photo.
MEDIA_RATE = 0.08
#: Chance that a web-chat customer is signed in (identity = e-mail) rather than an anonymous visitor.
CHAT_SIGNED_IN_RATE = 0.55
#: Delivery outcome of an outbound SMS/WhatsApp message.
UNDELIVERED_RATE = 0.03
WHATSAPP_READ_RATE = 0.7

# Timing model, in simulated seconds: (low, high) for uniform draws.
JOIN_DELAY_S = (0.2, 1.5)
CUSTOMER_TYPING_GAP_S = (3.0, 25.0)
CUSTOMER_REPLY_S = (8.0, 75.0)
BOT_REPLY_S = (0.8, 3.0)
AGENT_FIRST_REPLY_S = (4.0, 30.0)
AGENT_REPLY_S = (12.0, 110.0)
EDIT_DELAY_S = (4.0, 35.0)
RECEIPT_SENT_S = (0.2, 1.0)
RECEIPT_DELIVERED_S = (0.5, 4.0)
RECEIPT_READ_S = (5.0, 45.0)
AGENT_WRAP_UP_S = (15.0, 90.0)
REOPEN_AFTER_S = (30.0, 160.0)
ABANDON_NUDGE_S = (50.0, 160.0)
#: Queue wait before an agent joins: log-normal around the median, clipped.
QUEUE_WAIT_MEDIAN_S = 45.0
QUEUE_WAIT_SIGMA = 0.8
QUEUE_WAIT_BOUNDS_S = (5.0, 900.0)
#: Twilio's conversation timers (``Timers.Inactive`` / ``Timers.Closed``) as this fictional account sets them.
INACTIVE_TIMER_S = 180.0
CLOSED_TIMER_S = 300.0
#: Smallest step between two events of one conversation, so their timestamps differ.
MIN_STEP_S = 0.05

# Delivery.
#: Twilio error codes seen on failed outbound messages: unreachable, landline, WhatsApp 24 h window.
DELIVERY_ERROR_CODES = {"sms": ("30003", "30005", "30006"), "whatsapp": ("63016", "63024", "30003")}

# Sending.
#: Twilio gives a webhook 5 s before it counts as a timeout.
WEBHOOK_TIMEOUT_S = 5.0
#: Retries after the first attempt on 5xx / timeouts / connection errors.
MAX_RETRIES = 3
RETRY_BACKOFF_S = 0.2
RETRY_BACKOFF_MAX_S = 2.0
#: How many posts may wait for delivery per concurrent sender before the pacer holds back.
BACKLOG_PER_WORKER = 64
PROGRESS_INTERVAL_S = 0.5
USER_AGENT = "TwilioProxy/1.1"
CONTENT_TYPE = "application/x-www-form-urlencoded"
#: How the arrival schedule learns a conversation's event-rate-by-age: sample this many, in bins this wide.
PROFILE_CONVERSATIONS = 300
PROFILE_BIN_S = 1.0
PROFILE_SEED = 20250106

SID_PREFIXES = {
    "account": "AC",
    "service": "IS",
    "conversation": "CH",
    "message": "IM",
    "participant": "MB",
    "receipt": "DY",
    "role": "RL",
    "messaging_service": "MG",
    "channel_message": "SM",
    "media": "ME",
}

# --------------------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookPost:
    """One webhook request as Twilio would send it: path, form fields and idempotency token.

    ``pii`` holds the raw customer personal data appearing in the form values (addresses, names, card
    numbers...), so downstream tests can assert none of it leaks past redaction.
    """

    path: str
    form: dict[str, str]
    idempotency_token: str
    conversation_sid: str
    pii: tuple[str, ...] = ()
    #: When the event happened (the form's DateCreated/DateUpdated as a datetime): when a live sender posts it.
    occurred_at: datetime | None = None

    @property
    def event_type(self) -> str:
        return self.form["EventType"]

    @property
    def event_id(self) -> str:
        """The id ingest gives this post's event: its natural key, whatever idempotency token it carries."""
        return webhook_event_id(self.form)


class SimulationError(CxpulseError):
    """The simulator cannot run as configured (for example, no auth token to sign with)."""


@dataclass
class SimulationReport:
    """What a :func:`run_simulation` run achieved, as the sender saw it."""

    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    elapsed_s: float = 0.0
    events_per_s: float = 0.0
    accepted_ids: set[str] = field(default_factory=set)
    #: Final HTTP status of every answered post (after retries).
    by_status: dict[int, int] = field(default_factory=dict)
    retries: int = 0
    seed: int | None = None

    def summary(self) -> str:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.by_status.items())) or "none"
        return (
            f"simulate: sent {self.sent} events in {self.elapsed_s:.1f} s ({self.events_per_s:.1f}/s): "
            f"accepted {self.accepted}, rejected {self.rejected}, failed {self.failed}, "
            f"retries {self.retries}; statuses {statuses}; seed {self.seed}"
        )


# --------------------------------------------------------------------------------------------------------
# Personal data: realistic, varied, and valid where validators exist (Luhn, IBAN mod 97, SSN rules)
# --------------------------------------------------------------------------------------------------------

#: Given and family names by culture; a person draws both from the same culture.
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("Emily", "James", "Olivia", "Michael", "Hannah", "Daniel", "Grace", "Ethan", "Chloe", "Ryan"),
        ("Thompson", "Walker", "Bennett", "Carter", "Hughes", "Mitchell", "Reynolds", "Brooks", "Foster"),
    ),
    "es": (
        ("José", "María", "Alejandro", "Lucía", "Javier", "Camila", "Mateo", "Valentina", "Diego", "Sofía"),
        ("García", "Fernández", "Rodríguez", "Martínez", "Hernández", "López", "Morales", "Castillo"),
    ),
    "zh": (
        ("Wei", "Li Na", "Jun", "Xiaoming", "Mei", "Hao", "Yan", "Zhiwei", "Jing", "Lei"),
        ("Wang", "Zhang", "Chen", "Liu", "Huang", "Zhao", "Wu", "Zhou", "Xu"),
    ),
    "in": (
        ("Priya", "Arjun", "Ananya", "Rohan", "Kavya", "Vikram", "Sneha", "Aditya", "Meera", "Rahul"),
        ("Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Banerjee", "Menon", "Kulkarni"),
    ),
    "ar": (
        ("Omar", "Layla", "Youssef", "Fatima", "Karim", "Noor", "Hassan", "Amira", "Tariq", "Salma"),
        ("Haddad", "Khoury", "Mansour", "Al-Sayed", "Nasser", "Farouk", "Saleh", "Aziz"),
    ),
    "ng": (
        ("Chinedu", "Ngozi", "Oluwaseun", "Adaeze", "Emeka", "Funmilayo", "Tunde", "Chiamaka", "Ifeanyi"),
        ("Okafor", "Adeyemi", "Nwosu", "Balogun", "Eze", "Okonkwo", "Adebayo", "Obi"),
    ),
    "de": (
        ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Johanna", "Maximilian", "Clara", "Jürgen", "Katrin"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer", "Krüger"),
    ),
    "jp": (
        ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Sakura", "Takumi", "Hina", "Kenji", "Yuki"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"),
    ),
    "vi": (
        ("Minh", "Lan", "Tuan", "Thao", "Duc", "Linh", "Huy", "Mai", "Quang"),
        ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui"),
    ),
    "pl": (
        ("Łukasz", "Agnieszka", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Krzysztof", "Zofia"),
        ("Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński"),
    ),
    "fr": (
        ("Camille", "Louis", "Chloé", "Hugo", "Léa", "Antoine", "Manon", "Julien", "Élodie"),
        ("Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Rousseau", "Fontaine", "Mercier"),
    ),
    "br": (
        ("João", "Ana", "Pedro", "Beatriz", "Gabriel", "Larissa", "Rafael", "Juliana", "Thiago"),
        ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Almeida", "Ribeiro"),
    ),
    "kr": (
        ("Minjun", "Seoyeon", "Jiho", "Haeun", "Dohyun", "Jiwoo", "Seojun", "Yuna"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"),
    ),
    "tr": (
        ("Emre", "Elif", "Mehmet", "Zeynep", "Burak", "Ayşe", "Deniz", "Selin"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın"),
    ),
}
#: Our agents (their identities are ``agent:<given>.<family>``); not customer data.
AGENTS = (
    "maria.gonzalez",
    "david.kim",
    "aisha.bello",
    "tom.hansen",
    "priya.nair",
    "lucas.martin",
    "sara.cohen",
    "kenji.mori",
    "olga.petrova",
    "sam.okoye",
    "nina.rossi",
    "ahmed.karim",
)
BOT_IDENTITY = "bot:aria"
MAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "web.de", "hotmail.co.uk")
US_AREA_CODES = ("212", "312", "415", "617", "206", "305", "512", "646", "702", "917", "404", "303", "213")

#: Country calling code -> (national trunk prefix, number of national digits, mobile leading digits).
MOBILE_PLANS: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "44": ("0", 10, ("7400", "7700", "7911", "7532", "7824")),
    "49": ("0", 11, ("151", "160", "170", "176")),
    "33": ("0", 9, ("6", "7")),
    "91": ("", 10, ("98", "97", "91", "88")),
    "55": ("0", 11, ("11", "21", "31")),
    "52": ("", 10, ("55", "33", "81")),
    "234": ("0", 10, ("803", "806", "813", "703")),
}

#: Card test numbers the networks publish (all pass Luhn).
TEST_CARDS = (
    "4111111111111111",
    "5555555555554444",
    "378282246310005",
    "4012888888881881",
    "6011111111111117",
)
#: (issuer prefix, length) for generated Luhn-valid card numbers.
CARD_PLANS = (("4", 16), ("51", 16), ("53", 16), ("2221", 16), ("37", 15), ("6011", 16))
#: IBAN country -> BBAN pattern: ``9`` digit, ``A`` upper-case letter.
IBAN_PLANS = {
    "DE": "999999999999999999",
    "GB": "AAAA99999999999999",
    "NL": "AAAA9999999999",
    "FR": "99999999999999999999999",
    "ES": "99999999999999999999",
}
STREETS = {
    "us": (
        ("Maple", "Oak", "Cedar", "Elm", "Willow", "Lakeview", "Sunset", "Highland"),
        ("Street", "Avenue", "Drive", "Lane", "Boulevard", "Court"),
    ),
    "uk": (("Baker", "Church", "Victoria", "Mill", "Station", "Queens"), ("Street", "Road", "Lane", "Close")),
    "de": (("Haupt", "Linden", "Goethe", "Bahnhof", "Schiller", "Berg"), ("straße", "weg", "allee")),
    "es": (("Alcalá", "Mayor", "del Sol", "de la Paz", "San Vicente"), ("Calle", "Avenida")),
}
CITIES = {
    "us": (("Springfield", "IL"), ("Austin", "TX"), ("Seattle", "WA"), ("Denver", "CO"), ("Boston", "MA")),
    "uk": (("London", "NW1"), ("Manchester", "M4"), ("Leeds", "LS1"), ("Bristol", "BS8")),
    "de": (("Berlin", "10"), ("Hamburg", "20"), ("München", "80"), ("Köln", "50")),
    "es": (("Madrid", "28"), ("Barcelona", "08"), ("Valencia", "46"), ("Sevilla", "41")),
}
_ASCII_FOLD = str.maketrans({"Ł": "L", "ł": "l", "ß": "ss", "ı": "i", "Ø": "O", "ø": "o", "-": "", "'": ""})


def _ascii(text: str) -> str:
    """Fold a name to ASCII for e-mail local parts (``Łukasz Wiśniewski`` -> ``lukasz.wisniewski``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    return "".join(ch for ch in decomposed if ch.isascii()).lower().replace(" ", "")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass the Luhn check (what card validators test)."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """True when the digits of ``number`` pass the Luhn check."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return len(digits) > 1 and luhn_check_digit(digits[:-1]) == digits[-1]


def _card_number(rng: random.Random) -> str:
    """A card number that passes Luhn: a published test number or a generated one."""
    if rng.random() < 0.4:
        return rng.choice(TEST_CARDS)
    prefix, length = rng.choice(CARD_PLANS)
    payload = prefix + _digits(rng, length - len(prefix) - 1)
    return payload + luhn_check_digit(payload)


def _format_card(rng: random.Random, number: str) -> str:
    """Cards as people type them: grouped by spaces or dashes, or run together."""
    groups = (4, 6, 5) if len(number) == 15 else (4, 4, 4, 4)
    parts, start = [], 0
    for size in groups:
        parts.append(number[start : start + size])
        start += size
    return rng.choice((" ", "-", "")).join(parts)


def _ssn(rng: random.Random) -> str:
    """A US SSN in a valid range (area not 000/666/9xx, group and serial not zero)."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _iban_check(country: str, bban: str) -> str:
    """ISO 13616 check digits: 98 minus the mod-97 of BBAN + country + 00, letters as 10..35."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (spaces allowed) passes the ISO 13616 mod-97 check."""
    compact = iban.replace(" ", "").upper()
    numeric = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return len(compact) > 4 and int(numeric) % 97 == 1


def _iban(rng: random.Random) -> str:
    """A syntactically valid IBAN, compact or grouped by four as printed on statements."""
    country = rng.choice(sorted(IBAN_PLANS))
    bban = "".join(
        rng.choice(string.ascii_uppercase) if c == "A" else rng.choice(string.digits) for c in IBAN_PLANS[country]
    )
    compact = country + _iban_check(country, bban) + bban
    if rng.random() < 0.5:
        return compact
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _us_e164(rng: random.Random) -> str:
    return f"+1{rng.choice(US_AREA_CODES)}{rng.randint(2, 9)}{_digits(rng, 2)}{_digits(rng, 4)}"


def _intl_e164(rng: random.Random) -> str:
    """A mobile number in E.164 from one of several countries (WhatsApp customers are international)."""
    if rng.random() < 0.35:
        return _us_e164(rng)
    code = rng.choice(sorted(MOBILE_PLANS))
    _, length, leads = MOBILE_PLANS[code]
    lead = rng.choice(leads)
    return f"+{code}{lead}{_digits(rng, length - len(lead))}"


def _national_format(rng: random.Random, e164: str) -> str:
    """How people write their number in a message: national or spaced international formats."""
    if e164.startswith("+1"):
        area, exchange, line = e164[2:5], e164[5:8], e164[8:]
        return rng.choice(
            (
                f"({area}) {exchange}-{line}",
                f"{area}-{exchange}-{line}",
                f"{area}.{exchange}.{line}",
                f"+1 {area} {exchange} {line}",
                e164,
            )
        )
    code = next(c for c in sorted(MOBILE_PLANS, key=len, reverse=True) if e164[1:].startswith(c))
    trunk, _, _ = MOBILE_PLANS[code]
    national = e164[1 + len(code) :]
    spaced = f"{national[:4]} {national[4:]}"
    return rng.choice((f"{trunk}{spaced}", f"+{code} {spaced}", e164))


def _address(rng: random.Random) -> str:
    """A street address in the US, UK, German or Spanish style."""
    style = rng.choice(sorted(STREETS))
    names, kinds = STREETS[style]
    name, kind = rng.choice(names), rng.choice(kinds)
    city, region = rng.choice(CITIES[style])
    number = rng.randint(1, 2400 if style == "us" else 180)
    if style == "us":
        return f"{number} {name} {kind}, {city}, {region} {_digits(rng, 5)}"
    if style == "uk":
        return (
            f"{number} {name} {kind}, {city} {region} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        )
    if style == "de":
        return f"{name}{kind} {number}, {region}{_digits(rng, 3)} {city}"
    return f"{kind} {name} {number}, {region}{_digits(rng, 3)} {city}"


# --------------------------------------------------------------------------------------------------------
# What people say
# --------------------------------------------------------------------------------------------------------

#: Template slots whose values are customer personal data (listed in ``WebhookPost.pii``).
PII_SLOTS = frozenset({"name", "first", "email", "phone", "card", "ssn", "iban", "address"})


@dataclass(frozen=True)
class Intent:
    """One reason to contact support, with the lines each side tends to say about it."""

    name: str
    openers: tuple[str, ...]
    details: tuple[str, ...]
    bot: tuple[str, ...]
    agent: tuple[str, ...]
    resolution: tuple[str, ...]


INTENTS: dict[str, Intent] = {
    "double_charge": Intent(
        "double_charge",
        (
            "Hi, I was charged twice for my last order {order}",
            "why is there two charges of {amount} on my card??",
            "Hello, my statement shows a duplicate payment for {order}",
        ),
        (
            "The card is {card}, both charges on the same day",
            "my name is {name} and the account email is {email}",
            "It's the card ending {last4}. I can send a screenshot of the statement",
            "Please refund it to {iban}, I closed that card",
        ),
        (
            "I'm sorry about that. Can you confirm the order number and the last 4 digits of the card?",
            "I can check duplicate charges for you. What's the email on your account?",
        ),
        (
            "Thanks {first}, I can see both authorisations for {order}. One of them is a pending hold.",
            "I've raised a refund for the duplicate {amount}; it takes 3-5 business days.",
            "I found the second charge, it was a retry from our payment provider. Reversing it now.",
        ),
        ("The duplicate charge of {amount} has been reversed. Anything else I can help with?",),
    ),
    "update_card": Intent(
        "update_card",
        (
            "I need to update my payment method",
            "my card expired, how do I change it?",
            "Hi, can I pay with a different card this month?",
        ),
        ("new card is {card} exp 09/28", "Billing address is {address}", "It's under {name}, email {email}"),
        (
            "You can update your card under Settings > Billing. Want me to send you the link?",
            "For your security please don't share full card numbers here. I can send a secure payment link.",
        ),
        (
            "Hi {first}, I've sent a secure link to {email} so you can enter the new card.",
            "Thanks, the card ending {last4} is now the default payment method.",
        ),
        ("Your payment method is updated and the next invoice will use it.",),
    ),
    "refund": Intent(
        "refund",
        (
            "I want a refund for order {order}",
            "hi i returned the item 2 weeks ago and still no refund",
            "Can I get my money back? The product arrived broken",
        ),
        (
            "order {order}, it was {amount}",
            "please send it to my bank account {iban}",
            "I'm {name}, my phone is {phone} if you need to call",
            "I shipped it back from {address}",
        ),
        (
            "I can help with refunds. Could you share the order number?",
            "Refunds go back to the original payment method within 5-10 days of us receiving the return.",
        ),
        (
            "I checked {order}: the return reached our warehouse yesterday, so the refund is on its way.",
            "Thanks {first}. I've approved the refund of {amount}, you'll get an email confirmation.",
            "I'm sorry about the broken item. I've issued a full refund and you don't need to send it back.",
        ),
        ("The refund of {amount} is processed. Sorry again for the trouble!",),
    ),
    "invoice": Intent(
        "invoice",
        ("Can I get an invoice with my company name on it?", "where do I download last month's invoice?"),
        ("company is {name} Consulting, address {address}", "send it to {email} please"),
        ("Invoices are under Account > Billing history. I can also email one to you.",),
        ("Done {first}, the corrected invoice for {order} is on its way to {email}.",),
        ("You should have the invoice in your inbox now.",),
    ),
    "delivery": Intent(
        "delivery",
        (
            "Where is my package? Order {order}",
            "my delivery says delivered but nothing arrived",
            "hi, tracking hasn't updated in 4 days",
            "The courier left my parcel at the wrong house",
        ),
        (
            "I live at {address}",
            "tracking number {tracking}",
            "you can reach me on {phone} for the courier",
            "Name on the order is {name}",
            "I was home all day and nobody rang",
        ),
        (
            "Let me look that up. What's your order number?",
            "Sorry to hear that. Tracking can lag by a day. Can you share the tracking number?",
        ),
        (
            "Thanks {first}. {order} was handed to the courier on Monday. I've opened a trace with them.",
            "I've confirmed the delivery address as {address}. The driver's photo shows a different door.",
            "I'm sending a replacement by express today, you'll get tracking by email.",
        ),
        ("A replacement is on its way with express shipping. Sorry for the hassle!",),
    ),
    "password_reset": Intent(
        "password_reset",
        (
            "I can't log in",
            "forgot my password and the reset email never comes",
            "Hi, my account is locked after too many attempts",
        ),
        (
            "my email is {email}",
            "the account is under {name}",
            "I changed my phone, the new one is {phone}",
            "last 4 of my SSN is on file, the full one is {ssn} if you need it",
        ),
        (
            "I can help you reset it. I've sent a reset link to the email on file; it expires in 30 minutes.",
            "For security, please never share passwords or full social security numbers here.",
        ),
        (
            "Hi {first}, I've unlocked the account and sent a fresh reset link to {email}.",
            "I updated the recovery phone. You should get a verification code now.",
        ),
        ("You're all set, the account is unlocked.",),
    ),
    "technical": Intent(
        "technical",
        (
            "the app keeps crashing when I open my orders",
            "Your website shows an error 500 at checkout",
            "I'm not getting any notifications since the update",
        ),
        (
            "iPhone 14, iOS 17.4",
            "Android, latest version of the app",
            "my account is {email}",
            "I tried reinstalling already",
        ),
        (
            "Sorry about that! Could you try logging out and back in? That fixes most sync problems.",
            "Thanks for reporting it. Which device and app version are you on?",
        ),
        (
            "Thanks {first}, that is a known bug in 5.2.1, fixed tomorrow. The website works meanwhile.",
            "I've cleared the session on our side. Could you try again now?",
        ),
        ("Glad it's working again!",),
    ),
    "address_change": Intent(
        "address_change",
        ("I moved, can you change my delivery address?", "need to update the address on order {order}"),
        ("new address: {address}", "It's {name}, phone {phone}", "the old one was {address}"),
        ("I can update addresses for orders that haven't shipped yet. What's the order number?",),
        ("Done {first}, {order} will now go to {address}.",),
        ("The address is updated for this and future orders.",),
    ),
    "upgrade": Intent(
        "upgrade",
        ("I'd like to upgrade to the {plan} plan", "what's the difference between Pro and {plan}?"),
        ("we're a team of 12", "my work email is {email}, I'm {name}", "call me on {phone} to discuss"),
        ("The {plan} plan adds SSO, audit logs and priority support. Want me to connect you with sales?",),
        (
            "Hi {first}, I'm {agent} from sales. I can set up a 30-day {plan} trial for your team today.",
            "For 12 seats the {plan} plan is {amount} per month billed annually.",
        ),
        ("Your {plan} trial is active. I'll follow up by email next week.",),
    ),
    "pricing": Intent(
        "pricing",
        ("How much is it for a small business?", "do you have discounts for nonprofits?"),
        ("we're a registered charity", "send the quote to {email}", "my name is {name}"),
        ("Our plans start at {amount} per month. A specialist can prepare a custom quote.",),
        ("Thanks {first}, I've emailed a quote with the nonprofit discount applied.",),
        ("The quote is in your inbox, it's valid for 30 days.",),
    ),
}
QUEUE_INTENTS = {
    "billing": ("double_charge", "update_card", "refund", "invoice"),
    "support": ("delivery", "password_reset", "technical", "address_change"),
    "sales": ("upgrade", "pricing"),
}
CUSTOMER_SMALL_TALK = {
    "bot_follow_up": (
        "that doesn't help",
        "I already tried that",
        "ok",
        "can I talk to a person?",
        "{order}",
    ),
    "waiting": ("hello?", "is anyone there", "still waiting...", "??", "it's been ages"),
    "thanks": ("thanks!", "great, thank you", "ok perfect", "thx", "Thank you so much!"),
    "agent_follow_up": (
        "ok",
        "yes that's the one",
        "how long will that take?",
        "no, the other order",
        "ok, and will I get an email?",
    ),
    "reopen": (
        "actually one more thing",
        "hi again, it happened again",
        "sorry, I forgot to ask something",
        "it still isn't fixed",
    ),
    "photo": ("here's a photo", "see the picture", "this is what arrived"),
    "filler": ("ok", "sure", "one sec", "let me check", "yes", "ok thanks", "right"),
}
BOT_LINES = {
    "greeting": (
        "Hi! I'm Aria, the virtual assistant. How can I help today?",
        "Hello! You're chatting with Aria, our assistant. What can I do for you?",
    ),
    "handoff": (
        "I'll connect you with a specialist. Current wait time is about 3 minutes.",
        "Let me transfer you to one of our agents, please stay on the line.",
    ),
    "anything_else": ("Is there anything else I can help you with?",),
}
AGENT_LINES = {
    "greeting": (
        "Hi, this is {agent}. I'm reading through your messages now.",
        "Hello {first}, {agent} here. Thanks for waiting!",
        "Hi! I'm {agent}, let me take a look.",
    ),
    "working": (
        "Let me check that for you, one moment.",
        "Thanks, I can see your account now.",
        "Bear with me while I confirm this with the team.",
        "I've added a note to your case.",
    ),
    "closing": (
        "Is there anything else I can help with today?",
        "Have a great day!",
        "Thanks for contacting us. Take care!",
    ),
}
PLANS = ("Business", "Enterprise", "Team")


# --------------------------------------------------------------------------------------------------------
# The conversation model
# --------------------------------------------------------------------------------------------------------


def _sid(rng: random.Random, kind: str) -> str:
    """A Twilio-shaped SID: two-letter prefix + 32 lower-case hex digits, from the seeded RNG."""
    return f"{SID_PREFIXES[kind]}{rng.getrandbits(128):032x}"


def _token(rng: random.Random) -> str:
    """An idempotency token shaped like a UUID, deterministic from the seed."""
    hex32 = f"{rng.getrandbits(128):032x}"
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def _moment(origin: datetime, offset_s: float) -> datetime:
    """A point on the simulated timeline, at Twilio's millisecond precision (forms and ``occurred_at`` agree)."""
    moment = origin + timedelta(seconds=offset_s)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _iso(moment: datetime) -> str:
    """Twilio's timestamp style: ISO-8601 UTC with milliseconds and ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class _Account:
    """What every conversation of one run shares: account, service, role and our business numbers."""

    account_sid: str
    service_sid: str
    role_sid: str
    messaging_service_sid: str
    sms_number: str
    whatsapp_number: str

    @classmethod
    def draw(cls, rng: random.Random, account_sid: str | None) -> _Account:
        return cls(
            account_sid=account_sid or _sid(rng, "account"),
            service_sid=_sid(rng, "service"),
            role_sid=_sid(rng, "role"),
            messaging_service_sid=_sid(rng, "messaging_service"),
            sms_number=_us_e164(rng),
            whatsapp_number=_us_e164(rng),
        )


class _Persona:
    """A customer: one name, e-mail, phone, card... drawn lazily and then reused, so a story is coherent."""

    def __init__(self, rng: random.Random, channel: str) -> None:
        self._rng = rng
        culture = rng.choice(sorted(NAMES))
        givens, families = NAMES[culture]
        self.first = rng.choice(givens)
        self.name = f"{self.first} {rng.choice(families)}"
        self.email = self._email()
        self.mobile = _us_e164(rng) if channel == "sms" else _intl_e164(rng)
        self._values: dict[str, str] = {"first": self.first, "name": self.name, "email": self.email}

    def _email(self) -> str:
        first, _, family = self.name.partition(" ")
        local = self._rng.choice(
            (
                f"{_ascii(first)}.{_ascii(family)}",
                f"{_ascii(first)[0]}{_ascii(family)}",
                f"{_ascii(first)}{self._rng.randint(1, 99)}",
            )
        )
        return f"{local}@{self._rng.choice(MAIL_DOMAINS)}"

    def value(self, slot: str) -> str:
        """The persona's value for a template slot, drawn on first use and stable afterwards."""
        if slot not in self._values:
            self._values[slot] = self._draw(slot)
        return self._values[slot]

    def _card_digits(self) -> str:
        """One card per customer: the formatted number and the "ending in" digits must agree."""
        if "_card" not in self._values:
            self._values["_card"] = _card_number(self._rng)
        return self._values["_card"]

    def _draw(self, slot: str) -> str:
        rng = self._rng
        draws: dict[str, Callable[[], str]] = {
            "phone": lambda: _national_format(rng, self.mobile if rng.random() < 0.5 else _intl_e164(rng)),
            "card": lambda: _format_card(rng, self._card_digits()),
            "last4": lambda: self._card_digits()[-4:],
            "ssn": lambda: _ssn(rng),
            "iban": lambda: _iban(rng),
            "address": lambda: _address(rng),
            "order": lambda: f"#{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}-{_digits(rng, 6)}",
            "tracking": lambda: f"1Z{_digits(rng, 3)}{rng.choice(('AA', 'E6', 'W4'))}{_digits(rng, 11)}",
            "amount": lambda: f"${rng.randint(9, 480)}.{rng.choice(('00', '99', '49', '95'))}",
            "plan": lambda: rng.choice(PLANS),
        }
        return draws[slot]()


_FORMATTER = string.Formatter()


def _render(template: str, persona: _Persona, agent: str) -> tuple[str, tuple[str, ...]]:
    """Fill a line's slots from the persona; return the text and the personal data it now contains."""
    values: dict[str, str] = {}
    pii: list[str] = []
    for _, slot, _, _ in _FORMATTER.parse(template):
        if not slot or slot in values:
            continue
        values[slot] = _agent_first_name(agent) if slot == "agent" else persona.value(slot)
        if slot in PII_SLOTS:
            pii.append(values[slot])
    return template.format(**values), tuple(pii)


def _agent_first_name(agent: str) -> str:
    return agent.split(".")[0].capitalize() if agent else "Alex"


def _typo(rng: random.Random, text: str, keep: tuple[str, ...] = ()) -> str:
    """The same text with two adjacent letters of one longer word swapped (what its author then fixes).

    Words inside ``keep`` (personal data) stay intact, so ``pii`` lists of both versions remain exact.
    """
    words = text.split(" ")
    protected = {part for value in keep for part in value.split(" ")}
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha() and w not in protected]
    if not candidates:
        return text + text[-1]
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


class _Conversation:
    """One conversation's state and the Twilio forms it emits. Time is seconds after the run's start.

    Outbound delivery receipts and message edits happen *later* than the message, interleaved with what
    follows; they wait in ``_later`` until the script's clock passes them, so the conversation's events stay
    in time order.
    """

    def __init__(
        self, rng: random.Random, account: _Account, start: datetime, at: float, channel: str, queue: str
    ) -> None:
        self.rng = rng
        self.account = account
        self.start = start
        self.clock = at
        self.channel = channel
        self.queue = queue
        self.sid = _sid(rng, "conversation")
        self.persona = _Persona(rng, channel)
        self.intent = INTENTS[rng.choice(QUEUE_INTENTS.get(queue, tuple(sorted(INTENTS))))]
        self.agent = ""
        self.customer_sid = ""
        self.customer_address, self.customer_pii = self._customer_address()
        self.state = "active"
        self.next_index = 0
        self._later: list[tuple[float, int, WebhookPost]] = []
        self._later_seq = itertools.count()

    # --- clock and scheduling -------------------------------------------------------------------------

    def wait(self, bounds: tuple[float, float]) -> None:
        """Let simulated time pass (uniformly within ``bounds``)."""
        self.clock += max(MIN_STEP_S, self.rng.uniform(*bounds))

    def wait_exactly(self, seconds: float) -> None:
        self.clock += max(MIN_STEP_S, seconds)

    def timestamp(self, at: float | None = None) -> str:
        return _iso(_moment(self.start, self.clock if at is None else at))

    def later(self, at: float, post: WebhookPost) -> None:
        heapq.heappush(self._later, (at, next(self._later_seq), post))

    def due(self, until: float) -> Iterator[tuple[float, WebhookPost]]:
        """Deferred events (receipts, edits) that happened up to ``until``, in time order."""
        while self._later and self._later[0][0] <= until:
            at, _, post = heapq.heappop(self._later)
            yield at, post

    # --- forms ----------------------------------------------------------------------------------------

    def _customer_address(self) -> tuple[str, tuple[str, ...]]:
        if self.channel == "sms":
            return self.persona.mobile, (self.persona.mobile,)
        if self.channel == "whatsapp":
            return f"whatsapp:{self.persona.mobile}", (self.persona.mobile,)
        if self.rng.random() < CHAT_SIGNED_IN_RATE:
            return self.persona.email, (self.persona.email,)
        return f"guest-{self.rng.getrandbits(48):012x}", ()

    def _proxy_address(self) -> str:
        if self.channel == "whatsapp":
            return f"whatsapp:{self.account.whatsapp_number}"
        return self.account.sms_number

    def _post(self, event_type: str, fields: Mapping[str, str], pii: tuple[str, ...] = ()) -> WebhookPost:
        form = {
            "EventType": event_type,
            "AccountSid": self.account.account_sid,
            "ChatServiceSid": self.account.service_sid,
            "ConversationSid": self.sid,
            "RetryCount": "0",
            **fields,
        }
        unique_pii = tuple(dict.fromkeys(p for p in pii if p))
        return WebhookPost(WEBHOOK_PATH, form, _token(self.rng), self.sid, unique_pii)

    def _messaging_source(self) -> str:
        return {"sms": "SMS", "whatsapp": "WHATSAPP"}.get(self.channel, "SDK")

    def conversation_added(self) -> WebhookPost:
        fields = {
            "MessagingServiceSid": self.account.messaging_service_sid,
            "FriendlyName": f"{self.queue.capitalize()} inquiry via {self.channel}",
            "Attributes": _json({"channel": self.channel, "queue": self.queue}),
            "State": "active",
            "DateCreated": self.timestamp(),
            "Source": "API",
        }
        pii: tuple[str, ...] = ()
        if self.channel in ("sms", "whatsapp"):  # autocreated from the customer's first inbound message
            fields["MessagingBinding.Address"] = self.customer_address
            fields["MessagingBinding.ProxyAddress"] = self._proxy_address()
            pii = self.customer_pii
        return self._post("onConversationAdded", fields, pii)

    def participant_added(self, who: str) -> tuple[str, WebhookPost]:
        sid = _sid(self.rng, "participant")
        fields = {
            "ParticipantSid": sid,
            "RoleSid": self.account.role_sid,
            "Attributes": "{}",
            "DateCreated": self.timestamp(),
            "Source": "API",
        }
        pii: tuple[str, ...] = ()
        if who != "customer":
            fields["Identity"] = BOT_IDENTITY if who == "bot" else f"agent:{self.agent}"
        elif self.channel in ("sms", "whatsapp"):
            fields["MessagingBinding.Address"] = self.customer_address
            fields["MessagingBinding.ProxyAddress"] = self._proxy_address()
            fields["MessagingBinding.Type"] = self.channel.upper()
            pii = self.customer_pii
        else:
            fields["Identity"] = self.customer_address
            pii = self.customer_pii
        return sid, self._post("onParticipantAdded", fields, pii)

    def message_added(
        self,
        who: str,
        participant_sid: str,
        template: str,
        attributes: Mapping[str, object] | None = None,
        media: bool = False,
    ) -> WebhookPost:
        body, body_pii = _render(template, self.persona, self.agent)
        author = {"customer": self.customer_address, "bot": BOT_IDENTITY}.get(who, f"agent:{self.agent}")
        message_sid = _sid(self.rng, "message")
        fields = {
            "MessageSid": message_sid,
            "MessagingServiceSid": self.account.messaging_service_sid,
            "ParticipantSid": participant_sid,
            "Author": author,
            "Body": body,
            "Index": str(self.next_index),
            "DateCreated": self.timestamp(),
            "Attributes": _json(dict(attributes or {})),
            "Source": self._messaging_source() if who == "customer" else ("API" if who == "bot" else "SDK"),
        }
        self.next_index += 1
        if media:
            fields["Media"] = self._media()
        author_pii = self.customer_pii if who == "customer" else ()
        if self._will_edit(who):
            fields["Body"] = _typo(self.rng, body, body_pii)
            self._schedule_edit({**fields, "Body": body}, author_pii + body_pii)
        if who != "customer" and self.channel in ("sms", "whatsapp"):
            self._schedule_receipts(message_sid)
        # The typo never touches personal data, so body_pii is exact for both versions.
        return self._post("onMessageAdded", fields, author_pii + body_pii)

    def _media(self) -> str:
        item = {
            "Sid": _sid(self.rng, "media"),
            "ContentType": "image/jpeg",
            "Filename": f"IMG_{self.rng.randint(1000, 9999)}.jpg",
            "Size": self.rng.randint(80_000, 2_400_000),
        }
        return _json([item])

    def _will_edit(self, who: str) -> bool:
        """Agents fix typos now and then; web-chat customers too. SMS/WhatsApp messages cannot be edited."""
        if who == "agent":
            return self.rng.random() < AGENT_EDIT_RATE
        return who == "customer" and self.channel == "chat" and self.rng.random() < CHAT_EDIT_RATE

    def _schedule_edit(self, corrected: Mapping[str, str], pii: tuple[str, ...]) -> None:
        """The message went out with a typo; a little later its author fixes it (``onMessageUpdated``)."""
        at = self.clock + self.rng.uniform(*EDIT_DELAY_S)
        updated = {**corrected, "DateUpdated": self.timestamp(at)}
        self.later(at, self._post("onMessageUpdated", updated, pii))

    def settle(self) -> None:
        """Move the clock past every deferred receipt or edit: nothing may follow a conversation's close."""
        if self._later:
            self.clock = max(self.clock, max(at for at, _, _ in self._later) + MIN_STEP_S)

    def _schedule_receipts(self, message_sid: str) -> None:
        """Twilio's delivery receipts for an outbound SMS/WhatsApp message: sent, then delivered or failed."""
        receipt_sid = _sid(self.rng, "receipt")
        channel_message_sid = _sid(self.rng, "channel_message")
        created = self.clock + self.rng.uniform(*RECEIPT_SENT_S)
        steps: list[tuple[float, str]] = [(created, "sent")]
        done = created + self.rng.uniform(*RECEIPT_DELIVERED_S)
        if self.rng.random() < UNDELIVERED_RATE:
            steps.append((done, self.rng.choice(("undelivered", "failed"))))
        else:
            steps.append((done, "delivered"))
            if self.channel == "whatsapp" and self.rng.random() < WHATSAPP_READ_RATE:
                steps.append((done + self.rng.uniform(*RECEIPT_READ_S), "read"))
        for at, status in steps:
            fields = {
                "MessageSid": message_sid,
                "ParticipantSid": self.customer_sid,
                "DeliveryReceiptSid": receipt_sid,
                "ChannelMessageSid": channel_message_sid,
                "Status": status,
                "ErrorCode": "0",
                "DateCreated": self.timestamp(created),
                "DateUpdated": self.timestamp(at),
            }
            if status in ("undelivered", "failed"):
                fields["ErrorCode"] = self.rng.choice(DELIVERY_ERROR_CODES[self.channel])
            self.later(at, self._post("onDeliveryUpdated", fields))

    def state_updated(self, to: str, reason: str) -> WebhookPost:
        if to == "closed":
            self.settle()
        stamp = self.timestamp()
        fields = {
            "MessagingServiceSid": self.account.messaging_service_sid,
            "StateFrom": self.state,
            "StateTo": to,
            "Reason": reason,
            "DateUpdated": stamp,
            "StateUpdated": stamp,
            "Source": "API",
        }
        self.state = to
        return self._post("onConversationStateUpdated", fields)


# --------------------------------------------------------------------------------------------------------
# The story of one conversation
# --------------------------------------------------------------------------------------------------------

Timed = tuple[float, WebhookPost]


@dataclass(frozen=True)
class _Outcome:
    """How the conversation will go, decided up front so the mix matches the configured shares."""

    contained: bool
    abandoned: bool
    reopened: bool

    @classmethod
    def draw(cls, rng: random.Random, bot_containment: float) -> _Outcome:
        contained = rng.random() < bot_containment
        abandoned = not contained and rng.random() < ABANDON_RATE
        reopened = not abandoned and rng.random() < REOPEN_RATE
        return cls(contained, abandoned, reopened)


class _Story:
    """The script of one conversation; :meth:`events` yields its posts in time order."""

    def __init__(self, conversation: _Conversation, outcome: _Outcome) -> None:
        self.c = conversation
        self.outcome = outcome
        self.rng = conversation.rng
        self.bot_sid = ""
        self.agent_sid = ""
        self.said: set[str] = set()

    def events(self) -> Iterator[Timed]:
        for at, post in self._script():
            yield from self.c.due(at)
            yield at, post
        yield from self.c.due(math.inf)

    def _now(self, post: WebhookPost) -> Timed:
        return self.c.clock, post

    def _line(self, lines: tuple[str, ...], fallback: tuple[str, ...] = ()) -> str:
        """A line nobody in this conversation said yet - from ``lines``, else from ``fallback``, else any
        of ``lines``: people rarely repeat themselves word for word."""
        fresh = [line for line in lines if line not in self.said]
        fresh = fresh or [line for line in fallback if line not in self.said]
        line = self.rng.choice(fresh or lines)
        self.said.add(line)
        return line

    def _script(self) -> Iterator[Timed]:
        yield from self._opening()
        yield from self._bot_triage()
        if self.outcome.contained:
            yield from self._bot_resolves()
            yield from self._go_quiet(by_agent=False)
        elif self.outcome.abandoned:
            yield from self._handoff()
            yield from self._abandon()
            return
        else:
            yield from self._handoff()
            yield from self._agent_handles()
            yield from self._go_quiet(by_agent=True)
        if self.outcome.reopened and self.c.state == "inactive":
            yield from self._reopen()
            yield from self._go_quiet(by_agent=not self.outcome.contained)
        if self.c.state != "closed":
            yield from self._close_by_timer()

    # --- phases ---------------------------------------------------------------------------------------

    def _opening(self) -> Iterator[Timed]:
        c = self.c
        yield self._now(c.conversation_added())
        c.wait(JOIN_DELAY_S)
        c.customer_sid, post = c.participant_added("customer")
        yield self._now(post)
        c.wait(JOIN_DELAY_S)
        self.bot_sid, post = c.participant_added("bot")
        yield self._now(post)
        c.wait(JOIN_DELAY_S)
        yield from self._customer_run(self.c.intent.openers, self.c.intent.details)

    def _bot_triage(self) -> Iterator[Timed]:
        yield from self._bot_says(BOT_LINES["greeting"])
        for turn in range(self.rng.randint(1, 2)):
            self.c.wait(CUSTOMER_REPLY_S)
            yield from self._customer_run(self.c.intent.details)
            yield from self._bot_says(
                self.c.intent.bot,
                {
                    "intent": self.c.intent.name,
                    "ai_confidence": round(self.rng.uniform(0.55, 0.99), 2),
                    "sentiment": TRIAGE_SENTIMENT[min(turn, len(TRIAGE_SENTIMENT) - 1)],
                },
            )

    def _bot_resolves(self) -> Iterator[Timed]:
        yield from self._bot_says(self.c.intent.resolution)
        if self.rng.random() < 0.6:
            self.c.wait(CUSTOMER_REPLY_S)
            yield from self._customer_says(CUSTOMER_SMALL_TALK["thanks"])

    def _handoff(self) -> Iterator[Timed]:
        self.c.wait(CUSTOMER_REPLY_S)
        yield from self._customer_says(CUSTOMER_SMALL_TALK["bot_follow_up"])
        yield from self._bot_says(
            BOT_LINES["handoff"], {"escalated": True, "intent": self.c.intent.name, "sentiment": HANDOFF_SENTIMENT}
        )

    def _queue_wait(self) -> float:
        wait = self.rng.lognormvariate(math.log(QUEUE_WAIT_MEDIAN_S), QUEUE_WAIT_SIGMA)
        low, high = QUEUE_WAIT_BOUNDS_S
        return min(max(wait, low), high)

    def _agent_handles(self) -> Iterator[Timed]:
        c = self.c
        wait = self._queue_wait()
        if wait > CUSTOMER_REPLY_S[1] and self.rng.random() < 0.5:  # long wait: the customer chases
            c.wait_exactly(wait / 2)
            yield from self._customer_says(CUSTOMER_SMALL_TALK["waiting"])
            c.wait_exactly(wait / 2)
        else:
            c.wait_exactly(wait)
        c.agent = self.rng.choice(AGENTS)
        self.agent_sid, post = c.participant_added("agent")
        yield self._now(post)
        c.wait(AGENT_FIRST_REPLY_S)
        yield from self._agent_says(AGENT_LINES["greeting"])
        for turn in range(self.rng.randint(2, 4)):
            c.wait(AGENT_REPLY_S)
            yield from self._agent_says(c.intent.agent + AGENT_LINES["working"])
            c.wait(CUSTOMER_REPLY_S)
            lines = c.intent.details if turn == 0 else c.intent.details + CUSTOMER_SMALL_TALK["agent_follow_up"]
            yield from self._customer_run(lines)
        c.wait(AGENT_REPLY_S)
        yield from self._agent_says(c.intent.resolution + AGENT_LINES["closing"])
        if self.rng.random() < 0.7:
            c.wait(CUSTOMER_REPLY_S)
            yield from self._customer_says(CUSTOMER_SMALL_TALK["thanks"])

    def _abandon(self) -> Iterator[Timed]:
        """The customer waits, chases once or twice, nobody comes; Twilio's timers close it."""
        for _ in range(self.rng.randint(1, 2)):
            self.c.wait(ABANDON_NUDGE_S)
            yield from self._customer_says(CUSTOMER_SMALL_TALK["waiting"])
        yield from self._close_by_timer()

    def _go_quiet(self, *, by_agent: bool) -> Iterator[Timed]:
        """After the last message: the agent wraps up (API), or the inactivity timer fires."""
        c = self.c
        if by_agent:
            c.wait(AGENT_WRAP_UP_S)
            closes_directly = self.rng.random() < AGENT_CLOSES_DIRECTLY and not self.outcome.reopened
            yield self._now(c.state_updated("closed" if closes_directly else "inactive", "API"))
        else:
            c.wait_exactly(INACTIVE_TIMER_S)
            yield self._now(c.state_updated("inactive", "TIMER"))

    def _reopen(self) -> Iterator[Timed]:
        """A customer writes into an inactive conversation: Twilio reactivates it, then the message lands."""
        c = self.c
        c.wait(REOPEN_AFTER_S)
        yield self._now(c.state_updated("active", "EVENT"))
        c.wait((MIN_STEP_S, 0.3))
        yield from self._customer_says(CUSTOMER_SMALL_TALK["reopen"])
        if self.outcome.contained:
            yield from self._bot_says(BOT_LINES["anything_else"])
            c.wait(CUSTOMER_REPLY_S)
            yield from self._customer_run(c.intent.details)
            yield from self._bot_says(c.intent.resolution)
        else:
            c.wait(AGENT_FIRST_REPLY_S)
            yield from self._agent_says(c.intent.agent)
            c.wait(CUSTOMER_REPLY_S)
            yield from self._customer_says(CUSTOMER_SMALL_TALK["thanks"])

    def _close_by_timer(self) -> Iterator[Timed]:
        c = self.c
        if c.state == "active":
            c.wait_exactly(INACTIVE_TIMER_S)
            yield self._now(c.state_updated("inactive", "TIMER"))
        c.wait_exactly(CLOSED_TIMER_S)
        yield self._now(c.state_updated("closed", "TIMER"))

    # --- turns ----------------------------------------------------------------------------------------

    def _customer_run(self, first: tuple[str, ...], more: tuple[str, ...] | None = None) -> Iterator[Timed]:
        """One to three customer messages in a row: a ``first`` line, then details (``more``)."""
        for i in range(self.rng.choice((1, 1, 2, 2, 3))):
            if i:
                self.c.wait(CUSTOMER_TYPING_GAP_S)
            yield from self._customer_says(first if i == 0 else (more or first), pii_share=CUSTOMER_PII_RATE)

    def _customer_says(self, lines: tuple[str, ...], *, pii_share: float = 0.0) -> Iterator[Timed]:
        """A customer message; with probability ``pii_share`` one of the lines that carry personal data."""
        c = self.c
        media = c.channel in ("sms", "whatsapp") and self.rng.random() < MEDIA_RATE
        if media:
            line = self._line(CUSTOMER_SMALL_TALK["photo"])
        else:
            with_pii = tuple(line for line in lines if _has_pii_slot(line))
            without = tuple(line for line in lines if not _has_pii_slot(line)) or lines
            chosen = with_pii if with_pii and self.rng.random() < pii_share else without
            line = self._line(chosen, lines + CUSTOMER_SMALL_TALK["filler"])
        yield self._now(c.message_added("customer", c.customer_sid, line, media=media))

    def _bot_says(self, lines: tuple[str, ...], attributes: Mapping[str, object] | None = None) -> Iterator[Timed]:
        self.c.wait(BOT_REPLY_S)
        yield self._now(self.c.message_added("bot", self.bot_sid, self._line(lines), attributes))

    def _agent_says(self, lines: tuple[str, ...]) -> Iterator[Timed]:
        line = self._line(lines, AGENT_LINES["working"])
        yield self._now(self.c.message_added("agent", self.agent_sid, line))


def _has_pii_slot(template: str) -> bool:
    return any(slot in PII_SLOTS for _, slot, _, _ in _FORMATTER.parse(template) if slot)


# --------------------------------------------------------------------------------------------------------
# Many conversations at once
# --------------------------------------------------------------------------------------------------------


def generate_posts(
    *,
    seed: int,
    settings: SimulatorSettings,
    account_sid: str | None = None,
    start: datetime | None = None,
    events_per_s: float | None = None,
) -> Iterator[WebhookPost]:
    """An endless, deterministic stream of webhook posts from overlapping conversations.

    The timeline begins at ``start`` (default :data:`DEFAULT_START`, so the function never reads the
    clock). Posts come out in timestamp order across conversations, which keeps each conversation's own
    events in causal order; take N with ``itertools.islice``. Conversations arrive as a Poisson process:
    :data:`DEFAULT_ARRIVALS_PER_MINUTE` by default, or - with ``events_per_s`` - front-loaded so that the
    stream carries that many events per simulated second from the very first minute (a live sender can
    then post each event at its own timestamp and still hit its target rate).
    """
    if not settings.channels or not settings.queues:
        raise SimulationError("the simulator needs at least one channel and one queue")
    if events_per_s is not None and events_per_s <= 0:
        raise SimulationError("events_per_s must be positive")
    rng = random.Random(seed)
    account = _Account.draw(rng, account_sid)
    origin = _utc(start) if start is not None else DEFAULT_START
    schedule = (
        _ArrivalSchedule((), DEFAULT_ARRIVALS_PER_MINUTE / 60.0)
        if events_per_s is None
        else _ArrivalSchedule.flat_event_rate(settings, events_per_s)
    )
    arrivals = schedule.times(rng)
    pending: list[tuple[float, int, WebhookPost, Iterator[Timed]]] = []
    order = itertools.count()
    next_arrival = next(arrivals)
    while True:
        while not pending or next_arrival <= pending[0][0]:
            timeline = _new_conversation(rng, account, origin, next_arrival, settings)
            _push_next(pending, order, timeline)
            next_arrival = next(arrivals)
        at, _, post, timeline = heapq.heappop(pending)
        yield replace(post, occurred_at=_moment(origin, at))
        _push_next(pending, order, timeline)


@dataclass(frozen=True)
class _ArrivalSchedule:
    """Conversation arrival rates (per second): one per :data:`PROFILE_BIN_S` bin, then a steady rate.

    A stream that starts empty carries few events at first: every conversation is young. Starting with more
    arrivals and tapering to the steady rate keeps the event rate flat from t = 0.
    """

    warm_up: tuple[float, ...]
    steady: float

    @classmethod
    def flat_event_rate(cls, settings: SimulatorSettings, events_per_s: float) -> _ArrivalSchedule:
        """Solve ``arrivals * events-by-age = events_per_s`` bin by bin (a discrete deconvolution)."""
        profile = _age_profile(settings.channels, settings.queues, settings.bot_containment)
        target = events_per_s * PROFILE_BIN_S
        starts: list[float] = []  # expected conversations starting in each bin
        for _ in range(len(profile)):
            # Events in this bin from conversations that started in earlier bins: sum of starts[k-j] * profile[j].
            ongoing = sum(map(operator.mul, reversed(starts), itertools.islice(profile, 1, None)))
            starts.append(max(0.0, (target - ongoing) / profile[0]))
        return cls(tuple(n / PROFILE_BIN_S for n in starts), events_per_s / sum(profile))

    def times(self, rng: random.Random) -> Iterator[float]:
        """Arrival offsets in seconds: a Poisson process with the piecewise-constant rates above."""
        for k, rate in enumerate(self.warm_up):
            yield from _poisson_times(rng, rate, k * PROFILE_BIN_S, (k + 1) * PROFILE_BIN_S)
        yield from _poisson_times(rng, self.steady, len(self.warm_up) * PROFILE_BIN_S, math.inf)


def _poisson_times(rng: random.Random, rate: float, begin: float, end: float) -> Iterator[float]:
    """Arrival times of a Poisson process of ``rate`` per second within ``[begin, end)``."""
    if rate <= 0:
        return
    at = begin + rng.expovariate(rate)
    while at < end:
        yield at
        at += rng.expovariate(rate)


@lru_cache(maxsize=16)
def _age_profile(channels: tuple[str, ...], queues: tuple[str, ...], bot_containment: float) -> tuple[float, ...]:
    """Mean events a conversation emits in each :data:`PROFILE_BIN_S` of its age, measured by sampling.

    Keyed on what shapes a conversation (not the seed), so every run with the same mix shares it.
    """
    settings = SimulatorSettings(channels=channels, queues=queues, bot_containment=bot_containment)
    rng = random.Random(PROFILE_SEED)
    account = _Account.draw(rng, None)
    counts: Counter[int] = Counter()
    for _ in range(PROFILE_CONVERSATIONS):
        # Arrivals fall anywhere in their bin, so sample the start within the bin too.
        begin = rng.uniform(0.0, PROFILE_BIN_S)
        for at, _ in _new_conversation(rng, account, DEFAULT_START, begin, settings):
            counts[int(at // PROFILE_BIN_S)] += 1
    return tuple(counts[k] / PROFILE_CONVERSATIONS for k in range(max(counts) + 1))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _new_conversation(
    rng: random.Random, account: _Account, origin: datetime, at: float, settings: SimulatorSettings
) -> Iterator[Timed]:
    """Start a conversation with its own RNG, so its content does not depend on how others interleave."""
    own = random.Random(rng.getrandbits(64))
    channel = own.choice(settings.channels)
    queue = own.choice(settings.queues)
    conversation = _Conversation(own, account, origin, at, channel, queue)
    return _Story(conversation, _Outcome.draw(own, settings.bot_containment)).events()


def _push_next(
    pending: list[tuple[float, int, WebhookPost, Iterator[Timed]]],
    order: Iterator[int],
    timeline: Iterator[Timed],
) -> None:
    step = next(timeline, None)
    if step is not None:
        heapq.heappush(pending, (step[0], next(order), step[1], timeline))


# --------------------------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------------------------


def webhook_url(base_url: str, path: str) -> str:
    """Join a base URL and a webhook path without doubling or dropping the slash."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def sign(post: WebhookPost, *, auth_token: str, base_url: str) -> dict[str, str]:
    """The headers Twilio sends with ``post`` when its webhook URL is ``base_url + post.path``.

    Twilio signs the URL it was configured with (the public one), not whatever host finally receives the
    request, so pass the public base URL even when posting through a tunnel or to localhost.
    """
    url = webhook_url(base_url, post.path)
    return {
        "X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, post.form),
        "I-Twilio-Idempotency-Token": post.idempotency_token,
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
    }


# --------------------------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------------------------


@dataclass
class _Sender:
    """Posts one webhook with Twilio's retry behaviour and records the outcome in the report."""

    client: httpx.AsyncClient
    target_base: str
    public_base: str
    auth_token: str
    report: SimulationReport

    async def deliver(self, post: WebhookPost) -> None:
        self.report.sent += 1
        status: int | None = None
        for attempt in range(MAX_RETRIES + 1):
            if attempt:
                self.report.retries += 1
                await asyncio.sleep(min(RETRY_BACKOFF_S * 2 ** (attempt - 1), RETRY_BACKOFF_MAX_S))
            status = await self._attempt(_with_retry_count(post, attempt))
            if status is not None and status < 500:
                break
        self._record(post, status)

    async def _attempt(self, post: WebhookPost) -> int | None:
        headers = sign(post, auth_token=self.auth_token, base_url=self.public_base)
        try:
            response = await self.client.post(webhook_url(self.target_base, post.path), data=post.form, headers=headers)
        except httpx.HTTPError:
            return None
        return response.status_code

    def _record(self, post: WebhookPost, status: int | None) -> None:
        if status is None:
            self.report.failed += 1
            return
        self.report.by_status[status] = self.report.by_status.get(status, 0) + 1
        if 200 <= status < 300:
            self.report.accepted += 1
            self.report.accepted_ids.add(post.event_id)
        elif status < 500:
            self.report.rejected += 1
        else:
            self.report.failed += 1


def _with_retry_count(post: WebhookPost, attempt: int) -> WebhookPost:
    """Twilio retries carry the same idempotency token and a higher ``RetryCount`` (and a new signature)."""
    if attempt == 0:
        return post
    return replace(post, form={**post.form, "RetryCount": str(attempt)})


class _Dispatcher:
    """Keeps each conversation's posts in order: a conversation's next post waits for the previous answer."""

    def __init__(self, sender: _Sender, concurrency: int) -> None:
        self.sender = sender
        self.workers = asyncio.Semaphore(concurrency)
        self.backlog = asyncio.Semaphore(concurrency * BACKLOG_PER_WORKER)
        self.queues: dict[str, deque[WebhookPost]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    async def submit(self, post: WebhookPost) -> None:
        await self.backlog.acquire()
        queue = self.queues.get(post.conversation_sid)
        if queue is not None:
            queue.append(post)
            return
        self.queues[post.conversation_sid] = deque([post])
        task = asyncio.create_task(self._drain(post.conversation_sid))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _drain(self, conversation_sid: str) -> None:
        """Deliver a conversation's queued posts one after another, then forget the conversation."""
        queue = self.queues[conversation_sid]
        try:
            async with self.workers:
                while queue:
                    await self.sender.deliver(queue[0])
                    queue.popleft()
                    self.backlog.release()
        finally:  # no await between the empty check and this: a new post starts a new drain
            for _ in queue:
                self.backlog.release()
            del self.queues[conversation_sid]

    async def join(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


class _Progress:
    """A live one-line status on stderr (only on a terminal) and a final summary line."""

    def __init__(self, report: SimulationReport, enabled: bool, stream: TextIO | None = None) -> None:
        self.report = report
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and self.stream.isatty()
        self.started = time.monotonic()
        self._last = 0.0

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.live or (not force and now - self._last < PROGRESS_INTERVAL_S):
            return
        self._last = now
        r, elapsed = self.report, max(now - self.started, 1e-9)
        self.stream.write(
            f"\rsimulate: sent {r.sent}  ok {r.accepted}  rejected {r.rejected}  "
            f"failed {r.failed}  {r.sent / elapsed:.1f} ev/s "
        )
        self.stream.flush()

    def finish(self) -> None:
        if not self.enabled:
            return
        if self.live:
            self.stream.write("\r\033[K")
        self.stream.write(self.report.summary() + "\n")
        self.stream.flush()


async def run_simulation(
    settings: Settings,
    *,
    rate: float,
    duration: float | None,
    total: int | None = None,
    target_url: str | None = None,
    concurrency: int = 8,
    progress: bool = True,
    stop: asyncio.Event | None = None,
    allow_remote: bool = False,
) -> SimulationReport:
    """Post signed simulated webhooks at about ``rate`` events/s for ``duration`` s or ``total`` events.

    The simulated timeline starts now and each event is posted when its own timestamp comes due, so
    ``DateCreated`` matches the moment it arrives, as with real Twilio traffic (late only when the target is
    slower than the traffic). Posts go to ``target_url`` (a base URL; default ``settings.public_url``) but
    are always signed for ``settings.public_url``: Twilio signs the URL it was configured with. With neither
    ``duration`` nor ``total`` the run lasts until ``stop`` is set.

    The posts are signed with the real auth token, so ingest cannot tell them from Twilio's: a target that is not
    this machine (loopback) is refused unless ``allow_remote`` (``--allow-remote``), or a demo aimed at the
    default ``public_url`` would put valid fake traffic into production.
    """
    token = _auth_token(settings)
    if rate <= 0 or concurrency < 1:
        raise SimulationError("rate must be positive and concurrency at least 1")
    target = _base_url(target_url or settings.public_url)
    if not allow_remote and not is_loopback_url(target):
        raise SimulationError(
            f"refusing to post signed simulated traffic to {target}: it is not this machine (loopback), and the "
            "posts are signed with the real Twilio auth token, so a real ingest would store them as Twilio events. "
            "Point --target at a local ingest (e.g. http://127.0.0.1:6066), or pass --allow-remote if you really "
            "mean to send fake traffic there"
        )
    seed = settings.simulator.seed
    if seed is None:
        seed = random.SystemRandom().getrandbits(32)
    report = SimulationReport(seed=seed)
    origin = datetime.now(UTC)
    posts = generate_posts(seed=seed, settings=settings.simulator, start=origin, events_per_s=rate)
    if total is not None:
        posts = itertools.islice(posts, total)
    display = _Progress(report, progress)
    timeout = httpx.Timeout(WEBHOOK_TIMEOUT_S)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        sender = _Sender(client, target, settings.public_url, token, report)
        dispatcher = _Dispatcher(sender, concurrency)
        clock = _Clock(origin, duration, stop, display)
        try:
            await _pace(posts, dispatcher, clock)
        finally:
            await dispatcher.join()
            report.elapsed_s = time.monotonic() - display.started
            report.events_per_s = report.sent / report.elapsed_s if report.elapsed_s > 0 else 0.0
            display.finish()
    return report


def _auth_token(settings: Settings) -> str:
    if settings.twilio_auth_token is None or not settings.twilio_auth_token.get_secret_value():
        raise SimulationError(
            "no Twilio auth token to sign webhooks with: set CXPULSE_TWILIO_AUTH_TOKEN (the same token the "
            "ingest endpoint verifies with)"
        )
    return settings.twilio_auth_token.get_secret_value()


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine: a loopback address, ``localhost``, or the unspecified address a local
    server binds (``0.0.0.0``, ``::``; a connection to it stays on this host). No DNS: a name that merely
    resolves to loopback today is not trusted."""
    host = (httpx.URL(url).host or "").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _base_url(url: str) -> str:
    """Fail before sending anything when the target is not an absolute http(s) URL."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SimulationError(f"target URL must be an absolute http(s) URL, got {url!r}")
    return url


class _Clock:
    """Maps simulated timestamps to the wall clock and knows when the run must stop."""

    def __init__(
        self, origin: datetime, duration: float | None, stop: asyncio.Event | None, display: _Progress
    ) -> None:
        self.origin = origin
        self.began = time.monotonic()
        self.deadline = math.inf if duration is None else self.began + duration
        self.stop = stop
        self.display = display

    def stopped(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        return now >= self.deadline or (self.stop is not None and self.stop.is_set())

    async def until(self, moment: datetime | None) -> bool:
        """Sleep until ``moment`` is due (updating the progress line); False if the run stops first."""
        due = self.began + ((moment - self.origin).total_seconds() if moment is not None else 0.0)
        while True:
            now = time.monotonic()
            if self.stopped(now) or due > self.deadline:
                return False
            if due <= now:
                return True
            self.display.tick()
            await asyncio.sleep(min(due - now, PROGRESS_INTERVAL_S))


async def _pace(posts: Iterator[WebhookPost], dispatcher: _Dispatcher, clock: _Clock) -> None:
    """Hand each post to the dispatcher when its timestamp is due, until the posts or the time run out."""
    for post in posts:
        if not await clock.until(post.occurred_at):
            break
        await dispatcher.submit(post)
        clock.display.tick()
    clock.display.tick(force=True)


# --------------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``cxpulse simulate``."""
    parser.add_argument("--rate", type=float, default=20.0, help="events per second (default: 20)")
    parser.add_argument("--duration", type=float, default=None, help="seconds to run (default: until Ctrl-C)")
    parser.add_argument("--total", type=int, default=None, help="send exactly this many events, then stop")
    parser.add_argument("--seed", type=int, default=None, help="seed for repeatable traffic (default: random)")
    parser.add_argument("--target", default=None, help="base URL to post to (default: the configured public_url)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight at once (default: 8)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a target that is not this machine (the posts carry valid signatures made with the real token)",
    )
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no live progress line")


def main(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``cxpulse simulate``; exit 0 when every event was accepted, 1 otherwise, 2 on bad setup."""
    if getattr(args, "seed", None) is not None:
        simulator = settings.simulator.model_copy(update={"seed": args.seed})
        settings = settings.model_copy(update={"simulator": simulator})
    try:
        report = asyncio.run(_main_async(args, settings))
    except SimulationError as error:
        print(f"simulate: {error}", file=sys.stderr)
        return 2
    return 0 if report.failed == 0 and report.rejected == 0 else 1


async def _main_async(args: argparse.Namespace, settings: Settings) -> SimulationReport:
    """Ctrl-C stops sending new events; what is in flight still completes and is reported."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        import signal

        loop.add_signal_handler(signal.SIGINT, stop.set)
    except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows, or not the main thread
        pass
    return await run_simulation(
        settings,
        rate=args.rate,
        duration=args.duration,
        total=args.total,
        target_url=args.target,
        concurrency=getattr(args, "concurrency", 8),
        progress=getattr(args, "progress", True),
        stop=stop,
        allow_remote=getattr(args, "allow_remote", False),
    )


def event_mix(posts: list[WebhookPost]) -> dict[str, Counter[str]]:
    """Counts per EventType and per channel: what ``python -m cxpulse.simulate`` prints."""
    channels: dict[str, str] = {}
    by_channel: Counter[str] = Counter()
    for post in posts:
        if post.event_type == "onConversationAdded":
            channels[post.conversation_sid] = json.loads(post.form["Attributes"])["channel"]
        by_channel[channels.get(post.conversation_sid, "?")] += 1
    return {"event_type": Counter(p.event_type for p in posts), "channel": by_channel}


if __name__ == "__main__":  # pragma: no cover - a quick look at the traffic
    sample = list(itertools.islice(generate_posts(seed=7, settings=SimulatorSettings()), 1000))
    for kind, counts in event_mix(sample).items():
        print(kind, dict(counts.most_common()))
