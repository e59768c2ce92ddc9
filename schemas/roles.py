"""Who wrote it: map a Twilio identity (or messaging address) to a cxpulse :class:`AuthorRole`.

Response-time metrics hinge on telling customers from agents, so the rule is explicit, ordered and
configurable (:class:`~cxpulse.settings.RoleRules`) instead of being guessed in each stage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cxpulse.settings import RoleRules
from schemas.events import AuthorRole

__all__ = ["ADDRESS_CHANNEL_PREFIXES", "address_channel", "is_contact_address", "resolve_role"]

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
#: Roles an attribute may name explicitly; ``unknown`` is a verdict, not something to declare.
_DECLARABLE_ROLES = frozenset(role.value for role in AuthorRole if role is not AuthorRole.UNKNOWN)


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
    """True for a phone number (E.164, optionally ``whatsapp:``/``messenger:``/``sms:``-prefixed),
    any other channel-prefixed address, or an e-mail address: the outside world, not a chat login."""
    if not value:
        return False
    channel, rest = _strip_channel_prefix(value.strip())
    return channel is not None or bool(_E164.match(rest) or _EMAIL.match(rest))


def _declared_role(attributes: Mapping[str, Any], key: str) -> AuthorRole | None:
    value = attributes.get(key)
    if not isinstance(value, str):
        return None
    folded = value.strip().casefold()
    return AuthorRole(folded) if folded in _DECLARABLE_ROLES else None


def _has_prefix(folded_identity: str, prefixes: tuple[str, ...]) -> bool:
    return any(folded_identity.startswith(prefix.casefold()) for prefix in prefixes)


def resolve_role(identity: str | None, attributes: Mapping[str, Any], rules: RoleRules) -> AuthorRole:
    """The role of an author or participant, checked in this order:

    1. ``attributes[rules.attribute_key]`` naming a role (case-insensitive): the application knows best;
    2. ``rules.agent_prefixes`` / ``rules.bot_prefixes`` on the identity (case-insensitive);
    3. ``rules.system_identities`` (Twilio authors REST messages as ``system`` by default);
    4. a phone number (E.164, bare or ``whatsapp:``/``messenger:``/``sms:``-prefixed) or an e-mail: customer;
    5. any other chat identity: customer (agents and bots are expected to be named by steps 1–2);
    6. no identity at all: unknown.

    :param identity: Twilio ``Author`` / ``Identity`` / binding address; None or blank when Twilio sent none.
    :param attributes: the participant's or message's parsed ``Attributes``.
    :param rules: the operator's configured prefixes and identities.
    """
    declared = _declared_role(attributes, rules.attribute_key)
    if declared is not None:
        return declared
    if identity is None or not identity.strip():
        return AuthorRole.UNKNOWN
    folded = identity.strip().casefold()
    if _has_prefix(folded, rules.agent_prefixes):
        return AuthorRole.AGENT
    if _has_prefix(folded, rules.bot_prefixes):
        return AuthorRole.BOT
    if folded in {name.casefold() for name in rules.system_identities}:
        return AuthorRole.SYSTEM
    # Steps 4 and 5 agree today: contact addresses and unnamed chat identities are both customers.
    return AuthorRole.CUSTOMER
