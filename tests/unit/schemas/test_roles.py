"""resolve_role: the ordered identity → role rule, and the address helpers it rests on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from cxpulse.settings import RoleRules
from schemas.events import AuthorRole
from schemas.roles import address_channel, is_contact_address, resolve_role

RULES = RoleRules()


@pytest.mark.parametrize(
    ("identity", "attributes", "expected"),
    [
        # 1. an explicit role attribute wins over everything, case-insensitively
        ("whatsapp:+15005550006", {"role": "agent"}, AuthorRole.AGENT),
        ("agent:avery.lee", {"role": "BOT"}, AuthorRole.BOT),
        ("faq-assistant", {"role": " bot "}, AuthorRole.BOT),
        ("system", {"role": "customer"}, AuthorRole.CUSTOMER),
        (None, {"role": "system"}, AuthorRole.SYSTEM),
        # ... but only when it names a role
        ("agent:avery.lee", {"role": "supervisor"}, AuthorRole.AGENT),
        ("agent:avery.lee", {"role": "unknown"}, AuthorRole.AGENT),
        ("agent:avery.lee", {"role": 3}, AuthorRole.AGENT),
        ("agent:avery.lee", {"role": None}, AuthorRole.AGENT),
        # 2. identity prefixes
        ("agent:avery.lee", {}, AuthorRole.AGENT),
        ("agent_avery", {}, AuthorRole.AGENT),
        ("Agent.Avery", {}, AuthorRole.AGENT),
        ("bot:faq", {}, AuthorRole.BOT),
        ("studio:FW0123", {}, AuthorRole.BOT),
        # 3. system identities
        ("system", {}, AuthorRole.SYSTEM),
        ("SYSTEM", {}, AuthorRole.SYSTEM),
        # 4. phone numbers and e-mails are customers
        ("+15005550006", {}, AuthorRole.CUSTOMER),
        ("whatsapp:+15005550006", {}, AuthorRole.CUSTOMER),
        ("messenger:1234567890", {}, AuthorRole.CUSTOMER),
        ("sms:+15005550006", {}, AuthorRole.CUSTOMER),
        ("jane.doe@example.com", {}, AuthorRole.CUSTOMER),
        # 5. any other chat identity is a customer
        ("jane-doe-web", {}, AuthorRole.CUSTOMER),
        ("agentsmith", {}, AuthorRole.CUSTOMER),  # no separator: not an agent prefix
        # 6. nobody
        (None, {}, AuthorRole.UNKNOWN),
        ("", {}, AuthorRole.UNKNOWN),
        ("   ", {}, AuthorRole.UNKNOWN),
    ],
)
def test_resolve_role_default_rules(identity: str | None, attributes: Mapping[str, Any], expected: AuthorRole) -> None:
    assert resolve_role(identity, attributes, RULES) is expected


def test_resolve_role_follows_configured_rules() -> None:
    rules = RoleRules(
        attribute_key="cx_role",
        agent_prefixes=("emp-",),
        bot_prefixes=("ai-",),
        system_identities=("flex-system",),
    )
    assert resolve_role("someone", {"cx_role": "agent"}, rules) is AuthorRole.AGENT
    assert resolve_role("agent:avery", {"role": "bot"}, rules) is AuthorRole.CUSTOMER  # neither rule applies
    assert resolve_role("EMP-42", {}, rules) is AuthorRole.AGENT
    assert resolve_role("ai-triage", {}, rules) is AuthorRole.BOT
    assert resolve_role("flex-system", {}, rules) is AuthorRole.SYSTEM
    assert resolve_role("system", {}, rules) is AuthorRole.CUSTOMER


@pytest.mark.parametrize(
    ("address", "channel"),
    [
        ("whatsapp:+15005550006", "whatsapp"),
        ("WhatsApp:+15005550006", "whatsapp"),
        ("messenger:1234567890", "messenger"),
        ("sms:+15005550006", "sms"),
        ("rcs:+15005550006", "rcs"),
        ("+15005550006", "sms"),
        ("jane.doe@example.com", None),
        ("agent:avery.lee", None),
        ("15005550006", None),
        ("", None),
        (None, None),
    ],
)
def test_address_channel(address: str | None, channel: str | None) -> None:
    assert address_channel(address) == channel


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+15005550006", True),
        ("whatsapp:+15005550006", True),
        ("messenger:1234567890", True),
        ("jane.doe@example.com", True),
        ("agent:avery.lee", False),
        ("+0123", False),
        ("jane-doe-web", False),
        (None, False),
    ],
)
def test_is_contact_address(value: str | None, expected: bool) -> None:
    assert is_contact_address(value) is expected
