"""A deterministic, labelled chat corpus for redaction quality and speed (seeded; no data files).

Messages are built from templates piece by piece, so every PII value's span is known exactly. The mix is what
contact-center chat looks like: mostly plain messages, a share with PII of every type (names from several
cultures, phone numbers in E.164 and national formats, e-mails, cards, SSNs, IBANs, IPs, bank accounts, cities,
street addresses, dates of birth) and hard negatives that must stay (order numbers, Twilio SIDs, timestamps,
prices, tracking numbers). Some customers type in lower case, names included.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers

__all__ = ["ENTITY_TYPES", "LabelledText", "generate_corpus"]

FIRST = [
    "Priya",
    "Olusegun",
    "Mei",
    "Carlos",
    "Aisha",
    "Hiroshi",
    "Katarzyna",
    "Nguyen",
    "Fatima",
    "Liam",
    "Sofia",
    "Mohammed",
    "Chiamaka",
    "Jonas",
    "Ana",
    "Wei",
    "Ravi",
    "Ingrid",
    "Kwame",
    "Yuki",
    "Mateo",
    "Zainab",
    "Dmitri",
    "Emily",
    "Aroha",
    "Sven",
    "Lucía",
    "Tunde",
    "Siobhan",
    "Arjun",
]
LAST = [
    "Raman",
    "Adeyemi",
    "Zhang",
    "Hernández",
    "Khan",
    "Tanaka",
    "Kowalski",
    "Tran",
    "Al-Sayed",
    "O'Brien",
    "Rossi",
    "Haddad",
    "Okafor",
    "Schmidt",
    "Silva",
    "Chen",
    "Patel",
    "Johansson",
    "Mensah",
    "Suzuki",
    "García",
    "Bello",
    "Ivanov",
    "Walker",
    "Ngata",
    "Lindqvist",
    "Moreno",
    "Balogun",
    "Murphy",
    "Iyer",
]
CITIES = [
    "London",
    "Lagos",
    "Mumbai",
    "Berlin",
    "São Paulo",
    "Toronto",
    "Chicago",
    "Madrid",
    "Sydney",
    "Paris",
    "Nairobi",
    "Seattle",
    "Manchester",
    "Boston",
    "Dublin",
]
STREETS = [
    "Baker Street",
    "Elm Avenue",
    "Maple Drive",
    "High Street",
    "Oak Lane",
    "Sunset Boulevard",
    "Church Road",
    "Victoria Way",
    "Park Place",
    "King Street",
]
DE_STREETS = ["Hauptstraße", "Gartenweg", "Marktplatz", "Lindenallee"]
DOMAINS = ["example.com", "mail.example.org", "example.net", "corp.example.co.uk"]
PLAIN = [
    "Hi, I need help with my order",
    "Thanks!",
    "ok",
    "can you check the status please?",
    "My package has not arrived",
    "I want a refund",
    "hello?",
    "That works, thank you so much",
    "The app keeps crashing when I log in",
    "Is there any update?",
    "I was charged twice this month",
    "yes",
    "no that's fine",
    "Great, have a nice day",
    "why is this taking so long",
    "Can I change my delivery address?",
    "I'd like to cancel my subscription",
    "The item arrived damaged",
    "how do I reset my password",
    "Sorry, which email did you mean?",
    "Could you explain the fee on my bill?",
    "still waiting for an answer",
    "It says payment failed",
    "Do you ship internationally?",
    "Perfect, thanks for your help",
    "I can't find the invoice",
    "What are your opening hours?",
    "The discount code doesn't work",
    "Please escalate this",
    "bye",
]
ENTITY_TYPES = (
    "PERSON",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_BANK_NUMBER",
    "LOCATION",
    "STREET_ADDRESS",
    "DATE_OF_BIRTH",
)


@dataclass(frozen=True)
class LabelledText:
    text: str
    #: (entity type, start, end) of every PII value in ``text``.
    spans: tuple[tuple[str, int, int], ...]


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[tuple[str, int, int]] = []
        self.length = 0

    def add(self, text: str, entity: str | None = None) -> _Builder:
        if entity:
            self.spans.append((entity, self.length, self.length + len(text)))
        self.parts.append(text)
        self.length += len(text)
        return self

    def build(self) -> LabelledText:
        return LabelledText("".join(self.parts), tuple(self.spans))


def _luhn_complete(digits: list[int]) -> list[int]:
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    return digits + [(10 - total % 10) % 10]


def _card(rng: random.Random) -> str:
    kind = rng.choice(["visa", "mc", "amex"])
    if kind == "amex":
        digits = _luhn_complete([3, rng.choice([4, 7])] + [rng.randrange(10) for _ in range(12)])
        s = "".join(map(str, digits))
        groups = [s[:4], s[4:10], s[10:]]
    else:
        prefix = [4] if kind == "visa" else [5, rng.randrange(1, 6)]
        digits = _luhn_complete(prefix + [rng.randrange(10) for _ in range(15 - len(prefix))])
        s = "".join(map(str, digits))
        groups = [s[i : i + 4] for i in range(0, 16, 4)]
    return rng.choice([" ", "-", ""]).join(groups)


def _ssn(rng: random.Random) -> str:
    while True:
        area = rng.randrange(1, 900)
        if area != 666:
            break
    sep = rng.choice(["-", " "])
    return f"{area:03d}{sep}{rng.randrange(1, 100):02d}{sep}{rng.randrange(1, 10000):04d}"


def _iban(rng: random.Random) -> str:
    country, length = rng.choice([("DE", 18), ("GB", 18), ("FR", 23), ("NL", 14), ("ES", 20)])
    if country == "GB":
        bban = "NWBK" + "".join(str(rng.randrange(10)) for _ in range(14))
    elif country == "NL":
        bban = "ABNA" + "".join(str(rng.randrange(10)) for _ in range(10))
    else:
        bban = "".join(str(rng.randrange(10)) for _ in range(length))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    iban = f"{country}{check:02d}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.5 else iban


def _phone(rng: random.Random) -> str:
    while True:
        region, fmt = rng.choice(
            [
                ("US", "e164"),
                ("US", "national"),
                ("US", "dashes"),
                ("GB", "intl"),
                ("GB", "national"),
                ("DE", "intl"),
                ("IN", "intl"),
                ("BR", "intl"),
                ("NG", "intl"),
                ("FR", "intl"),
            ]
        )
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        national = str(example.national_number)
        # Vary the last four digits and keep only numbers the library itself calls valid.
        candidate = national[:-4] + f"{rng.randrange(10000):04d}"
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if not phonenumbers.is_valid_number(number):
            continue
        if fmt == "e164":
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if fmt == "intl":
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return text.replace("(", "").replace(") ", "-").replace(" ", "-") if fmt == "dashes" else text


def _negative(rng: random.Random) -> str:
    return rng.choice(
        [
            lambda: f"Order #{rng.randrange(10**7, 10**8)} still hasn't shipped",
            lambda: f"my order number is ORD-{rng.randrange(202401, 202613)}-{rng.randrange(9999):04d}",
            lambda: f"The conversation id is CH{rng.getrandbits(128):032x}",
            lambda: f"message IM{rng.getrandbits(128):032x} failed",
            lambda: (
                f"It was delivered at 2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
                f"T10:{rng.randrange(60):02d}:00Z"
            ),
            lambda: (
                f"It cost ${rng.randrange(10, 2000)}.{rng.randrange(100):02d} "
                f"but I was charged €{rng.randrange(10, 99)},90"
            ),
            lambda: f"Tracking number 1Z{rng.getrandbits(40):010X}{rng.randrange(10**6):06d}",
            lambda: f"I ordered {rng.randrange(2, 12)} items at {rng.randrange(1, 12)}:{rng.randrange(60):02d} pm",
            lambda: f"ticket {rng.randrange(10**5, 10**6)} was closed",
            lambda: f"Version {rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(50)} of the app",
        ]
    )()


def _pii(rng: random.Random) -> LabelledText:
    b = _Builder()
    first, last = rng.choice(FIRST), rng.choice(LAST)
    kind = rng.randrange(14)
    if kind == 0:
        b.add("Hi, this is ").add(f"{first} {last}", "PERSON").add(", I need help with my order")
    elif kind == 1:
        name = f"{first} {last}"
        b.add("hi its ").add(name.lower(), "PERSON").add(" here, any news?")
    elif kind == 2:
        b.add(rng.choice(["Call me on ", "You can reach me at ", "my number is ", "text me at "]))
        b.add(_phone(rng), "PHONE_NUMBER")
    elif kind == 3:
        b.add("Please send it to ").add(
            f"{first}.{last}".lower().replace("'", "") + f"@{rng.choice(DOMAINS)}", "EMAIL_ADDRESS"
        ).add(" thanks")
    elif kind == 4:
        b.add(rng.choice(["my card is ", "The card number is ", "charged to "])).add(_card(rng), "CREDIT_CARD")
    elif kind == 5:
        b.add(rng.choice(["my ssn is ", "SSN: ", "social security number "])).add(_ssn(rng), "US_SSN")
    elif kind == 6:
        b.add(rng.choice(["IBAN ", "please refund to my IBAN ", "bank: "])).add(_iban(rng), "IBAN_CODE")
    elif kind == 7:
        octets = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
        b.add("my router ip is ").add(octets, "IP_ADDRESS")
    elif kind == 8:
        b.add(rng.choice(["my account number is ", "bank acct ", "checking account "]))
        b.add(str(rng.randrange(10**9, 10**12)), "US_BANK_NUMBER")
    elif kind == 9:
        b.add("I'm in ").add(rng.choice(CITIES), "LOCATION").add(" this week")
    elif kind == 10:
        if rng.random() < 0.7:
            b.add("Ship it to ").add(f"{rng.randrange(1, 999)} {rng.choice(STREETS)}", "STREET_ADDRESS")
        else:
            b.add("Lieferung an ").add(f"{rng.choice(DE_STREETS)} {rng.randrange(1, 99)}", "STREET_ADDRESS")
        b.add(", ").add(rng.choice(CITIES), "LOCATION")
    elif kind == 11:
        y, m, d = rng.randrange(1940, 2006), rng.randrange(1, 13), rng.randrange(1, 29)
        b.add(rng.choice(["my date of birth is ", "I was born on ", "DOB "]))
        b.add(rng.choice([f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d} March {y}"]), "DATE_OF_BIRTH")
    elif kind == 12:
        b.add("Thanks ").add(first, "PERSON").add(", my email is ")
        b.add(f"{first.lower()}{rng.randrange(100)}@{rng.choice(DOMAINS)}", "EMAIL_ADDRESS")
        b.add(" and phone ").add(_phone(rng), "PHONE_NUMBER")
    else:
        b.add(f"{first} {last}", "PERSON").add(" from ").add(rng.choice(CITIES), "LOCATION")
        b.add(", card ").add(_card(rng), "CREDIT_CARD").add(" exp 09/28")
    return b.build()


def generate_corpus(
    size: int = 2000, seed: int = 7, *, pii_share: float = 0.35, negative_share: float = 0.15
) -> list[LabelledText]:
    """``size`` labelled chat messages, identical for the same ``seed``."""
    rng = random.Random(seed)
    corpus: list[LabelledText] = []
    for _ in range(size):
        roll = rng.random()
        if roll < pii_share:
            corpus.append(_pii(rng))
        elif roll < pii_share + negative_share:
            corpus.append(LabelledText(_negative(rng), ()))
        else:
            text = rng.choice(PLAIN)
            corpus.append(LabelledText(text.lower() if rng.random() < 0.3 else text, ()))
    return corpus
