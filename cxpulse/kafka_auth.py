"""How every Kafka client of cxpulse authenticates: the one place client security settings are built.

Each process kind has its own principal (docs/security.md "Kafka"), and the broker's ACLs grant each only what
its kind needs (:mod:`streams.acls`):

- ``admin`` creates topics and ACLs (``cxpulse stack``, :func:`streams.topics.ensure_topics`); a super user.
- ``worker`` is the faust worker (with the ingest endpoint while ``[worker] ingest`` is on) and hosts the ClickHouse
  sink: the one principal that may read the raw topic and the redaction DLQ and write ``cx.events.redacted``.
  ``cxpulse dlq replay`` writes ``cx.events.redacted`` too, so it runs as the worker.
- ``reader`` reads redacted ``cx.*`` topics only (dashboards, analysts' tools).
- ``ingest`` is ``cxpulse ingest``, the standalone HTTP edge: it writes the raw topic and can do nothing else (not
  even read what it wrote), so a compromised edge process cannot read raw text or skip redaction.

A deployment gives each process its own ``[kafka] username`` / ``password``; that identity is then used for every
role the process plays, and the broker decides what it may do. With ``security_protocol = "auto"`` the local
stack's broker decides: ``[stack] kafka_security = "scram"`` means SCRAM with the password the stack generated for
the role in its 0700 state dir (:func:`cxpulse.stack.secrets.local_secret`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import SecretStr

from cxpulse.settings import KafkaSettings, Settings
from cxpulse.stack.secrets import local_secret

if TYPE_CHECKING:
    import faust

__all__ = [
    "LOCAL_MECHANISM",
    "ROLES",
    "KafkaIdentity",
    "Role",
    "aiokafka_kwargs",
    "child_env",
    "confluent_config",
    "faust_credentials",
    "identity",
    "local_password",
    "pinned",
    "principal",
]

Role = Literal["admin", "worker", "reader", "ingest"]
ROLES: tuple[Role, ...] = get_args(Role)
#: The mechanism the local stack's broker offers (the strongest Kafka has for SCRAM).
LOCAL_MECHANISM = "SCRAM-SHA-512"
_SASL_PROTOCOLS = ("SASL_PLAINTEXT", "SASL_SSL")


@dataclass(frozen=True)
class KafkaIdentity:
    """Who a client is on the broker and over what; ``password`` never shows in a repr or a log line."""

    protocol: str
    mechanism: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_location: str | None = None

    @property
    def sasl(self) -> bool:
        return self.protocol in _SASL_PROTOCOLS


def principal(settings: Settings, role: Role) -> str:
    """The principal name (without ``User:``) the ACL set grants to processes of ``role``."""
    kafka = settings.kafka
    return {
        "admin": kafka.admin_principal,
        "worker": kafka.worker_principal,
        "reader": kafka.reader_principal,
        "ingest": kafka.ingest_principal,
    }[role]


def local_password(settings: Settings, role: Role) -> str:
    """The local stack's password of ``role`` (created once, 0600 in the 0700 state dir)."""
    return local_secret(settings.stack.state_dir.expanduser().resolve(), f"kafka-{role}")


def identity(settings: Settings, role: Role) -> KafkaIdentity:
    """How a client playing ``role`` authenticates under these settings."""
    kafka = settings.kafka
    if kafka.security_protocol == "auto":
        if settings.stack.kafka_security == "none":
            return KafkaIdentity(protocol="PLAINTEXT")
        return KafkaIdentity(
            protocol="SASL_PLAINTEXT",
            mechanism=LOCAL_MECHANISM,
            username=kafka.username or principal(settings, role),
            password=kafka.password.get_secret_value() or local_password(settings, role),
        )
    if kafka.security_protocol not in _SASL_PROTOCOLS:
        return KafkaIdentity(protocol=kafka.security_protocol)
    password = kafka.password.get_secret_value()
    if not password:
        raise ValueError(
            f"[kafka] security_protocol = {kafka.security_protocol!r} needs this process's password: "
            "set CXPULSE_KAFKA__PASSWORD (and CXPULSE_KAFKA__USERNAME)"
        )
    return KafkaIdentity(
        protocol=kafka.security_protocol,
        mechanism=kafka.sasl_mechanism,
        username=kafka.username or principal(settings, role),
        password=password,
        ca_location=kafka.ssl_ca_location or None,
    )


def confluent_config(settings: Settings, role: Role, **extra: Any) -> dict[str, Any]:
    """librdkafka configuration (``bootstrap.servers`` and security) for a confluent-kafka client; ``extra`` keys
    use librdkafka's dotted names, passed as ``**{"group.id": ...}``."""
    who = identity(settings, role)
    config: dict[str, Any] = {"bootstrap.servers": settings.kafka.bootstrap_servers, "security.protocol": who.protocol}
    if who.sasl:
        config |= {"sasl.mechanism": who.mechanism, "sasl.username": who.username, "sasl.password": who.password}
    if who.ca_location:
        config["ssl.ca.location"] = who.ca_location
    return config | extra


def _ssl_context(who: KafkaIdentity) -> Any:
    if who.protocol != "SASL_SSL":
        return None
    from aiokafka.helpers import create_ssl_context

    return create_ssl_context(cafile=who.ca_location)


def aiokafka_kwargs(settings: Settings, role: Role) -> dict[str, Any]:
    """Keyword arguments (servers and security) for an aiokafka client used directly."""
    who = identity(settings, role)
    kwargs: dict[str, Any] = {"bootstrap_servers": settings.kafka.bootstrap_servers, "security_protocol": who.protocol}
    if who.sasl:
        kwargs |= {
            "sasl_mechanism": who.mechanism,
            "sasl_plain_username": who.username,
            "sasl_plain_password": who.password,
            "ssl_context": _ssl_context(who),
        }
    return kwargs


def faust_credentials(settings: Settings, role: Role = "worker") -> faust.SASLCredentials | None:
    """``broker_credentials`` for ``faust.App``: faust hands them to every aiokafka client it makes (consumer,
    producer, and the client that creates its changelog topics). None = PLAINTEXT."""
    who = identity(settings, role)
    if not who.sasl:
        if who.protocol != "PLAINTEXT":
            raise ValueError(f"faust clients support PLAINTEXT, SASL_PLAINTEXT and SASL_SSL, not {who.protocol}")
        return None
    import faust

    return faust.SASLCredentials(
        username=who.username, password=who.password, mechanism=who.mechanism, ssl_context=_ssl_context(who)
    )


def pinned(settings: Settings, role: Role) -> KafkaSettings:
    """``[kafka]`` with ``role``'s identity written out (protocol, mechanism, user, password): for handing the
    identity to code that runs with other settings, e.g. a worker with its own state dir on a shared stack."""
    who = identity(settings, role)
    update: dict[str, Any] = {"security_protocol": who.protocol}
    if who.sasl:
        update |= {"sasl_mechanism": who.mechanism, "username": who.username, "password": SecretStr(who.password or "")}
    return settings.kafka.model_copy(update=update)


def child_env(settings: Settings, role: Role) -> dict[str, str]:
    """``CXPULSE_KAFKA__*`` variables that give a child process ``role``'s identity (its settings load them)."""
    kafka = pinned(settings, role)
    env = {"CXPULSE_KAFKA__SECURITY_PROTOCOL": kafka.security_protocol}
    if kafka.security_protocol in _SASL_PROTOCOLS:
        env |= {
            "CXPULSE_KAFKA__SASL_MECHANISM": kafka.sasl_mechanism,
            "CXPULSE_KAFKA__USERNAME": kafka.username,
            "CXPULSE_KAFKA__PASSWORD": kafka.password.get_secret_value(),
        }
    return env
