"""resolve_role: the ordered identity → role rule, who may declare a role, and the address helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from cxpulse.settings import RoleRules
from schemas.events import AuthorRole
from schemas.roles import AttributeWriter, address_channel, is_contact_address, resolve_role

RULES = RoleRules()
INTEGRATOR, AUTHOR = AttributeWriter.INTEGRATOR, AttributeWriter.AUTHOR


@pytest.mark.parametrize(
    ("identity", "attributes", "expected"),
    [
        # 1. an explicit role attribute wins, case-insensitively, where its writer may declare it (below)
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
    # none of these turn on who wrote the attributes
    assert resolve_role(identity, attributes, RULES, writer=INTEGRATOR) is expected


CONTACT_ADDRESSES = [
    "+15005550006",
    "whatsapp:+15005550006",
    "sms:+15005550006",
    "messenger:1234567890",
    "jane.doe@example.com",
    "+1 (415) 555-0123",
]


@pytest.mark.parametrize("identity", CONTACT_ADDRESSES)
@pytest.mark.parametrize("declared", ["agent", "BOT", " system "])
def test_a_customer_cannot_declare_itself_business_in_attributes_it_writes(identity: str, declared: str) -> None:
    """A message's attributes (or a chat participant's) are writable by the author: they never vouch for a
    contact address, or a customer could keep their phone number out of pseudonymisation."""
    assert resolve_role(identity, {"role": declared}, RULES, writer=AUTHOR) is AuthorRole.CUSTOMER
    assert resolve_role(identity, {"role": declared}, RULES) is AuthorRole.CUSTOMER  # the default is cautious


@pytest.mark.parametrize("identity", CONTACT_ADDRESSES)
def test_the_integrator_may_declare_a_contact_address_business(identity: str) -> None:
    """Attributes of an SMS/WhatsApp participant can only come from the integrator's REST calls (no SDK
    session): a masked-number agent answering from their own phone is marked there."""
    assert resolve_role(identity, {"role": "agent"}, RULES, writer=INTEGRATOR) is AuthorRole.AGENT


def test_declaring_customer_or_a_chat_identity_role_stays_allowed() -> None:
    # "customer" grants nothing
    assert resolve_role("agent:avery", {"role": "customer"}, RULES, writer=AUTHOR) is AuthorRole.CUSTOMER
    # chat identities keep the integrator's attribute convention (no contact address is at stake)
    assert resolve_role("faq-assistant", {"role": "bot"}, RULES, writer=AUTHOR) is AuthorRole.BOT
    assert resolve_role(None, {"role": "system"}, RULES, writer=AUTHOR) is AuthorRole.SYSTEM


def test_agent_domains_make_work_e_mails_agents_whatever_the_attributes() -> None:
    rules = RoleRules(agent_domains=("acme.com", "@Support.example"))
    assert resolve_role("alice@acme.com", {}, rules) is AuthorRole.AGENT
    assert resolve_role("Alice@EU.Acme.com", {"role": "customer"}, rules) is AuthorRole.CUSTOMER  # declared wins
    assert resolve_role("bob@eu.acme.com", {}, rules) is AuthorRole.AGENT
    assert resolve_role("carol@support.example", {}, rules) is AuthorRole.AGENT
    assert resolve_role("mallory@notacme.com", {"role": "agent"}, rules) is AuthorRole.CUSTOMER
    assert resolve_role("mallory@acme.com.evil.net", {}, rules) is AuthorRole.CUSTOMER
    assert resolve_role("acme.com", {}, rules) is AuthorRole.CUSTOMER  # not an e-mail


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
        ("+1 (415) 555-0123", True),
        ("+44 7400 123.987", True),
        ("agent:avery.lee", False),
        ("+0123", False),
        ("jane-doe-web", False),
        (None, False),
    ],
)
def test_is_contact_address(value: str | None, expected: bool) -> None:
    assert is_contact_address(value) is expected
