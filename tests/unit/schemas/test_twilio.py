"""Twilio → canonical: every contract sample normalises as expected, every broken one fails with its reason.

The samples in ``tests/data/twilio/`` are built from Twilio's published field lists ("Conversations Webhooks"
post-action tables; Event Streams ``com.twilio.conversations.*`` examples and schemas). Webhook samples carry
a real ``X-Twilio-Signature`` for :data:`SAMPLE_WEBHOOK_URL` signed with :data:`SAMPLE_AUTH_TOKEN`, so the
ingest edge can reuse them for signature tests.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from twilio.request_validator import RequestValidator

from cxpulse.settings import RoleRules
from schemas.errors import InvalidEventError, InvalidReason
from schemas.events import AuthorRole, ConversationEvent, EventSource, EventType
from schemas.twilio import (
    CLOUDEVENT_TYPES,
    IDEMPOTENCY_TOKEN_HEADER,
    PRE_ACTION_WEBHOOK_EVENTS,
    SUPPORTED_CLOUDEVENT_TYPES,
    SUPPORTED_WEBHOOK_EVENTS,
    WEBHOOK_EVENT_TYPES,
    InputLimits,
    from_cloudevent,
    from_webhook_form,
    parse_cloudevents_body,
    webhook_event_id,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "twilio"
WEBHOOKS = DATA / "webhooks"
CLOUDEVENTS = DATA / "cloudevents"

#: The URL and auth token the webhook samples' X-Twilio-Signature headers were computed for.
SAMPLE_WEBHOOK_URL = "https://cxpulse.example.com/twilio/conversations"
SAMPLE_AUTH_TOKEN = "cxpulse-sample-auth-token"

RULES = RoleRules()
RECEIVED_AT = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)
DELETE = object()  # a mutation value meaning "remove this field"

ACCOUNT = "ACe268443e43d93dab7ebef303bbe9642f"
CONVERSATION = "CHb24e9760291913eedc16833c977f976f"
SERVICE = "ISaaabf0d39951f3e6c3e8a7911df524c2"
MB_CUSTOMER = "MB015efb7c0ddd7b08590a8c6264efa5c3"
MB_AGENT = "MB26d4967960c8445027f7f39291672001"
MB_SMS = "MB8fc781b178bb3cb35a3ede9d9c8a6a77"
IM_CUSTOMER = "IM7c34161a289cf46cd00bd7b4488cc115"
IM_AGENT = "IM64908b131e768528ee91a235aa9d7ead"
IM_BOT = "IM3305e2ec03fd615496b62a0748b3128c"
IM_SMS = "IM205db654cf99911a0de79ebc21fa8e26"
CUSTOMER_BODY = (
    "Hi, this is Jane Doe (jane.doe@example.com). I was charged twice for order 1234, please call me on +15005550006."
)
AGENT_BODY = "Thanks Jane, I have refunded the duplicate charge on order 1234."
BOT_BODY = "I can help with billing questions. What is your order number?"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def webhook(name: str) -> tuple[dict[str, str], dict[str, str]]:
    sample = load(WEBHOOKS / f"{name}.json")
    return sample["headers"], sample["form"]


def cloudevent(name: str) -> dict[str, Any]:
    return load(CLOUDEVENTS / f"{name}.json")


def mutate(payload: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with fields changed; ``/`` reaches into a nested dict (``data/AccountSid``), since Twilio's own
    form keys contain dots (``MessagingBinding.Address``)."""
    result = json.loads(json.dumps(payload))
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("/")
        target = result
        for parent in parents:
            target = target[parent]
        if value is DELETE:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return result


def normalise_form(form: Mapping[str, str]) -> ConversationEvent:
    return from_webhook_form(form, rules=RULES, received_at=RECEIVED_AT)


def normalise_ce(event: Mapping[str, Any]) -> ConversationEvent:
    return from_cloudevent(event, rules=RULES, received_at=RECEIVED_AT)


class Expected(NamedTuple):
    event_type: EventType
    occurred_at: str
    channel: str = "chat"
    role: AuthorRole = AuthorRole.UNKNOWN
    author: str | None = None
    message_sid: str | None = None
    participant_sid: str | None = None
    body: str | None = None
    index: int | None = None
    queue: str | None = None
    media_count: int = 0
    state: tuple[str | None, str | None, str | None] = (None, None, None)


WA_CUSTOMER = "whatsapp:+15005550006"
AGENT = "agent:avery.lee"
CUSTOMER, AGENT_ROLE, BOT = AuthorRole.CUSTOMER, AuthorRole.AGENT, AuthorRole.BOT
STATE_CHANGE = ("active", "inactive", "TIMER")

# The same story told by both dialects; differences are commented.
CONVERSATION_ADDED = Expected(
    EventType.CONVERSATION_ADDED, "2026-03-14T09:00:00+00:00", "whatsapp", CUSTOMER, WA_CUSTOMER
)
# Source=API is no channel evidence: attributes["channel"] decides.
CONVERSATION_UPDATED = Expected(
    EventType.CONVERSATION_UPDATED, "2026-03-14T09:00:05+00:00", "whatsapp", queue="billing"
)
STATE_UPDATED = Expected(EventType.CONVERSATION_STATE_UPDATED, "2026-03-14T10:00:00+00:00", state=STATE_CHANGE)
CONVERSATION_REMOVED = Expected(EventType.CONVERSATION_REMOVED, "2026-03-20T00:00:00+00:00", queue="billing")
MESSAGE_ADDED = Expected(
    EventType.MESSAGE_ADDED, "2026-03-14T09:00:00.350+00:00", "whatsapp", CUSTOMER, WA_CUSTOMER,
    IM_CUSTOMER, MB_CUSTOMER, CUSTOMER_BODY, index=0, media_count=1,
)  # fmt: skip
MESSAGE_UPDATED = Expected(
    EventType.MESSAGE_UPDATED, "2026-03-14T09:02:30+00:00", "chat", AGENT_ROLE, AGENT,
    IM_AGENT, MB_AGENT, AGENT_BODY, index=2,
)  # fmt: skip
# The role comes from the message's own attributes ({"role": "bot"}), not from the identity.
MESSAGE_REMOVED = Expected(
    EventType.MESSAGE_REMOVED, "2026-03-14T09:03:00+00:00", "chat", BOT, "faq-assistant",
    IM_BOT, None, BOT_BODY, index=1,
)  # fmt: skip
PARTICIPANT_ADDED = Expected(
    EventType.PARTICIPANT_ADDED, "2026-03-14T09:00:00.120+00:00", "whatsapp", CUSTOMER, WA_CUSTOMER,
    participant_sid=MB_CUSTOMER,
)  # fmt: skip
PARTICIPANT_UPDATED = Expected(
    EventType.PARTICIPANT_UPDATED, "2026-03-14T09:01:10+00:00", "chat", AGENT_ROLE, AGENT,
    participant_sid=MB_AGENT, queue="billing",
)  # fmt: skip
PARTICIPANT_REMOVED = Expected(
    EventType.PARTICIPANT_REMOVED, "2026-03-14T09:30:00+00:00", "sms", CUSTOMER, "+15005550009",
    participant_sid=MB_SMS,
)  # fmt: skip
# No channel clue in a delivery receipt: the default applies.
DELIVERY_UPDATED = Expected(
    EventType.DELIVERY_UPDATED, "2026-03-14T09:06:02+00:00", message_sid=IM_SMS, participant_sid=MB_SMS
)

WEBHOOK_CASES: dict[str, Expected] = {
    "onConversationAdded": CONVERSATION_ADDED,
    "onConversationUpdated": CONVERSATION_UPDATED,
    "onConversationStateUpdated": STATE_UPDATED,
    "onConversationRemoved": CONVERSATION_REMOVED,
    "onMessageAdded": MESSAGE_ADDED,
    "onMessageUpdated": MESSAGE_UPDATED,
    "onMessageRemoved": MESSAGE_REMOVED,
    "onParticipantAdded": PARTICIPANT_ADDED,
    "onParticipantUpdated": PARTICIPANT_UPDATED,
    "onParticipantRemoved": PARTICIPANT_REMOVED,
    "onDeliveryUpdated": DELIVERY_UPDATED,
}
CLOUDEVENT_CASES: dict[str, Expected] = {
    # Event Streams' conversation.added also carries the first message's MessageBody and Media.
    "conversation.added": CONVERSATION_ADDED._replace(body=CUSTOMER_BODY, media_count=1),
    "conversation.updated": CONVERSATION_UPDATED,
    "conversation-state.updated": STATE_UPDATED,
    "conversation.removed": CONVERSATION_REMOVED,  # no DateRemoved in the data: DateUpdated
    "message.added": MESSAGE_ADDED,
    "message.updated": MESSAGE_UPDATED,
    "message.removed": MESSAGE_REMOVED,
    "participant.added": PARTICIPANT_ADDED,
    "participant.updated": PARTICIPANT_UPDATED,
    "participant.removed": PARTICIPANT_REMOVED,
    "delivery.updated": DELIVERY_UPDATED,
}


def assert_matches(event: ConversationEvent, expected: Expected) -> None:
    assert event.event_type is expected.event_type
    assert event.account_sid == ACCOUNT
    assert event.conversation_sid == CONVERSATION
    assert event.message_sid == expected.message_sid
    assert event.participant_sid == expected.participant_sid
    assert event.author == expected.author
    assert event.author_role is expected.role
    assert event.channel == expected.channel
    assert event.occurred_at == ts(expected.occurred_at)
    assert event.occurred_at.tzinfo is UTC
    assert event.body == expected.body
    assert event.index == expected.index
    assert event.queue == expected.queue
    assert event.media_count == expected.media_count
    assert (event.state_from, event.state_to, event.reason) == expected.state
    assert event.received_at == RECEIVED_AT
    assert event.redacted is False


# --------------------------------------------------------------------------------------------------------
# Samples
# --------------------------------------------------------------------------------------------------------


def test_every_supported_type_has_exactly_one_sample() -> None:
    assert {path.stem for path in WEBHOOKS.glob("*.json")} == set(SUPPORTED_WEBHOOK_EVENTS) == set(WEBHOOK_CASES)
    types = {load(path)["type"] for path in CLOUDEVENTS.glob("*.json")}
    assert types == set(SUPPORTED_CLOUDEVENT_TYPES)
    assert {path.stem for path in CLOUDEVENTS.glob("*.json")} == set(CLOUDEVENT_CASES)


def test_both_dialects_cover_every_canonical_type() -> None:
    assert set(WEBHOOK_EVENT_TYPES.values()) == set(EventType)
    assert set(CLOUDEVENT_TYPES.values()) == set(EventType)


@pytest.mark.parametrize("name", sorted(WEBHOOK_CASES))
def test_webhook_sample_normalises(name: str) -> None:
    headers, form = webhook(name)
    event = normalise_form(form)
    assert_matches(event, WEBHOOK_CASES[name])
    assert event.event_id == webhook_event_id(form)
    assert headers[IDEMPOTENCY_TOKEN_HEADER] not in event.event_id, "the unsigned token must not name the event"
    assert event.source is EventSource.WEBHOOK
    assert event.chat_service_sid == (SERVICE if "ChatServiceSid" in form else None)


@pytest.mark.parametrize("name", sorted(CLOUDEVENT_CASES))
def test_cloudevent_sample_normalises(name: str) -> None:
    sample = cloudevent(name)
    event = normalise_ce(sample)
    assert_matches(event, CLOUDEVENT_CASES[name])
    assert event.event_id == sample["id"]
    assert event.source is EventSource.EVENT_STREAMS


@pytest.mark.parametrize("name", sorted(WEBHOOK_CASES))
def test_webhook_samples_carry_a_valid_twilio_signature(name: str) -> None:
    headers, form = webhook(name)
    validator = RequestValidator(SAMPLE_AUTH_TOKEN)
    assert validator.validate(SAMPLE_WEBHOOK_URL, form, headers["X-Twilio-Signature"])


def test_webhook_details_land_in_named_attributes() -> None:
    _, form = webhook("onParticipantRemoved")
    attributes = normalise_form(form).attributes
    assert attributes["messaging_binding"] == {
        "address": "+15005550009",
        "proxy_address": "+15005550001",
        "type": "SMS",
    }
    _, form = webhook("onDeliveryUpdated")
    attributes = normalise_form(form).attributes
    assert attributes["delivery"] == {
        "receipt_sid": form["DeliveryReceiptSid"],
        "channel_message_sid": form["ChannelMessageSid"],
        "status": "delivered",
        "error_code": 0,
    }


def test_cloudevent_nested_binding_matches_the_webhook_shape() -> None:
    _, form = webhook("onParticipantAdded")
    from_form = normalise_form(form).attributes["messaging_binding"]
    from_ce = normalise_ce(cloudevent("participant.added")).attributes["messaging_binding"]
    assert (
        from_form
        == from_ce
        == {
            "address": "whatsapp:+15005550006",
            "proxy_address": "whatsapp:+15005550001",
            "type": "WHATSAPP",
        }
    )


# --------------------------------------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------------------------------------

AC_OK = "AC" + "0" * 32
WEBHOOK_MUTATIONS = [
    # (sample, changes, reason, field)
    ("onMessageAdded", {"AccountSid": DELETE}, InvalidReason.MISSING_FIELD, "AccountSid"),
    ("onMessageAdded", {"AccountSid": ""}, InvalidReason.MISSING_FIELD, "AccountSid"),
    ("onConversationAdded", {"ConversationSid": DELETE}, InvalidReason.MISSING_FIELD, "ConversationSid"),
    ("onMessageAdded", {"MessageSid": DELETE}, InvalidReason.MISSING_FIELD, "MessageSid"),
    ("onDeliveryUpdated", {"MessageSid": DELETE}, InvalidReason.MISSING_FIELD, "MessageSid"),
    ("onParticipantAdded", {"ParticipantSid": DELETE}, InvalidReason.MISSING_FIELD, "ParticipantSid"),
    ("onMessageAdded", {"EventType": DELETE}, InvalidReason.MISSING_FIELD, "EventType"),
    ("onMessageAdded", {"AccountSid": "XX" + AC_OK[2:]}, InvalidReason.BAD_SID, "AccountSid"),
    ("onMessageAdded", {"AccountSid": "ac" + AC_OK[2:]}, InvalidReason.BAD_SID, "AccountSid"),
    ("onMessageAdded", {"AccountSid": "AC"}, InvalidReason.BAD_SID, "AccountSid"),
    ("onMessageAdded", {"AccountSid": AC_OK + " "}, InvalidReason.BAD_SID, "AccountSid"),
    ("onMessageAdded", {"ConversationSid": IM_CUSTOMER}, InvalidReason.BAD_SID, "ConversationSid"),
    ("onMessageAdded", {"MessageSid": CONVERSATION}, InvalidReason.BAD_SID, "MessageSid"),
    ("onMessageAdded", {"ParticipantSid": "US" + "0" * 32}, InvalidReason.BAD_SID, "ParticipantSid"),
    ("onMessageAdded", {"ChatServiceSid": "CH" + "0" * 32}, InvalidReason.BAD_SID, "ChatServiceSid"),
    ("onMessageAdded", {"DateCreated": "yesterday"}, InvalidReason.BAD_TIMESTAMP, "DateCreated"),
    ("onMessageUpdated", {"DateUpdated": "2026-13-45T00:00:00Z"}, InvalidReason.BAD_TIMESTAMP, "DateUpdated"),
    ("onConversationStateUpdated", {"StateUpdated": "noon"}, InvalidReason.BAD_TIMESTAMP, "StateUpdated"),
    ("onMessageAdded", {"Index": "ten"}, InvalidReason.BAD_VALUE, "Index"),
    ("onMessageAdded", {"Index": "-1"}, InvalidReason.BAD_VALUE, "Index"),
    # beyond any index Twilio can send, and beyond the UInt32 column that stores it (it stopped a sink once)
    ("onMessageAdded", {"Index": "4294967296"}, InvalidReason.BAD_VALUE, "Index"),
    ("onMessageAdded", {"Index": "1" * 40}, InvalidReason.BAD_VALUE, "Index"),
    ("onMessageAdded", {"EventType": "onUserAdded"}, InvalidReason.UNKNOWN_EVENT_TYPE, "EventType"),
    ("onMessageAdded", {"EventType": "onMessageSent"}, InvalidReason.UNKNOWN_EVENT_TYPE, "EventType"),
    ("onMessageAdded", {"EventType": "onMessageAdd"}, InvalidReason.PRE_ACTION_WEBHOOK, "EventType"),
    ("onConversationAdded", {"EventType": "onConversationAdd"}, InvalidReason.PRE_ACTION_WEBHOOK, "EventType"),
    ("onParticipantUpdated", {"EventType": "onParticipantUpdate"}, InvalidReason.PRE_ACTION_WEBHOOK, "EventType"),
]


@pytest.mark.parametrize(("name", "changes", "reason", "field"), WEBHOOK_MUTATIONS)
def test_broken_webhook_is_rejected_with_reason(
    name: str, changes: Mapping[str, Any], reason: InvalidReason, field: str
) -> None:
    _, form = webhook(name)
    with pytest.raises(InvalidEventError) as caught:
        normalise_form(mutate(form, changes))
    assert caught.value.reason is reason
    assert caught.value.field == field
    assert field in str(caught.value)


CLOUDEVENT_MUTATIONS = [
    ("message.added", {"type": "com.twilio.conversations.user.added"}, InvalidReason.UNKNOWN_EVENT_TYPE, "type"),
    ("message.added", {"type": "com.twilio.messaging.message.sent"}, InvalidReason.UNKNOWN_EVENT_TYPE, "type"),
    ("message.added", {"type": DELETE}, InvalidReason.MISSING_FIELD, "type"),
    ("message.added", {"id": DELETE}, InvalidReason.MISSING_FIELD, "id"),
    ("message.added", {"id": 42}, InvalidReason.BAD_VALUE, "id"),
    ("message.added", {"data": DELETE}, InvalidReason.MISSING_FIELD, "data"),
    ("message.added", {"data": [1, 2]}, InvalidReason.BAD_VALUE, "data"),
    ("message.added", {"data": "{not json"}, InvalidReason.BAD_VALUE, "data"),
    ("message.added", {"data/AccountSid": DELETE}, InvalidReason.MISSING_FIELD, "AccountSid"),
    ("message.added", {"data/MessageSid": "SM" + "0" * 32}, InvalidReason.BAD_SID, "MessageSid"),
    ("participant.added", {"data/ParticipantSid": DELETE}, InvalidReason.MISSING_FIELD, "ParticipantSid"),
    ("message.added", {"data/DateCreated": "01/02/2026"}, InvalidReason.BAD_TIMESTAMP, "DateCreated"),
    ("message.added", {"data/Index": -3}, InvalidReason.BAD_VALUE, "Index"),
    ("message.added", {"data/Index": True}, InvalidReason.BAD_VALUE, "Index"),
    ("message.added", {"data/Index": 2**32}, InvalidReason.BAD_VALUE, "Index"),
    ("message.added", {"data/MessageBody": {"text": "hi"}}, InvalidReason.BAD_VALUE, "MessageBody"),
    # `time` is only consulted when data has no timestamp; then a bad one is fatal
    ("message.updated", {"data/DateUpdated": DELETE, "time": "soon"}, InvalidReason.BAD_TIMESTAMP, "time"),
]


@pytest.mark.parametrize(("name", "changes", "reason", "field"), CLOUDEVENT_MUTATIONS)
def test_broken_cloudevent_is_rejected_with_reason(
    name: str, changes: Mapping[str, Any], reason: InvalidReason, field: str
) -> None:
    with pytest.raises(InvalidEventError) as caught:
        normalise_ce(mutate(cloudevent(name), changes))
    assert caught.value.reason is reason
    assert caught.value.field == field


def test_cloudevent_must_be_an_object() -> None:
    with pytest.raises(InvalidEventError) as caught:
        from_cloudevent(["not", "an", "event"], rules=RULES)  # type: ignore[arg-type]
    assert caught.value.reason is InvalidReason.BAD_VALUE


def test_unknown_type_message_lists_what_is_supported() -> None:
    _, form = webhook("onMessageAdded")
    with pytest.raises(InvalidEventError) as caught:
        normalise_form({**form, "EventType": "onUserAdded"})
    assert all(name in str(caught.value) for name in SUPPORTED_WEBHOOK_EVENTS)
    with pytest.raises(InvalidEventError) as caught:
        normalise_ce({**cloudevent("message.added"), "type": "com.twilio.conversations.user.updated"})
    assert all(name in str(caught.value) for name in SUPPORTED_CLOUDEVENT_TYPES)


@pytest.mark.parametrize(("pre", "post"), sorted(PRE_ACTION_WEBHOOK_EVENTS.items()))
def test_pre_action_webhooks_point_to_their_post_action_twin(pre: str, post: str) -> None:
    _, form = webhook("onMessageAdded")
    with pytest.raises(InvalidEventError) as caught:
        normalise_form({**form, "EventType": pre})
    assert caught.value.reason is InvalidReason.PRE_ACTION_WEBHOOK
    assert (post in str(caught.value)) is (post in SUPPORTED_WEBHOOK_EVENTS)


def test_error_message_does_not_echo_long_input() -> None:
    _, form = webhook("onMessageAdded")
    with pytest.raises(InvalidEventError) as caught:
        normalise_form({**form, "AccountSid": "XX" + "9" * 5000})
    assert len(str(caught.value)) < 200


def test_error_is_str_dict_and_picklable() -> None:
    _, form = webhook("onMessageAdded")
    with pytest.raises(InvalidEventError) as caught:
        normalise_form(mutate(form, {"ConversationSid": DELETE}))
    error = caught.value
    assert str(error) == "ConversationSid is required for onMessageAdded but is missing"
    assert error.to_dict() == {"reason": "missing_field", "field": "ConversationSid", "message": str(error)}
    assert error.reason == "missing_field"
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.reason, clone.field, str(clone)) == (error.reason, error.field, str(error))


# --------------------------------------------------------------------------------------------------------
# Event Streams bodies
# --------------------------------------------------------------------------------------------------------


def test_parse_cloudevents_body_accepts_an_array_or_one_object() -> None:
    events = [cloudevent("message.added"), cloudevent("participant.added")]
    assert parse_cloudevents_body(json.dumps(events).encode()) == events
    assert parse_cloudevents_body(json.dumps(events[0]).encode()) == [events[0]]
    assert parse_cloudevents_body(b"[]") == []


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (b"", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"42", "number"),
        (b'"a string"', "string"),
        (b"null", "null"),
        (b'[{"type": "x"}, 3]', "body[1]"),
        (b'[{"type": "x"}, ["nested"]]', "body[1]"),
    ],
)
def test_parse_cloudevents_body_rejects_malformed(body: bytes, mentions: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_cloudevents_body(body)
    assert caught.value.reason is InvalidReason.MALFORMED_BODY
    assert mentions in str(caught.value)


# --------------------------------------------------------------------------------------------------------
# Nothing dropped, stable ids, both body spellings
# --------------------------------------------------------------------------------------------------------


def test_unknown_webhook_fields_are_kept_in_raw_extra() -> None:
    _, form = webhook("onMessageAdded")
    event = normalise_form({**form, "BrandNewTwilioField": "value", "Timers.Inactive": "PT5M"})
    raw_extra = event.attributes["raw_extra"]
    assert raw_extra["BrandNewTwilioField"] == "value"
    assert raw_extra["Timers.Inactive"] == "PT5M"
    # protocol noise is kept too, and the media details we only count
    assert raw_extra["RetryCount"] == "0"
    assert raw_extra["WebhookSid"] == form["WebhookSid"]
    assert raw_extra["Media"] == json.loads(form["Media"])
    # mapped fields are not duplicated there
    assert not {"Body", "Author", "AccountSid", "Index", "DateCreated", "Attributes"} & set(raw_extra)


def test_unknown_cloudevent_attributes_and_data_fields_are_kept() -> None:
    sample = mutate(
        cloudevent("message.updated"),
        {"traceparent": "00-abc-def-01", "data/MessageSubject": "Refund", "data/ContentSid": "HX" + "1" * 32},
    )
    raw_extra = normalise_ce(sample).attributes["raw_extra"]
    assert raw_extra["ce.traceparent"] == "00-abc-def-01"
    assert raw_extra["ce.source"] == sample["source"]
    assert raw_extra["ce.dataschema"] == sample["dataschema"]
    assert raw_extra["ce.time"] == sample["time"]  # not needed for occurred_at, so kept
    assert raw_extra["MessageSubject"] == "Refund"
    assert raw_extra["ContentSid"] == "HX" + "1" * 32
    assert "ce.specversion" not in raw_extra and "ce.datacontenttype" not in raw_extra


#: The natural key's resource SID field per once-in-a-lifetime webhook (docs/security-notes-twilio.md).
ONCE_PER_RESOURCE = {
    "onConversationAdded": "ConversationSid",
    "onConversationRemoved": "ConversationSid",
    "onMessageAdded": "MessageSid",
    "onMessageRemoved": "MessageSid",
    "onParticipantAdded": "ParticipantSid",
    "onParticipantRemoved": "ParticipantSid",
}
#: Updates: the resource SID field and the timestamp that dates them.
UPDATES = {
    "onConversationUpdated": ("ConversationSid", "DateUpdated"),
    "onConversationStateUpdated": ("ConversationSid", "StateUpdated"),
    "onMessageUpdated": ("MessageSid", "DateUpdated"),
    "onParticipantUpdated": ("ParticipantSid", "DateUpdated"),
    "onDeliveryUpdated": ("MessageSid", "DateUpdated"),
}


def test_every_webhook_type_has_a_documented_natural_key() -> None:
    assert set(ONCE_PER_RESOURCE) | set(UPDATES) == set(SUPPORTED_WEBHOOK_EVENTS)


@pytest.mark.parametrize("name", sorted(ONCE_PER_RESOURCE))
def test_added_and_removed_events_are_named_by_type_and_resource_sid(name: str) -> None:
    """A SID is added and removed once: a replay, a retry or a second webhook of it is the same event."""
    _, form = webhook(name)
    event = normalise_form(form)
    assert event.event_id == f"{event.event_type.value}:{form[ONCE_PER_RESOURCE[name]]}"
    replayed = normalise_form({**form, "RetryCount": "3", "Attributes": '{"changed": true}'})
    assert replayed.event_id == event.event_id


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_an_update_is_named_by_resource_timestamp_and_content(name: str) -> None:
    _, form = webhook(name)
    sid_field, stamp_field = UPDATES[name]
    event = normalise_form(form)
    prefix = f"{event.event_type.value}:{form[sid_field]}:"
    assert event.event_id.startswith(prefix)
    stamp, digest = event.event_id.removeprefix(prefix).rsplit(":", 1)
    assert ts(stamp) == ts(form[stamp_field])
    assert len(digest) == 32 and int(digest, 16) >= 0
    # Twilio's retry (RetryCount) and any field order: the same event
    assert normalise_form({**form, "RetryCount": "2"}).event_id == event.event_id
    assert normalise_form(dict(reversed(list(form.items())))).event_id == event.event_id
    # the same resource updated later, or again within the same second with other content: distinct events
    later = normalise_form({**form, stamp_field: "2026-03-14T09:09:09.000Z"})
    same_second = normalise_form({**form, "Attributes": '{"second": "update"}'})
    assert len({event.event_id, later.event_id, same_second.event_id}) == 3


def test_two_edits_of_one_message_stay_two_events() -> None:
    _, form = webhook("onMessageUpdated")
    first = normalise_form({**form, "Body": "first edit", "DateUpdated": "2026-03-14T09:02:30.000Z"})
    second = normalise_form({**form, "Body": "second edit", "DateUpdated": "2026-03-14T09:02:45.000Z"})
    assert first.event_id != second.event_id
    assert first.message_sid == second.message_sid


def test_an_update_without_a_timestamp_is_still_named_by_its_content() -> None:
    _, form = webhook("onParticipantUpdated")
    undated = {k: v for k, v in form.items() if k != "DateUpdated"}
    event = normalise_form(undated)
    assert event.event_id.count(":") == 2  # <type>:<sid>:<digest>: received_at is never part of a key
    assert normalise_form(undated).event_id == event.event_id


def test_webhook_event_id_applies_the_normaliser_rules() -> None:
    _, form = webhook("onMessageUpdated")
    with pytest.raises(InvalidEventError) as missing:
        webhook_event_id({k: v for k, v in form.items() if k != "MessageSid"})
    assert missing.value.reason is InvalidReason.MISSING_FIELD
    with pytest.raises(InvalidEventError) as garbage:
        webhook_event_id({**form, "DateUpdated": "yesterday-ish"})
    assert garbage.value.reason is InvalidReason.BAD_TIMESTAMP


@pytest.mark.parametrize(
    ("changes", "body", "kept"),
    [
        ({"Body": DELETE, "MessageBody": "from MessageBody"}, "from MessageBody", None),
        ({"MessageBody": "the other one"}, CUSTOMER_BODY, "the other one"),
        ({"Body": "", "MessageBody": "fallback"}, "fallback", None),
        ({"Body": DELETE}, None, None),
    ],
)
def test_webhook_body_and_message_body_both_map(changes: Mapping[str, Any], body: str | None, kept: str | None) -> None:
    _, form = webhook("onMessageAdded")
    event = normalise_form(mutate(form, changes))
    assert event.body == body
    assert event.attributes["raw_extra"].get("MessageBody") == kept


def test_cloudevent_body_and_message_body_both_map() -> None:
    sample = cloudevent("message.added")
    assert normalise_ce(sample).body == CUSTOMER_BODY
    renamed = mutate(sample, {"data/MessageBody": DELETE, "data/Body": "as Body"})
    assert normalise_ce(renamed).body == "as Body"


# --------------------------------------------------------------------------------------------------------
# Tolerance
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("{not json", "Attributes is not valid JSON"),
        ("[1, 2]", "Attributes must be a JSON object, got a JSON array"),
        ('"just text"', "Attributes must be a JSON object, got a JSON string"),
    ],
)
def test_bad_attributes_are_kept_not_fatal(raw: str, error: str) -> None:
    _, form = webhook("onMessageAdded")
    event = normalise_form({**form, "Attributes": raw})
    assert event.attributes["raw_attributes"] == raw
    assert event.attributes["attributes_error"].startswith(error)
    assert event.author_role is AuthorRole.CUSTOMER  # the rest still normalises


@pytest.mark.parametrize("raw", ["{}", "null", ""])
def test_empty_attributes_add_nothing(raw: str) -> None:
    _, form = webhook("onMessageAdded")
    attributes = normalise_form({**form, "Attributes": raw}).attributes
    assert set(attributes) == {"raw_extra"}


@pytest.mark.parametrize("raw", [0, [1, 2], True])
def test_cloudevent_non_object_attributes_are_kept_as_they_came(raw: Any) -> None:
    event = normalise_ce(mutate(cloudevent("participant.updated"), {"data/Attributes": raw}))
    assert event.attributes["raw_attributes"] == raw
    assert event.attributes["attributes_error"].startswith("Attributes must be a JSON object")
    assert event.author_role is AuthorRole.AGENT  # the agent: prefix still applies


def test_cloudevent_attributes_may_be_an_object_or_a_json_string() -> None:
    sample = cloudevent("participant.updated")
    as_string = mutate(sample, {"data/Attributes": json.dumps(sample["data"]["Attributes"])})
    assert normalise_ce(sample).attributes == normalise_ce(as_string).attributes


def test_reserved_attribute_names_cannot_be_spoofed() -> None:
    _, form = webhook("onMessageAdded")
    attributes = json.dumps({"raw_extra": "mine", "occurred_at_source": "mine", "intent": "refund"})
    event = normalise_form({**form, "Attributes": attributes})
    assert event.attributes["intent"] == "refund"
    assert "occurred_at_source" not in event.attributes
    assert event.attributes["raw_extra"]["Attributes.raw_extra"] == "mine"
    assert event.attributes["raw_extra"]["Attributes.occurred_at_source"] == "mine"


@pytest.mark.parametrize(
    ("media", "count", "error"),
    [("[]", 0, None), ('[{"Sid": "ME1"}, {"Sid": "ME2"}]', 2, None), ("[broken", 0, "Media is not valid JSON")],
)
def test_media_is_counted_never_fetched(media: str, count: int, error: str | None) -> None:
    _, form = webhook("onMessageAdded")
    event = normalise_form({**form, "Media": media})
    assert event.media_count == count
    media_error = event.attributes.get("media_error")
    assert (media_error is None) if error is None else media_error.startswith(error)


def test_sid_length_is_tolerated_prefix_is_not() -> None:
    # Twilio's own published examples use 33-character account SIDs.
    _, form = webhook("onMessageAdded")
    short = {**form, "AccountSid": "ACe95cfd541a925a3337fec19a0200009", "ConversationSid": "CH1"}
    event = normalise_form(short)
    assert (event.account_sid, event.conversation_sid) == (short["AccountSid"], "CH1")


def test_missing_timestamp_falls_back_to_received_at() -> None:
    _, form = webhook("onMessageAdded")
    event = normalise_form(mutate(form, {"DateCreated": DELETE}))
    assert event.occurred_at == RECEIVED_AT
    assert event.attributes["occurred_at_source"] == "received_at"


def test_received_at_defaults_to_now() -> None:
    _, form = webhook("onMessageAdded")
    before = datetime.now(UTC)
    event = from_webhook_form(form, rules=RULES)
    assert before <= event.received_at <= datetime.now(UTC)


def test_updated_event_never_takes_its_creation_time() -> None:
    _, form = webhook("onMessageUpdated")
    event = normalise_form(mutate(form, {"DateUpdated": DELETE}))
    assert event.occurred_at == RECEIVED_AT
    assert event.attributes["raw_extra"]["DateCreated"] == form["DateCreated"]


def test_removed_event_prefers_date_removed_then_date_updated() -> None:
    _, form = webhook("onMessageRemoved")
    assert normalise_form(form).occurred_at == ts(form["DateRemoved"])
    event = normalise_form(mutate(form, {"DateRemoved": DELETE}))
    assert event.occurred_at == ts(form["DateUpdated"])
    assert event.attributes["occurred_at_source"] == "DateUpdated"


@pytest.mark.parametrize(
    ("changes", "occurred_at", "source"),
    [
        # data timestamps first; the quirky timestamp in datacontenttype is then kept in raw_extra
        ({}, "2026-03-14T09:00:00.350+00:00", None),
        # then `time`
        ({"data/DateCreated": DELETE, "time": "2026-03-14T09:00:00.500Z"}, "2026-03-14T09:00:00.500+00:00", "time"),
        # then a timestamp found in datacontenttype (Twilio's published examples put it there)
        ({"data/DateCreated": DELETE}, "2026-03-14T09:00:00.520+00:00", "datacontenttype"),
        # a real media type there is no time: received_at
        ({"data/DateCreated": DELETE, "datacontenttype": "application/json"}, None, "received_at"),
    ],
)
def test_cloudevent_occurred_at_fallbacks(
    changes: Mapping[str, Any], occurred_at: str | None, source: str | None
) -> None:
    event = normalise_ce(mutate(cloudevent("message.added"), changes))
    assert event.occurred_at == (ts(occurred_at) if occurred_at else RECEIVED_AT)
    assert event.attributes.get("occurred_at_source") == source


def test_cloudevent_tolerates_missing_specversion_and_string_data() -> None:
    sample = cloudevent("message.added")
    relaxed = mutate(sample, {"specversion": DELETE, "data": json.dumps(sample["data"])})
    assert normalise_ce(relaxed).message_sid == IM_CUSTOMER
    odd = normalise_ce(mutate(sample, {"specversion": "0.3"}))
    assert odd.attributes["raw_extra"]["ce.specversion"] == "0.3"


# --------------------------------------------------------------------------------------------------------
# Channel and role rules
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "channel"),
    [
        ({}, "whatsapp"),  # Source=WHATSAPP
        ({"Source": "SMS", "Author": "+15005550006"}, "sms"),
        ({"Source": "MESSENGER"}, "messenger"),
        ({"Source": "SDK"}, "chat"),
        ({"Source": "CHAT"}, "chat"),
        ({"Source": "Email"}, "email"),
        ({"Source": "INSTAGRAM"}, "whatsapp"),  # not a known channel: refused, the author's prefix decides
        ({"Source": "API"}, "whatsapp"),  # origin only: the author's whatsapp: prefix decides
        ({"Source": DELETE, "Author": "+15005550006"}, "sms"),  # a bare E.164 number is SMS
        ({"Source": DELETE, "Author": "messenger:1234567890"}, "messenger"),
        ({"Source": DELETE, "Author": "jane-web", "Attributes": '{"channel": "WhatsApp"}'}, "whatsapp"),
        ({"Source": "API", "Author": "agent:avery.lee"}, "chat"),  # no clue at all: the default
    ],
)
def test_message_channel_resolution(changes: Mapping[str, Any], channel: str) -> None:
    _, form = webhook("onMessageAdded")
    assert normalise_form(mutate(form, changes)).channel == channel


def test_participant_channel_comes_from_the_binding_type() -> None:
    _, form = webhook("onParticipantRemoved")
    assert normalise_form(form).channel == "sms"
    assert normalise_form({**form, "MessagingBinding.Type": "WHATSAPP"}).channel == "whatsapp"


@pytest.mark.parametrize(
    ("sample", "changes", "author", "role"),
    [
        # the participant's identity wins over its address
        ("onParticipantAdded", {"Identity": "agent:kim"}, "agent:kim", AuthorRole.AGENT),
        # participant attributes may declare the role
        ("onParticipantAdded", {"Attributes": '{"role": "bot"}'}, "whatsapp:+15005550006", AuthorRole.BOT),
        # Twilio's default author for REST-sent messages
        ("onMessageAdded", {"Author": "system"}, "system", AuthorRole.SYSTEM),
        ("onMessageAdded", {"Author": DELETE}, None, AuthorRole.UNKNOWN),
        # conversation events: the SDK actor, then the Group MMS author address, then the binding address
        ("onConversationAdded", {"ClientIdentity": "agent:kim"}, "agent:kim", AuthorRole.AGENT),
        (
            "onConversationAdded",
            {"MessagingBinding.AuthorAddress": "+15005550007"},
            "+15005550007",
            AuthorRole.CUSTOMER,
        ),
        # conversation attributes never decide an author's role
        ("onConversationAdded", {"Attributes": '{"role": "agent"}'}, "whatsapp:+15005550006", AuthorRole.CUSTOMER),
    ],
)
def test_author_and_role(sample: str, changes: Mapping[str, Any], author: str | None, role: AuthorRole) -> None:
    _, form = webhook(sample)
    event = normalise_form(mutate(form, changes))
    assert (event.author, event.author_role) == (author, role)


def test_source_parameter_is_passed_through() -> None:
    _, form = webhook("onMessageAdded")
    event = from_webhook_form(form, rules=RULES, received_at=RECEIVED_AT, source=EventSource.BACKFILL)
    assert event.source is EventSource.BACKFILL


# --------------------------------------------------------------------------------------------------------
# Trust nothing the customer controls: roles, unscanned fields, nesting
# --------------------------------------------------------------------------------------------------------

PHONE = "+14155550142"


@pytest.mark.parametrize("author", [PHONE, "whatsapp:+14155550142", "jane.doe@example.com"])
def test_a_customer_message_cannot_claim_to_be_an_agent(author: str) -> None:
    """Message attributes are written by the message's author (any SDK client): ``{"role": "agent"}`` on a
    contact address must not keep that address out of pseudonymisation."""
    _, form = webhook("onMessageAdded")
    event = normalise_form({**form, "Author": author, "Attributes": '{"role": "agent"}'})
    assert (event.author, event.author_role) == (author, AuthorRole.CUSTOMER)
    assert event.attributes["role"] == "agent"  # kept (and scanned) like any attribute


def test_chat_participant_attributes_cannot_vouch_for_a_contact_address_but_the_integrators_can() -> None:
    _, form = webhook("onParticipantAdded")
    declared = '{"role": "agent"}'
    # a chat participant (Identity) can edit its own participant attributes from the SDK
    chat = normalise_form({**form, "Identity": "jane.doe@example.com", "Attributes": declared})
    assert chat.author_role is AuthorRole.CUSTOMER
    # an SMS/WhatsApp participant has no SDK session: only the integrator (REST) wrote these
    bound = normalise_form({**form, "Attributes": declared})
    assert (bound.author, bound.author_role) == ("whatsapp:+15005550006", AuthorRole.AGENT)


def test_agent_domains_name_e_mail_agents() -> None:
    _, form = webhook("onMessageAdded")
    rules = RoleRules(agent_domains=("acme.com",))
    event = from_webhook_form({**form, "Author": "alice@acme.com"}, rules=rules)
    assert event.author_role is AuthorRole.AGENT


@pytest.mark.parametrize(
    ("changes", "channel", "refused"),
    [
        ({"Source": "kavya@example.com"}, "whatsapp", ["Source"]),
        ({"Source": DELETE, "Author": "jane-web", "Attributes": '{"channel": "+14155550142"}'}, "chat",
         ["Attributes.channel"]),
        ({"Source": "GBM", "Author": "jane-web", "Attributes": '{"channel": "Priya Raman"}'}, "chat",
         ["Source", "Attributes.channel"]),
    ],
)  # fmt: skip
def test_channel_only_ever_holds_a_known_slug(changes: Mapping[str, Any], channel: str, refused: list[str]) -> None:
    _, form = webhook("onMessageAdded")
    event = normalise_form(mutate(form, changes))
    assert event.channel == channel
    assert event.attributes["refused_fields"] == {"channel": refused}
    # nothing is lost: the refused values stay where they came from, which the redactor scans
    text = event.attributes_json()
    for value in (changes.get("Source"), json.loads(changes.get("Attributes", "{}")).get("channel")):
        if isinstance(value, str):
            assert value in text


def test_configured_channels_are_known() -> None:
    _, form = webhook("onMessageAdded")
    limits = InputLimits(channels=InputLimits().channels | {"instagram"})
    event = from_webhook_form({**form, "Source": "INSTAGRAM"}, rules=RULES, limits=limits)
    assert event.channel == "instagram"
    assert "refused_fields" not in event.attributes


def test_limits_from_settings_add_the_operators_channels() -> None:
    from cxpulse.settings import Settings

    settings = Settings(quality={"channels": ["sms", "GBM"]}, channels={"instagram": {"price_per_message": 0.01}})
    limits = InputLimits.from_settings(settings)
    assert {"gbm", "instagram", "whatsapp", "chat"} <= limits.channels
    assert limits.max_json_depth == settings.ingest.max_json_depth


@pytest.mark.parametrize(
    ("queue", "kept"),
    [
        ("billing", True),
        ("Support EMEA", True),
        ("tier-2", True),
        ("Kundendienst Süd", True),
        ("sales/emea 24/7", True),
        ("+14155550142", False),  # a phone number
        ("q 415 555 0142", False),  # too many digits to be a name: any numeric PII has more than 3
        ("ip 10.0.0.1", False),
        ("priya.raman@example.com", False),
        ("742 Evergreen Terrace", False),  # must start with a letter
        ("x" * 65, False),
    ],
)
def test_queue_must_be_a_bounded_queue_name(queue: str, kept: bool) -> None:
    _, form = webhook("onConversationUpdated")
    event = normalise_form({**form, "Attributes": json.dumps({"queue": queue})})
    assert event.queue == (queue if kept else None)
    assert event.attributes["queue"] == queue  # the value itself is kept (and scanned) in attributes
    assert ("refused_fields" in event.attributes) is not kept


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        ({"Reason": "+14155550142"}, {"reason": ["Reason"]}),
        ({"Reason": "Priya Raman"}, {"reason": ["Reason"]}),
        ({"StateTo": "kavya@example.com", "StateFrom": "active 1"},
         {"state_from": ["StateFrom"], "state_to": ["StateTo"]}),
    ],
)  # fmt: skip
def test_state_and_reason_hold_only_twilio_words(changes: Mapping[str, str], refused: dict[str, list[str]]) -> None:
    _, form = webhook("onConversationStateUpdated")
    event = normalise_form({**form, **changes})
    canonical = {"Reason": event.reason, "StateTo": event.state_to, "StateFrom": event.state_from}
    for name, value in changes.items():
        assert canonical[name] is None
        assert event.attributes["raw_extra"][name] == value  # moved, not lost
    assert event.attributes["refused_fields"] == refused


def test_twilio_state_words_pass() -> None:
    _, form = webhook("onConversationStateUpdated")
    event = normalise_form({**form, "StateTo": "closed", "Reason": "EVENT"})
    assert (event.state_to, event.reason) == ("closed", "EVENT")
    assert "refused_fields" not in event.attributes


def test_refused_fields_cannot_be_spoofed() -> None:
    _, form = webhook("onMessageAdded")
    event = normalise_form({**form, "Attributes": '{"refused_fields": "mine"}'})
    assert "refused_fields" not in event.attributes
    assert event.attributes["raw_extra"]["Attributes.refused_fields"] == "mine"


def nested(depth: int) -> str:
    """A JSON object nested ``depth`` levels deep: ``{"a":{"a":…{}…}}``."""
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def test_deep_form_attributes_are_rejected_before_parsing() -> None:
    _, form = webhook("onMessageAdded")
    with pytest.raises(InvalidEventError) as caught:
        normalise_form({**form, "Attributes": nested(5000)})
    assert (caught.value.reason, caught.value.field) == (InvalidReason.TOO_DEEP, "Attributes")
    assert "32 levels" in str(caught.value)
    assert normalise_form({**form, "Attributes": nested(32)}).attributes["a"]  # the limit itself passes


def test_deep_media_is_rejected() -> None:
    _, form = webhook("onMessageAdded")
    with pytest.raises(InvalidEventError) as caught:
        normalise_form({**form, "Media": "[" * 5000 + "]" * 5000})
    assert caught.value.reason is InvalidReason.TOO_DEEP


def test_deep_cloudevents_body_is_rejected_before_parsing() -> None:
    body = json.dumps([cloudevent("message.added")])[:-1] + ", " + "[" * 5000 + "]" * 5000 + "]"
    with pytest.raises(InvalidEventError) as caught:
        parse_cloudevents_body(body.encode())
    assert caught.value.reason is InvalidReason.TOO_DEEP
    # brackets inside strings are text, not nesting
    text_only = mutate(cloudevent("message.added"), {"data/Body": "[" * 5000 + '\\"{'})
    assert len(parse_cloudevents_body(json.dumps([text_only]).encode())) == 1


def test_deep_cloudevent_data_string_is_rejected() -> None:
    event = mutate(cloudevent("message.added"), {"data": '{"x":' + nested(5000) + "}"})
    with pytest.raises(InvalidEventError) as caught:
        normalise_ce(event)
    assert (caught.value.reason, caught.value.field) == (InvalidReason.TOO_DEEP, "data")


def test_deep_cloudevent_data_object_is_rejected_without_recursion() -> None:
    """A caller that parsed the body itself (backfill) hands over deep Python objects: still a 400-type error."""
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(5000):
        cursor["a"] = {}
        cursor = cursor["a"]
    event = mutate(cloudevent("message.added"), {})
    event["data"]["Extra"] = deep
    with pytest.raises(InvalidEventError) as caught:
        normalise_ce(event)
    assert caught.value.reason is InvalidReason.TOO_DEEP
    event["data"]["Attributes"] = deep
    del event["data"]["Extra"]
    with pytest.raises(InvalidEventError):
        normalise_ce(event)
