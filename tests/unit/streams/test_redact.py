"""Redaction of one event with Presidio's real engine and the offline spaCy model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cxpulse.settings import Settings
from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.redact.agent import redact_batch
from streams.redact.engine import RedactionError, Redactor, pseudonym

SALT = b"test-salt"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(Settings().redaction)


def message(
    body: str, author: str = "+14155550123", role: AuthorRole = AuthorRole.CUSTOMER, **attributes: object
) -> ConversationEvent:
    return ConversationEvent(
        event_id="e1",
        event_type=EventType.MESSAGE_ADDED,
        account_sid="AC" + "0" * 32,
        conversation_sid="CH" + "1" * 32,
        message_sid="IM" + "2" * 32,
        author=author,
        author_role=role,
        body=body,
        attributes=dict(attributes),
        occurred_at=datetime(2026, 11, 25, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("raw", "placeholder"),
    [
        ("call me on +1 415 555 0123 please", "<PHONE_NUMBER>"),
        ("my email is priya.raman@example.com", "<EMAIL_ADDRESS>"),
        ("card 4111 1111 1111 1111 was charged twice", "<CREDIT_CARD>"),
        ("IBAN DE89370400440532013000 for the refund", "<IBAN_CODE>"),
        ("This is Priya Raman from accounting", "<PERSON>"),
    ],
)
def test_body_entities_become_typed_placeholders(redactor: Redactor, raw: str, placeholder: str) -> None:
    redacted = redactor.redact(message(raw))
    assert placeholder in (redacted.body or "")
    assert redacted.redacted


def test_customer_author_is_pseudonymised_stably_and_agents_are_kept(redactor: Redactor) -> None:
    first = redactor.redact(message("hi", author="whatsapp:+14155550123"))
    second = redactor.redact(message("hello again", author="whatsapp:+14155550123"))
    assert first.author == second.author
    assert first.author is not None and first.author.startswith("whatsapp:cust_")
    assert "4155550123" not in first.author
    agent = redactor.redact(message("hi, Sam here", author="agent:sam", role=AuthorRole.AGENT))
    assert agent.author == "agent:sam"


def test_attributes_are_scanned_and_addresses_pseudonymised(redactor: Redactor) -> None:
    event = message(
        "hi",
        messaging_binding={"address": "+14155550123", "proxy_address": "+15005550001"},
        raw_extra={"FriendlyName": "Chat with priya.raman@example.com", "WebhookSid": "WH" + "a" * 32},
    )
    redacted = redactor.redact(event)
    text = redacted.attributes_json()
    assert "4155550123" not in text and "priya.raman@example.com" not in text
    assert redacted.attributes["raw_extra"]["WebhookSid"] == "WH" + "a" * 32
    assert redacted.attributes["redaction"]["entities"]["EMAIL_ADDRESS"] == 1


def test_pseudonym_depends_on_salt_and_ignores_case() -> None:
    assert pseudonym("Jane@Example.com", SALT) == pseudonym("jane@example.com", SALT)
    assert pseudonym("jane@example.com", SALT) != pseudonym("jane@example.com", b"other")


class BrokenRedactor:
    """Stands in for an analyzer that crashes on one message."""

    def redact(self, event: ConversationEvent) -> ConversationEvent:
        if "boom" in (event.body or ""):
            raise RedactionError(f"analysis failed for event {event.event_id}: RuntimeError")
        return event.model_copy(update={"redacted": True})


def test_batch_fails_closed_per_event() -> None:
    good, bad = message("fine"), message("boom").model_copy(update={"event_id": "e2"})
    outcomes = redact_batch(BrokenRedactor(), [(b"k", good.to_json()), (b"k", bad.to_json()), (b"k", b"{oops")])  # type: ignore[arg-type]
    assert outcomes[0].event is not None and outcomes[0].failure is None
    assert outcomes[1].event is None and outcomes[1].event_id == "e2"
    assert "analysis failed" in (outcomes[1].failure or "")
    assert outcomes[2].event is None and (outcomes[2].failure or "").startswith("undecodable")
