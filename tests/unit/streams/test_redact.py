"""Redaction of one event with Presidio's real engine and the offline spaCy model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from cxpulse.settings import Settings
from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.redact.agent import redact_batch
from streams.redact.engine import Redacted, RedactionError, Redactor, pseudonym

SALT = b"test-salt"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(Settings().redaction.model_copy(update={"pseudonym_salt": SecretStr(SALT.decode())}))


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


# -- trust nothing the customer controls -------------------------------------------------------------------------


@pytest.mark.parametrize("author", ["+14155550123", "whatsapp:+14155550123", "priya.raman@example.com"])
@pytest.mark.parametrize("role", [AuthorRole.AGENT, AuthorRole.BOT, AuthorRole.SYSTEM])
def test_a_contact_address_author_is_pseudonymised_whatever_the_role(
    redactor: Redactor, author: str, role: AuthorRole
) -> None:
    """Defence in depth behind the role rules: a role can be claimed, the address is still the customer's."""
    redacted = redactor.redact_with_audit(message("hi", author=author, role=role))
    assert redacted.event.author == pseudonym(author, SALT)
    assert "4155550123" not in redacted.event.to_json().decode()
    assert "priya.raman" not in redacted.event.to_json().decode()
    assert "author" in {f.field for f in redacted.audit.findings}


def test_queue_is_scanned_and_ordinary_queue_names_survive(redactor: Redactor) -> None:
    for name in ("billing", "support", "sales", "Support EMEA", "tier-2"):
        assert redactor.redact(message("hi").model_copy(update={"queue": name})).queue == name
    redacted = redactor.redact_with_audit(message("hi").model_copy(update={"queue": "Priya Raman"}))
    assert redacted.event.queue == "<PERSON>"
    assert "queue" in {f.field for f in redacted.audit.findings}


def _nested(depth: int) -> dict[str, object]:
    deep: dict[str, object] = {}
    cursor = deep
    for _ in range(depth - 1):
        child: dict[str, object] = {}
        cursor["a"] = child
        cursor = child
    cursor["leaf"] = "call me on +1 415 555 0123"
    return deep


def test_deep_attributes_fail_closed_for_their_event_only(redactor: Redactor) -> None:
    good = message("call me on +1 415 555 0123")
    deep = message("fine").model_copy(update={"event_id": "deep", "attributes": {"x": _nested(5000)}})
    results = redactor.redact_many([good, deep, good.model_copy(update={"event_id": "e3"})])
    assert isinstance(results[0], Redacted) and isinstance(results[2], Redacted)
    assert "<PHONE_NUMBER>" in (results[2].event.body or "")
    assert isinstance(results[1], RedactionError)
    assert "deep" in str(results[1]) and "deeper than 64 levels" in str(results[1])


def test_deep_attributes_through_the_batch_path(redactor: Redactor) -> None:
    """Records decoded from the raw topic take the same route: only the deep one goes to the DLQ."""
    deep = message("fine").model_copy(update={"event_id": "deep", "attributes": {"x": _nested(100)}})
    ok = message("hi").model_copy(update={"event_id": "ok"})
    outcomes = redact_batch(redactor, [(b"k", deep.to_json()), (b"k", ok.to_json())])
    assert outcomes[0].event is None and outcomes[0].event_id == "deep"
    assert "deeper than" in (outcomes[0].failure or "")
    assert outcomes[1].event is not None and outcomes[1].failure is None


def test_attributes_within_the_limit_are_walked_like_before(redactor: Redactor) -> None:
    event = message(
        "hi",
        nested=_nested(40),
        contacts={"identity": ["+14155550123", "whatsapp:+14155550124"], "notes": ["mail priya.raman@example.com"]},
    )
    redacted = redactor.redact_with_audit(event)
    attributes = redacted.event.attributes
    cursor = attributes["nested"]
    for _ in range(39):
        cursor = cursor["a"]
    assert cursor["leaf"] == "call me on <PHONE_NUMBER>"
    assert all(value.startswith(("cust_", "whatsapp:cust_")) for value in attributes["contacts"]["identity"])
    assert attributes["contacts"]["notes"] == ["mail <EMAIL_ADDRESS>"]
    fields = [f.field for f in redacted.audit.findings]
    assert "attributes.contacts.identity[1]" in fields and "attributes.contacts.notes[0]" in fields


def test_settings_refuse_a_redaction_depth_below_what_the_edge_admits() -> None:
    """An event the edge accepted must never fail closed for its nesting alone."""
    with pytest.raises(ValueError, match="max_attribute_depth"):
        Settings(ingest={"max_json_depth": 40}, redaction={"max_attribute_depth": 39})
    assert Settings(ingest={"max_json_depth": 40}, redaction={"max_attribute_depth": 40})
