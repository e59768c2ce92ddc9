"""Who wrote it: map a Twilio identity (or messaging address) to a cxpulse :class:`AuthorRole`.

Response-time metrics hinge on telling customers from agents, so the rule is explicit, ordered and
configurable (:class:`~cxpulse.settings.RoleRules`) instead of being guessed in each stage.

The role also decides what the redactor keeps: a business author (agent, bot, system) is stored as it came,
a customer's address is pseudonymised. So a role must never rest on something the customer controls. Who can
write the attributes that may declare a role (:class:`AttributeWriter`):

* **message attributes**: the message's author, from any Conversations SDK session (``editOwnMessageAttributes``),
  and the integrator over REST. A chat customer whose identity is their e-mail or phone number can send
  ``{"role": "agent"}`` with their own message;
* **participant attributes of a chat participant** (one with an ``Identity``): the participant itself when its
  conversation role grants ``editOwnParticipantAttributes``, and the integrator;
* **participant attributes of a messaging participant** (SMS, WhatsApp, e-mail binding, no ``Identity``): only the
  integrator, over REST or a Studio/Flex flow; such a participant has no SDK session to write anything with.

Hence: where the author may have written the attributes, a declared role cannot make a contact address (phone,
``whatsapp:``, e-mail: the outside world) an agent, bot or system; only the operator's identity rules can
(``agent_prefixes``, ``agent_domains``, …). A declared ``customer`` is always accepted (it grants nothing). Other
chat identities keep the integrator's attribute convention. Where only the integrator can write (messaging
participants), the declared role wins as before: a masked-number agent who answers from their own phone is
marked there. The redactor pseudonymises every contact-address author whatever its role (defence in depth).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from cxpulse.settings import RoleRules
from schemas.events import AuthorRole

__all__ = [
    "ADDRESS_CHANNEL_PREFIXES",
    "AttributeWriter",
    "address_channel",
    "is_contact_address",
    "resolve_role",
]


class AttributeWriter(StrEnum):
    """Who can have written the attributes a role is declared in (see the module docstring)."""

    #: Only the integrator's server (REST, Studio, Flex): participants bound to SMS/WhatsApp/e-mail.
    INTEGRATOR = "integrator"
    #: The author too, from an SDK session: messages, and participants with a chat identity.
    AUTHOR = "author"


#: Twilio messaging addresses carry their channel as a prefix (``whatsapp:+15005550006``).
ADDRESS_CHANNEL_PREFIXES: Mapping[str, str] = {
    "whatsapp:": "whatsapp",
    "messenger:": "messenger",
    "sms:": "sms",
    "rcs:": "rcs",
}
#: The channel of a bare E.164 number: Conversations binds plain phone numbers for SMS (and MMS).
_BARE_PHONE_CHANNEL = "sms"

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: How people write a phone number for humans: "+1 (415) 555-0123" is still "+14155550123".
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
#: Roles an attribute may name explicitly; ``unknown`` is a verdict, not something to declare.
_DECLARABLE_ROLES = frozenset(role.value for role in AuthorRole if role is not AuthorRole.UNKNOWN)
#: Roles whose identities are stored as they came (not pseudonymised): only identity rules may grant them to a
#: contact address when the author could have written the attributes.
_BUSINESS_ROLES = frozenset({AuthorRole.AGENT, AuthorRole.BOT, AuthorRole.SYSTEM})


def _strip_channel_prefix(value: str) -> tuple[str | None, str]:
    folded = value.casefold()
    for prefix, channel in ADDRESS_CHANNEL_PREFIXES.items():
        if folded.startswith(prefix):
            return channel, value[len(prefix) :]
    return None, value


def address_channel(value: str | None) -> str | None:
    """The channel a messaging address implies: its prefix, or ``sms`` for a bare E.164 number; else None."""
    if not value:
        return None
    channel, rest = _strip_channel_prefix(value.strip())
    if channel is not None:
        return channel
    return _BARE_PHONE_CHANNEL if _E164.match(rest) else None


def is_contact_address(value: str | None) -> bool:
    """True for a phone number (E.164, optionally ``whatsapp:``/``messenger:``/``sms:``-prefixed, also written
    with spaces, dashes, dots or parentheses), any other channel-prefixed address, or an e-mail address: the
    outside world, not a chat login."""
    if not value:
        return False
    channel, rest = _strip_channel_prefix(value.strip())
    return channel is not None or bool(_E164.match(_PHONE_SEPARATORS.sub("", rest)) or _EMAIL.match(rest))


def _declared_role(attributes: Mapping[str, Any], key: str) -> AuthorRole | None:
    value = attributes.get(key)
    if not isinstance(value, str):
        return None
    folded = value.strip().casefold()
    return AuthorRole(folded) if folded in _DECLARABLE_ROLES else None


def _may_declare(role: AuthorRole, identity: str | None, writer: AttributeWriter) -> bool:
    """Whether attributes from ``writer`` may give ``identity`` this ``role`` (module docstring says why)."""
    if writer is AttributeWriter.INTEGRATOR or role not in _BUSINESS_ROLES:
        return True
    return not is_contact_address(identity)


def _has_prefix(folded_identity: str, prefixes: tuple[str, ...]) -> bool:
    return any(folded_identity.startswith(prefix.casefold()) for prefix in prefixes)


def _at_domain(folded_identity: str, domains: tuple[str, ...]) -> bool:
    """``alice@acme.com`` or ``alice@eu.acme.com`` for ``acme.com``; only an e-mail address has a domain."""
    _, at, domain = folded_identity.rpartition("@")
    if not at or not _EMAIL.match(folded_identity):
        return False
    for wanted in domains:
        folded = wanted.strip().casefold().lstrip("@")
        if folded and (domain == folded or domain.endswith(f".{folded}")):
            return True
    return False


def _identity_role(folded: str, rules: RoleRules) -> AuthorRole:
    """Steps 2-6 of :func:`resolve_role`: the operator's identity rules, then customer."""
    if _has_prefix(folded, rules.agent_prefixes) or _at_domain(folded, rules.agent_domains):
        return AuthorRole.AGENT
    if _has_prefix(folded, rules.bot_prefixes):
        return AuthorRole.BOT
    if folded in {name.casefold() for name in rules.system_identities}:
        return AuthorRole.SYSTEM
    # Contact addresses and unnamed chat identities are both customers.
    return AuthorRole.CUSTOMER


def resolve_role(
    identity: str | None,
    attributes: Mapping[str, Any],
    rules: RoleRules,
    *,
    writer: AttributeWriter = AttributeWriter.AUTHOR,
) -> AuthorRole:
    """The role of an author or participant, checked in this order:

    1. ``attributes[rules.attribute_key]`` naming a role (case-insensitive), when ``writer`` may declare it: the
       integrator always; an author (message attributes, chat participants) any role except that a contact
       address cannot declare itself agent, bot or system;
    2. ``rules.agent_prefixes`` / ``rules.agent_domains`` / ``rules.bot_prefixes`` on the identity
       (case-insensitive);
    3. ``rules.system_identities`` (Twilio authors REST messages as ``system`` by default);
    4. a phone number (E.164, bare or ``whatsapp:``/``messenger:``/``sms:``-prefixed) or an e-mail: customer;
    5. any other chat identity: customer (agents and bots are expected to be named by steps 1-2);
    6. no identity at all: unknown.

    :param identity: Twilio ``Author`` / ``Identity`` / binding address; None or blank when Twilio sent none.
    :param attributes: the participant's or message's parsed ``Attributes``.
    :param rules: the operator's configured prefixes, domains and identities.
    :param writer: who can have written ``attributes``; the default is the cautious one (the author).
    """
    declared = _declared_role(attributes, rules.attribute_key)
    if declared is not None and _may_declare(declared, identity, writer):
        return declared
    if identity is None or not identity.strip():
        return AuthorRole.UNKNOWN
    return _identity_role(identity.strip().casefold(), rules)
