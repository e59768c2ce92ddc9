"""Twilio → canonical: pure converters from Conversations payloads to :class:`ConversationEvent`.

Two dialects arrive at the ingest edge and leave as one event:

* **post-event webhooks**, form-encoded (``EventType=onMessageAdded&Body=…``): :func:`from_webhook_form`;
* **Event Streams** CloudEvents 1.0 (``type=com.twilio.conversations.message.added``, PascalCase ``data``),
  POSTed by a webhook sink as a JSON array: :func:`parse_cloudevents_body` then :func:`from_cloudevent`.

Nothing here does I/O (no media fetch, no REST look-up, no clock unless ``received_at`` is omitted), so every
rule is tested from captured payloads in ``tests/data/twilio/``.

Strict where it matters, tolerant where it is harmless:

* **strict** — the event type (unknown → ``unknown_event_type``; pre-action → ``pre_action_webhook``); the
  SIDs that key and join everything (AccountSid ``AC``, ConversationSid ``CH``, MessageSid ``IM`` for message
  and delivery events, ParticipantSid ``MB`` for participant events, plus the prefix of any optional
  ChatServiceSid ``IS`` / ParticipantSid / MessageSid that is present): missing → ``missing_field``, wrong
  prefix → ``bad_sid``; a timestamp we use that is not ISO 8601 → ``bad_timestamp``; a non-integer or negative
  ``Index``, or a text field that is not text → ``bad_value``.
* **tolerant** — SID *length* (Twilio's own published examples use 28–33 characters; any 1–64 letters/digits
  after the prefix pass); ``Attributes`` that are not a JSON object (kept as ``raw_attributes`` with an
  ``attributes_error``, for the data-quality stage to flag); an unparsable ``Media`` list (count 0 plus
  ``media_error``); a timestamp in the CloudEvent ``datacontenttype`` (Twilio's examples put one there);
  a missing ``specversion``; ``data`` sent as a JSON string.

Nothing is dropped silently: every source field not mapped onto a canonical field is kept, under its Twilio
name, in ``attributes["raw_extra"]`` (CloudEvent envelope attributes as ``ce.<name>``).

Trust nothing the customer controls (docs/redaction.md "What is scanned"). Canonical string fields that the
redactor does not rewrite are only filled with values that cannot carry PII; anything else stays where it came
from (``attributes`` / ``raw_extra``, which the redactor scans) and ``attributes["refused_fields"]`` names the
source field, never its value:

* ``channel``: only a known channel slug (:data:`BUILTIN_CHANNELS` plus the configured ones); the next clue decides;
* ``state_from`` / ``state_to`` / ``reason``: Twilio's vocabulary (``active``, ``TIMER``): a short ASCII word;
* ``queue``: an application-defined name (from ``Attributes.queue``), so a bounded identifier with at most a few
  digits (no phone, card, SSN, IBAN, IP address, date or e-mail fits); the redactor also scans it for names;
* every JSON text (body, ``data``, ``Attributes``, ``Media``) and the kept attributes nest at most
  ``ingest.max_json_depth`` deep (``too_deep``), checked without recursion before anything is parsed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from pydantic import ValidationError

from cxpulse.settings import DEFAULT_MAX_JSON_DEPTH, RoleRules, Settings
from schemas.errors import InvalidEventError, InvalidReason
from schemas.events import MAX_INDEX, ConversationEvent, EventSource, EventType
from schemas.jsondepth import text_nests_deeper_than, value_nests_deeper_than
from schemas.roles import ADDRESS_CHANNEL_PREFIXES, AttributeWriter, address_channel, resolve_role

__all__ = [
    "ATTRIBUTES_ERROR_KEY",
    "BUILTIN_CHANNELS",
    "CLOUDEVENT_TYPES",
    "DEFAULT_CHANNEL",
    "DEFAULT_LIMITS",
    "DELIVERY_KEY",
    "IDEMPOTENCY_TOKEN_HEADER",
    "MEDIA_ERROR_KEY",
    "MESSAGING_BINDING_KEY",
    "OCCURRED_AT_SOURCE_KEY",
    "PRE_ACTION_WEBHOOK_EVENTS",
    "RAW_ATTRIBUTES_KEY",
    "RAW_EXTRA_KEY",
    "RECEIVED_AT_SOURCE",
    "REFUSED_FIELDS_KEY",
    "RESERVED_ATTRIBUTE_KEYS",
    "SUPPORTED_CLOUDEVENT_TYPES",
    "SUPPORTED_WEBHOOK_EVENTS",
    "WEBHOOK_EVENT_TYPES",
    "InputLimits",
    "from_cloudevent",
    "from_webhook_form",
    "parse_cloudevents_body",
    "webhook_event_id",
]

# --------------------------------------------------------------------------------------------------------
# Event type tables
# --------------------------------------------------------------------------------------------------------

#: Conversations post-event webhook ``EventType`` → canonical type (Twilio "Conversations Webhooks" docs).
WEBHOOK_EVENT_TYPES: Mapping[str, EventType] = MappingProxyType(
    {
        "onConversationAdded": EventType.CONVERSATION_ADDED,
        "onConversationUpdated": EventType.CONVERSATION_UPDATED,
        "onConversationStateUpdated": EventType.CONVERSATION_STATE_UPDATED,
        "onConversationRemoved": EventType.CONVERSATION_REMOVED,
        "onMessageAdded": EventType.MESSAGE_ADDED,
        "onMessageUpdated": EventType.MESSAGE_UPDATED,
        "onMessageRemoved": EventType.MESSAGE_REMOVED,
        "onParticipantAdded": EventType.PARTICIPANT_ADDED,
        "onParticipantUpdated": EventType.PARTICIPANT_UPDATED,
        "onParticipantRemoved": EventType.PARTICIPANT_REMOVED,
        "onDeliveryUpdated": EventType.DELIVERY_UPDATED,
    }
)

#: Event Streams CloudEvent ``type`` → canonical type, as listed at twilio.com/docs/events/event-types
#: (Conversations section). Note the hyphen in ``conversation-state``. ``delivery.updated`` is documented
#: but marked discontinued; it is still mapped so replays of old subscriptions normalise.
#: ``com.twilio.conversations.user.added|updated`` exist too but have no canonical type: they are rejected.
CLOUDEVENT_TYPES: Mapping[str, EventType] = MappingProxyType(
    {
        "com.twilio.conversations.conversation.added": EventType.CONVERSATION_ADDED,
        "com.twilio.conversations.conversation.updated": EventType.CONVERSATION_UPDATED,
        "com.twilio.conversations.conversation-state.updated": EventType.CONVERSATION_STATE_UPDATED,
        "com.twilio.conversations.conversation.removed": EventType.CONVERSATION_REMOVED,
        "com.twilio.conversations.message.added": EventType.MESSAGE_ADDED,
        "com.twilio.conversations.message.updated": EventType.MESSAGE_UPDATED,
        "com.twilio.conversations.message.removed": EventType.MESSAGE_REMOVED,
        "com.twilio.conversations.participant.added": EventType.PARTICIPANT_ADDED,
        "com.twilio.conversations.participant.updated": EventType.PARTICIPANT_UPDATED,
        "com.twilio.conversations.participant.removed": EventType.PARTICIPANT_REMOVED,
        "com.twilio.conversations.delivery.updated": EventType.DELIVERY_UPDATED,
    }
)

#: Pre-action webhook → its post-action counterpart. Twilio blocks on pre-action webhooks to let the app veto
#: or edit; an analytics sink must never be in that path, so these are refused with a pointer to the fix.
PRE_ACTION_WEBHOOK_EVENTS: Mapping[str, str] = MappingProxyType(
    {
        "onConversationAdd": "onConversationAdded",
        "onConversationUpdate": "onConversationUpdated",
        "onConversationRemove": "onConversationRemoved",
        "onMessageAdd": "onMessageAdded",
        "onMessageUpdate": "onMessageUpdated",
        "onMessageRemove": "onMessageRemoved",
        "onParticipantAdd": "onParticipantAdded",
        "onParticipantUpdate": "onParticipantUpdated",
        "onParticipantRemove": "onParticipantRemoved",
        "onUserUpdate": "onUserUpdated",
    }
)

#: What the ingest edge accepts, in a stable order (usable as Twilio webhook ``Filters``).
SUPPORTED_WEBHOOK_EVENTS: tuple[str, ...] = tuple(WEBHOOK_EVENT_TYPES)
SUPPORTED_CLOUDEVENT_TYPES: tuple[str, ...] = tuple(CLOUDEVENT_TYPES)

#: The header Twilio repeats on every retry of one webhook. It is NOT covered by the signature, so anyone holding
#: a captured post can replay it with a fresh token: never an event id (:func:`webhook_event_id` is).
IDEMPOTENCY_TOKEN_HEADER: Final = "I-Twilio-Idempotency-Token"

# --------------------------------------------------------------------------------------------------------
# Canonical attribute keys. Reserved: a Twilio ``Attributes`` key with one of these names goes to raw_extra.
# --------------------------------------------------------------------------------------------------------

RAW_EXTRA_KEY: Final = "raw_extra"
MESSAGING_BINDING_KEY: Final = "messaging_binding"
DELIVERY_KEY: Final = "delivery"
OCCURRED_AT_SOURCE_KEY: Final = "occurred_at_source"
RAW_ATTRIBUTES_KEY: Final = "raw_attributes"
ATTRIBUTES_ERROR_KEY: Final = "attributes_error"
MEDIA_ERROR_KEY: Final = "media_error"
#: Canonical field → the source fields whose values it refused (names only, never values; see module docstring).
REFUSED_FIELDS_KEY: Final = "refused_fields"
RESERVED_ATTRIBUTE_KEYS: frozenset[str] = frozenset(
    {
        RAW_EXTRA_KEY,
        MESSAGING_BINDING_KEY,
        DELIVERY_KEY,
        OCCURRED_AT_SOURCE_KEY,
        RAW_ATTRIBUTES_KEY,
        ATTRIBUTES_ERROR_KEY,
        MEDIA_ERROR_KEY,
        REFUSED_FIELDS_KEY,
    }
)
#: ``occurred_at_source`` when Twilio gave no usable time at all.
RECEIVED_AT_SOURCE: Final = "received_at"
#: Application attributes that feed canonical fields.
_QUEUE_ATTRIBUTE = "queue"
_CHANNEL_ATTRIBUTE = "channel"

DEFAULT_CHANNEL: Final = "chat"


class _F:
    """Twilio field names (webhook form keys and CloudEvent ``data`` keys share the PascalCase spelling)."""

    EVENT_TYPE = "EventType"
    ACCOUNT_SID = "AccountSid"
    CONVERSATION_SID = "ConversationSid"
    CHAT_SERVICE_SID = "ChatServiceSid"
    MESSAGE_SID = "MessageSid"
    PARTICIPANT_SID = "ParticipantSid"
    INDEX = "Index"
    AUTHOR = "Author"
    IDENTITY = "Identity"
    CLIENT_IDENTITY = "ClientIdentity"
    BODY = "Body"
    MESSAGE_BODY = "MessageBody"
    MEDIA = "Media"
    ATTRIBUTES = "Attributes"
    SOURCE = "Source"
    STATE_FROM = "StateFrom"
    STATE_TO = "StateTo"
    REASON = "Reason"
    DATE_CREATED = "DateCreated"
    DATE_UPDATED = "DateUpdated"
    DATE_REMOVED = "DateRemoved"
    STATE_UPDATED = "StateUpdated"
    MESSAGING_BINDING = "MessagingBinding"
    RETRY_COUNT = "RetryCount"


class _Binding:
    """Sub-fields of ``MessagingBinding`` (``MessagingBinding.Address`` in forms, nested in CloudEvents)."""

    ADDRESS = "Address"
    PROXY_ADDRESS = "ProxyAddress"
    AUTHOR_ADDRESS = "AuthorAddress"
    TYPE = "Type"


#: Binding addresses whose prefix can name the channel, most specific first.
_BINDING_ADDRESS_KEYS = (_Binding.ADDRESS, _Binding.AUTHOR_ADDRESS, _Binding.PROXY_ADDRESS)


class _CE:
    """CloudEvents 1.0 context attributes we read."""

    SPECVERSION = "specversion"
    TYPE = "type"
    ID = "id"
    TIME = "time"
    DATACONTENTTYPE = "datacontenttype"
    DATA = "data"
    SUPPORTED_SPECVERSION = "1.0"
    EXTRA_PREFIX = "ce."


class _Kind(StrEnum):
    """What an event is about; the first segment of the canonical type (``message.added`` → message)."""

    CONVERSATION = "conversation"
    MESSAGE = "message"
    PARTICIPANT = "participant"
    DELIVERY = "delivery"


#: Each SID field and the prefix Twilio gives that resource.
_SID_PREFIXES: Mapping[str, str] = {
    _F.ACCOUNT_SID: "AC",
    _F.CONVERSATION_SID: "CH",
    _F.CHAT_SERVICE_SID: "IS",
    _F.MESSAGE_SID: "IM",
    _F.PARTICIPANT_SID: "MB",
}
_ALWAYS_REQUIRED_SIDS = (_F.ACCOUNT_SID, _F.CONVERSATION_SID)
_REQUIRED_SIDS_BY_KIND: Mapping[_Kind, tuple[str, ...]] = {
    _Kind.CONVERSATION: (),
    _Kind.MESSAGE: (_F.MESSAGE_SID,),
    _Kind.PARTICIPANT: (_F.PARTICIPANT_SID,),
    _Kind.DELIVERY: (_F.MESSAGE_SID,),
}
#: Tolerant on length (see module docstring), strict on alphabet: no spaces, no punctuation.
_SID_TAIL = re.compile(r"^[0-9A-Za-z]{1,64}$")

#: Which Twilio timestamp says when the event happened, best first, by the verb of the canonical type.
#: Removed events carry ``DateRemoved`` and state events ``StateUpdated`` (Twilio's post-action tables),
#: more exact than ``DateUpdated``; ``DateCreated`` on an update is the resource's birth, never used there.
_OCCURRED_AT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "added": (_F.DATE_CREATED,),
    "updated": (_F.DATE_UPDATED,),
    "state_updated": (_F.STATE_UPDATED, _F.DATE_UPDATED),
    "removed": (_F.DATE_REMOVED, _F.DATE_UPDATED),
}

#: ``Source`` / ``MessagingBinding.Type`` values → channel. Unlisted values are used lower-cased.
_CHANNEL_NAMES: Mapping[str, str] = {
    "SMS": "sms",
    "WHATSAPP": "whatsapp",
    "MESSENGER": "messenger",
    "EMAIL": "email",
    "RCS": "rcs",
    "SDK": "chat",
    "CHAT": "chat",
}
#: ``Source`` values naming where an action came from rather than its channel: a REST call can post into an
#: SMS conversation, so ``API`` is no evidence and the next clue (binding, address, attributes) decides.
_ORIGIN_ONLY_SOURCES = frozenset({"API"})

#: Channel slugs cxpulse itself names; configuration adds more (``[quality] channels``, ``[channels.<name>]``).
BUILTIN_CHANNELS: frozenset[str] = frozenset(
    {*_CHANNEL_NAMES.values(), *ADDRESS_CHANNEL_PREFIXES.values(), DEFAULT_CHANNEL}
)

#: ``state_from``/``state_to``/``reason`` hold Twilio's own words ("active", "closed", "TIMER", "API"). A short
#: ASCII word with no digit, space, ``@`` or ``+`` cannot be a phone number, e-mail, card, address or full name.
_TWILIO_WORD = re.compile(r"^[A-Za-z][A-Za-z_-]{0,31}$")
#: ``queue`` is named by the application ("billing", "Support EMEA", "tier-2", "Kundendienst Süd"): a letter first,
#: then letters, digits, spaces, ``_ . / -``, at most 64 characters ...
_QUEUE_NAME = re.compile(r"^[^\W\d_][\w ./-]{0,63}$")
#: ... with at most this many digits: every numeric PII (phone 7+, IP address 4+, date of birth 4+, card, SSN,
#: IBAN) needs more. Names are not excluded by any shape; the redactor scans ``queue`` for them.
_QUEUE_MAX_DIGITS = 3


@dataclass(frozen=True)
class InputLimits:
    """What the normalisers accept beyond Twilio's own field rules (the ingest edge builds it from settings).

    :param max_json_depth: ``[ingest] max_json_depth``: deepest nesting of any JSON parsed and of the attributes kept.
    :param channels: channel slugs ``channel`` may hold; other clues are refused (see the module docstring).
    """

    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    channels: frozenset[str] = BUILTIN_CHANNELS

    @classmethod
    def from_settings(cls, settings: Settings) -> InputLimits:
        """The built-in channels plus every channel the operator configured (data quality or prices)."""
        configured = {name.strip().lower() for name in (*settings.quality.channels, *settings.channels)}
        return cls(max_json_depth=settings.ingest.max_json_depth, channels=BUILTIN_CHANNELS | configured)


#: For callers without settings (backfill, tests, benchmarks): the defaults of ``[ingest]``.
DEFAULT_LIMITS = InputLimits()

#: Delivery-receipt fields → keys of ``attributes["delivery"]``; a receipt means nothing without them.
_DELIVERY_FIELDS: Mapping[str, str] = {
    "DeliveryReceiptSid": "receipt_sid",
    "ChannelMessageSid": "channel_message_sid",
    "Status": "status",
    "ErrorCode": "error_code",
}
_ERROR_CODE_KEY = "error_code"

#: Protocol noise that differs between Twilio's retries of one webhook; left out of an update's content digest.
_RETRY_VARYING_FIELDS = frozenset({_F.RETRY_COUNT})
#: The SID naming the resource an event is about (a delivery receipt is about its message).
_RESOURCE_SIDS: Mapping[_Kind, str] = {
    _Kind.CONVERSATION: _F.CONVERSATION_SID,
    _Kind.MESSAGE: _F.MESSAGE_SID,
    _Kind.PARTICIPANT: _F.PARTICIPANT_SID,
    _Kind.DELIVERY: _F.MESSAGE_SID,
}
#: Verbs that happen once in a resource's life (Twilio never re-adds a SID): the SID alone names the event.
_ONCE_PER_RESOURCE = frozenset({"added", "removed"})
#: Hex digits of the content digest in an update's id: 128 bits, no accidental collision among one resource's
#: updates at one timestamp.
_CONTENT_DIGEST_HEX = 32
_ID_SEPARATOR = ":"

_JSON_TYPE_NAMES: Mapping[type, str] = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    dict: "object",
    type(None): "null",
}
_SHOW_MAX = 48
_NON_NEGATIVE_INTEGER = re.compile(r"^[0-9]+$")
#: A decimal string longer than this is refused before int() parses it (Python limits and slows huge ints).
_MAX_DIGITS = 20
_INTEGER = re.compile(r"^-?[0-9]+$")


# --------------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    """A value quoted for an error message, cut short: the edge must not reflect arbitrary input back."""
    text = repr(value)
    return text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 3] + "..."


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _is_blank(value: Any) -> bool:
    return value is None or value == ""


def _too_deep(what: str, limit: int, field: str | None = None) -> InvalidEventError:
    return InvalidEventError(
        InvalidReason.TOO_DEEP,
        f"{what} nests JSON deeper than {limit} levels (ingest.max_json_depth)",
        field=field,
    )


def _loads_bounded(text: str, limit: int, what: str, field: str | None = None) -> Any:
    """``json.loads`` after a non-recursive depth check: hostile nesting is a 400, never a RecursionError.

    :raises InvalidEventError: ``too_deep``; ``ValueError`` from the parser is left to the caller.
    """
    if text_nests_deeper_than(text, limit):
        raise _too_deep(what, limit, field)
    return json.loads(text)


class _Fields:
    """A payload read field by field. What is taken is mapped; what is left becomes ``raw_extra``.

    Reading through :meth:`take` is what guarantees "never dropped silently": a field can only disappear
    from ``raw_extra`` by being mapped somewhere. :meth:`peek` reads evidence without claiming the field.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)
        self._taken: set[str] = set()

    def peek(self, name: str) -> Any:
        value = self._data.get(name)
        return None if _is_blank(value) else value

    def take(self, name: str) -> Any:
        self._taken.add(name)
        return self.peek(name)

    def text(self, name: str) -> str | None:
        value = self.take(name)
        if value is None or isinstance(value, str):
            return value
        raise InvalidEventError(
            InvalidReason.BAD_VALUE, f"{name} must be a string, got a {_json_type(value)}", field=name
        )

    def leftovers(self) -> dict[str, Any]:
        return {key: value for key, value in self._data.items() if key not in self._taken}


def _gather_binding(data: Mapping[str, Any]) -> dict[str, Any]:
    """Fold ``MessagingBinding.X`` form keys (or a nested CloudEvent object) into one dict."""
    gathered: dict[str, Any] = {}
    binding: dict[str, Any] = {}
    for key, value in data.items():
        head, dot, sub = str(key).partition(".")
        if head == _F.MESSAGING_BINDING and dot and sub:
            binding[sub] = value
        elif key == _F.MESSAGING_BINDING and isinstance(value, Mapping):
            binding.update(value)
        else:
            gathered[key] = value
    if binding:
        gathered[_F.MESSAGING_BINDING] = binding
    return gathered


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _parse_timestamp(field: str, raw: Any) -> datetime:
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise InvalidEventError(
        InvalidReason.BAD_TIMESTAMP, f"{field} must be an ISO 8601 timestamp, got {_show(raw)}", field=field
    )


# --------------------------------------------------------------------------------------------------------
# Field rules
# --------------------------------------------------------------------------------------------------------


def _sids(fields: _Fields, kind: _Kind, label: str) -> dict[str, str | None]:
    required = {*_ALWAYS_REQUIRED_SIDS, *_REQUIRED_SIDS_BY_KIND[kind]}
    sids: dict[str, str | None] = {}
    for name, prefix in _SID_PREFIXES.items():
        value = fields.take(name)
        if value is None:
            if name in required:
                raise InvalidEventError(
                    InvalidReason.MISSING_FIELD, f"{name} is required for {label} but is missing", field=name
                )
            sids[name] = None
            continue
        if not (isinstance(value, str) and value.startswith(prefix) and _SID_TAIL.match(value[len(prefix) :])):
            raise InvalidEventError(
                InvalidReason.BAD_SID,
                f"{name} must be a Twilio SID starting with '{prefix}', got {_show(value)}",
                field=name,
            )
        sids[name] = value
    return sids


def _index(fields: _Fields) -> int | None:
    value = fields.take(_F.INDEX)
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _NON_NEGATIVE_INTEGER.match(value.strip()) and len(value.strip()) <= _MAX_DIGITS:
        number = int(value.strip())
    if number is None or not 0 <= number <= MAX_INDEX:
        raise InvalidEventError(
            InvalidReason.BAD_VALUE,
            f"Index must be an integer from 0 to {MAX_INDEX}, got {_show(value)}",
            field=_F.INDEX,
        )
    return number


def _attributes(raw: Any, max_depth: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Twilio ``Attributes`` → (parsed dict, notes). Bad JSON is kept, not fatal: the DQ stage flags it.

    :raises InvalidEventError: ``too_deep`` when a JSON string nests deeper than ``max_depth`` (any client can
        write attributes; parsing thousands of levels would raise ``RecursionError``).
    """
    if raw is None:
        return {}, {}
    if isinstance(raw, Mapping):
        return dict(raw), {}
    if isinstance(raw, str):
        try:
            parsed = _loads_bounded(raw, max_depth, _F.ATTRIBUTES, _F.ATTRIBUTES)
        except ValueError as exc:
            error = f"Attributes is not valid JSON: {exc}"
        else:
            if parsed is None:  # "null": Twilio's "unset", same as "{}"
                return {}, {}
            if isinstance(parsed, dict):
                return parsed, {}
            error = f"Attributes must be a JSON object, got a JSON {_json_type(parsed)}"
    else:
        error = f"Attributes must be a JSON object, got a {_json_type(raw)}"
    return {}, {RAW_ATTRIBUTES_KEY: raw, ATTRIBUTES_ERROR_KEY: error}


def _media(raw: Any, max_depth: int) -> tuple[int, Any, str | None]:
    """``Media`` → (count, details to keep, error). Counted only: media is never fetched here.

    :raises InvalidEventError: ``too_deep`` for a JSON string nested deeper than ``max_depth``.
    """
    if raw is None:
        return 0, None, None
    items = raw
    if isinstance(raw, str):
        try:
            items = _loads_bounded(raw, max_depth, _F.MEDIA, _F.MEDIA)
        except ValueError as exc:
            return 0, raw, f"Media is not valid JSON: {exc}"
    if isinstance(items, list):
        return len(items), items, None
    return 0, raw, f"Media must be a JSON array, got a {_json_type(items)}"


def _binding(fields: _Fields) -> dict[str, Any]:
    value = fields.peek(_F.MESSAGING_BINDING)
    if not isinstance(value, Mapping):
        return {}
    fields.take(_F.MESSAGING_BINDING)
    return {key: item for key, item in value.items() if not _is_blank(item)}


def _author(fields: _Fields, kind: _Kind, binding: Mapping[str, Any]) -> str | None:
    """Who did it: the message author, the participant, or (for conversations) the actor or creator."""
    if kind is _Kind.MESSAGE:
        return fields.text(_F.AUTHOR)
    if kind is _Kind.PARTICIPANT:
        return fields.text(_F.IDENTITY) or _str_or_none(binding.get(_Binding.ADDRESS))
    if kind is _Kind.CONVERSATION:
        return (
            fields.text(_F.CLIENT_IDENTITY)
            or _str_or_none(binding.get(_Binding.AUTHOR_ADDRESS))
            or _str_or_none(binding.get(_Binding.ADDRESS))
        )
    return None


def _named_channel(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    name = value.strip()
    if name.upper() in _ORIGIN_ONLY_SOURCES:
        return None
    return _CHANNEL_NAMES.get(name.upper(), name.lower())


def _attribute_text(attributes: Mapping[str, Any], key: str) -> str | None:
    value = attributes.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _channel(clues: Iterable[tuple[str, str | None]], known: frozenset[str], refused: dict[str, list[str]]) -> str:
    """The first clue that names a known channel, else ``chat``.

    :param clues: ``(source field, channel it names)`` best first: ``Source``, ``MessagingBinding.Type``, address
        prefixes (``whatsapp:`` …; a bare E.164 number is SMS), ``Attributes.channel``.
    :param refused: collects every source field whose channel is not a known slug (whether or not a better clue
        won): an unknown Twilio ``Source`` or an application's ``Attributes.channel`` may hold anything, so it
        stays where it came from (scanned) instead of reaching the unredacted ``channel`` column.
    """
    named = [(field, clue) for field, clue in clues if clue]
    unknown = [field for field, clue in named if clue not in known]
    if unknown:
        refused["channel"] = unknown
    return next((clue for _, clue in named if clue in known), DEFAULT_CHANNEL)


def _channel_clues(
    source: Any, binding: Mapping[str, Any], addresses: Iterable[tuple[str, str | None]], attributes: Mapping[str, Any]
) -> list[tuple[str, str | None]]:
    declared = _attribute_text(attributes, _CHANNEL_ATTRIBUTE)
    return [
        (_F.SOURCE, _named_channel(source)),
        (f"{_F.MESSAGING_BINDING}.{_Binding.TYPE}", _named_channel(binding.get(_Binding.TYPE))),
        *((field, address_channel(address)) for field, address in addresses),
        (f"{_F.ATTRIBUTES}.{_CHANNEL_ATTRIBUTE}", declared.lower() if declared else None),
    ]


def _queue(attributes: Mapping[str, Any], refused: dict[str, list[str]]) -> str | None:
    """``Attributes.queue`` when it is a bounded queue name (see :data:`_QUEUE_NAME`), else None (refused)."""
    name = _attribute_text(attributes, _QUEUE_ATTRIBUTE)
    if name is None:
        return None
    if _QUEUE_NAME.match(name) and sum(char.isdigit() for char in name) <= _QUEUE_MAX_DIGITS:
        return name
    refused.setdefault("queue", []).append(f"{_F.ATTRIBUTES}.{_QUEUE_ATTRIBUTE}")
    return None


def _twilio_word(fields: _Fields, name: str, canonical: str, refused: dict[str, list[str]]) -> str | None:
    """A state or reason field: taken when it is one of Twilio's words, else left in ``raw_extra`` (scanned)."""
    value = fields.peek(name)
    if value is None or not isinstance(value, str):
        return fields.text(name)  # None, or bad_value for a non-string
    if _TWILIO_WORD.match(value.strip()):
        fields.take(name)
        return value.strip()
    refused.setdefault(canonical, []).append(name)
    return None


def _role_writer(kind: _Kind, has_identity: bool) -> AttributeWriter:
    """Who can have written the attributes a role may be declared in (``schemas/roles.py`` says why)."""
    if kind is _Kind.PARTICIPANT and not has_identity:
        return AttributeWriter.INTEGRATOR  # an SMS/WhatsApp/e-mail participant has no SDK session
    return AttributeWriter.AUTHOR


def _delivery(fields: _Fields) -> dict[str, Any]:
    receipt: dict[str, Any] = {}
    for field, key in _DELIVERY_FIELDS.items():
        value = fields.take(field)
        if value is None:
            continue
        if key == _ERROR_CODE_KEY and isinstance(value, str) and _INTEGER.match(value.strip()):
            value = int(value)
        receipt[key] = value
    return receipt


def _occurred_at(
    fields: _Fields,
    event_type: EventType,
    envelope: Iterable[tuple[str, Any, bool]],
    received_at: datetime,
) -> tuple[datetime, str | None]:
    """When it happened, and where that came from when it was not the preferred Twilio field.

    :param envelope: fallback ``(name, value, strict)`` clues after the data fields (CloudEvent ``time``,
        ``datacontenttype``); a non-strict clue that does not parse is skipped rather than fatal.
    :returns: ``(occurred_at, source)``; ``source`` is None when the first-choice field was used.
    """
    preferred = _OCCURRED_AT_FIELDS[event_type.value.partition(".")[2]]
    for position, name in enumerate(preferred):
        raw = fields.peek(name)
        if raw is not None:
            fields.take(name)
            return _parse_timestamp(name, raw), None if position == 0 else name
    for name, raw, strict in envelope:
        if _is_blank(raw):
            continue
        try:
            return _parse_timestamp(name, raw), name
        except InvalidEventError:
            if strict:
                raise
    return received_at, RECEIVED_AT_SOURCE


def _canonical_attributes(
    twilio_attributes: Mapping[str, Any],
    raw_extra: dict[str, Any],
    named: Mapping[str, Any],
) -> dict[str, Any]:
    """Twilio's own attributes, then cxpulse's named entries (non-empty only), then ``raw_extra`` last.

    A Twilio attribute spelled like one of our reserved keys is moved to ``raw_extra["Attributes.<key>"]``:
    an application must not be able to forge ``occurred_at_source`` or hide fields in ``raw_extra``.
    """
    attributes: dict[str, Any] = {}
    for key, value in twilio_attributes.items():
        if key in RESERVED_ATTRIBUTE_KEYS:
            raw_extra[f"{_F.ATTRIBUTES}.{key}"] = value
        else:
            attributes[key] = value
    attributes.update((key, value) for key, value in named.items() if value is not None and value != {})
    if raw_extra:
        attributes[RAW_EXTRA_KEY] = raw_extra
    return attributes


def _build(
    fields: _Fields,
    event_type: EventType,
    *,
    label: str,
    event_id: str,
    occurred_at: datetime,
    occurred_at_source: str | None,
    received_at: datetime,
    source: EventSource,
    rules: RoleRules,
    extra: Mapping[str, Any],
    limits: InputLimits,
) -> ConversationEvent:
    """The shared core of both dialects, once the event type, id and time are known."""
    kind = _Kind(event_type.value.partition(".")[0])
    sids = _sids(fields, kind, label)
    twilio_attributes, attribute_notes = _attributes(fields.take(_F.ATTRIBUTES), limits.max_json_depth)
    binding = _binding(fields)
    has_identity = fields.peek(_F.IDENTITY) is not None
    author = _author(fields, kind, binding)
    # Only a message's or a participant's own attributes say who its author is.
    role_attributes = twilio_attributes if kind in (_Kind.MESSAGE, _Kind.PARTICIPANT) else {}
    refused: dict[str, list[str]] = {}
    addresses = [("author", author)]
    addresses += [(f"{_F.MESSAGING_BINDING}.{key}", _str_or_none(binding.get(key))) for key in _BINDING_ADDRESS_KEYS]
    clues = _channel_clues(fields.peek(_F.SOURCE), binding, addresses, twilio_attributes)
    channel = _channel(clues, limits.channels, refused)
    body = fields.text(_F.BODY)
    if body is None:
        body = fields.text(_F.MESSAGE_BODY)
    media_count, media_details, media_error = _media(fields.take(_F.MEDIA), limits.max_json_depth)
    state_from = _twilio_word(fields, _F.STATE_FROM, "state_from", refused)
    state_to = _twilio_word(fields, _F.STATE_TO, "state_to", refused)
    reason = _twilio_word(fields, _F.REASON, "reason", refused)
    queue = _queue(twilio_attributes, refused)
    index = _index(fields)
    delivery = _delivery(fields) if kind is _Kind.DELIVERY else {}

    raw_extra: dict[str, Any] = {**fields.leftovers(), **extra}
    if media_details is not None:
        raw_extra[_F.MEDIA] = media_details
    attributes = _canonical_attributes(
        twilio_attributes,
        raw_extra,
        {
            **attribute_notes,
            MESSAGING_BINDING_KEY: {_snake(key): value for key, value in binding.items()},
            DELIVERY_KEY: delivery,
            MEDIA_ERROR_KEY: media_error,
            OCCURRED_AT_SOURCE_KEY: occurred_at_source,
            REFUSED_FIELDS_KEY: refused,
        },
    )
    if value_nests_deeper_than(attributes, limits.max_json_depth):
        raise _too_deep("the event's attributes (Attributes, data fields and envelope kept)", limits.max_json_depth)
    try:
        return ConversationEvent(
            event_id=event_id,
            event_type=event_type,
            account_sid=sids[_F.ACCOUNT_SID],
            conversation_sid=sids[_F.CONVERSATION_SID],
            chat_service_sid=sids[_F.CHAT_SERVICE_SID],
            message_sid=sids[_F.MESSAGE_SID],
            participant_sid=sids[_F.PARTICIPANT_SID],
            index=index,
            author=author,
            author_role=resolve_role(author, role_attributes, rules, writer=_role_writer(kind, has_identity)),
            body=body,
            media_count=media_count,
            channel=channel,
            queue=queue,
            state_from=state_from,
            state_to=state_to,
            reason=reason,
            attributes=attributes,
            occurred_at=occurred_at,
            received_at=received_at,
            source=source,
        )
    except ValidationError as exc:  # e.g. an idempotency token longer than event_id allows
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "event"
        raise InvalidEventError(InvalidReason.BAD_VALUE, f"{where}: {first['msg']}", field=where) from exc


# --------------------------------------------------------------------------------------------------------
# Webhooks
# --------------------------------------------------------------------------------------------------------


def _webhook_event_type(form: Mapping[str, str]) -> tuple[str, EventType]:
    name = form.get(_F.EVENT_TYPE)
    if _is_blank(name):
        raise InvalidEventError(InvalidReason.MISSING_FIELD, "EventType is missing", field=_F.EVENT_TYPE)
    name = str(name)
    if name in PRE_ACTION_WEBHOOK_EVENTS:
        counterpart = PRE_ACTION_WEBHOOK_EVENTS[name]
        hint = f" (subscribe to {counterpart} instead)" if counterpart in WEBHOOK_EVENT_TYPES else ""
        raise InvalidEventError(
            InvalidReason.PRE_ACTION_WEBHOOK,
            f"EventType {name} is a pre-action webhook; cxpulse only accepts post-action webhooks{hint}",
            field=_F.EVENT_TYPE,
        )
    event_type = WEBHOOK_EVENT_TYPES.get(name)
    if event_type is None:
        raise InvalidEventError(
            InvalidReason.UNKNOWN_EVENT_TYPE,
            f"EventType {_show(name)} is not supported; supported: {', '.join(SUPPORTED_WEBHOOK_EVENTS)}",
            field=_F.EVENT_TYPE,
        )
    return name, event_type


def _content_digest(form: Mapping[str, str]) -> str:
    """What an update says: identical forms (and Twilio's retries of one, which differ only in ``RetryCount``)
    hash alike, any other difference hashes apart."""
    items = sorted((str(key), str(value)) for key, value in form.items() if key not in _RETRY_VARYING_FIELDS)
    canonical = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:_CONTENT_DIGEST_HEX]


def webhook_event_id(form: Mapping[str, str]) -> str:
    """The event's natural key: what happened to which resource, and when. Never the idempotency token.

    Twilio's ``I-Twilio-Idempotency-Token`` header is not signed: a captured post replayed with a fresh token would
    count twice if it were the id. Everything here comes from the signed form, so a replay (any token, any
    ``RetryCount``) gets the same id and is stored once, while distinct events stay apart:

    * ``added`` / ``removed`` (conversation, message, participant): ``<type>:<resource SID>``. A SID is added and
      removed once in its life, so Twilio's retries, a replay, a backfill or a second webhook of the same change
      all collapse onto one event.
    * every update (``conversation.updated``, ``conversation.state_updated``, ``message.updated``,
      ``participant.updated``, ``delivery.updated``): ``<type>:<resource SID>:<its timestamp>:<content digest>``.
      A resource is updated many times; the timestamp (``DateUpdated``, ``StateUpdated``) is Twilio's, in whole
      seconds, so two updates within one second are told apart by a digest of the signed form (without
      ``RetryCount``): a body edit, new attributes, another receipt status. The timestamp part is left out when
      the form has none.

    The resource is the ConversationSid, MessageSid or ParticipantSid; a delivery receipt's is its MessageSid.

    :raises InvalidEventError: the rules of :func:`from_webhook_form` for the event type, the SIDs and the timestamp.
    """
    label, event_type = _webhook_event_type(form)
    kind_name, _, verb = event_type.value.partition(".")
    kind = _Kind(kind_name)
    resource = _sids(_Fields(form), kind, label)[_RESOURCE_SIDS[kind]]
    parts = [event_type.value, str(resource)]
    if verb not in _ONCE_PER_RESOURCE:
        stamp_field = next((name for name in _OCCURRED_AT_FIELDS[verb] if not _is_blank(form.get(name))), None)
        if stamp_field is not None:
            stamp = _parse_timestamp(stamp_field, form[stamp_field])
            stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)  # Twilio sends UTC
            parts.append(stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        parts.append(_content_digest(form))
    return _ID_SEPARATOR.join(parts)


def from_webhook_form(
    form: Mapping[str, str],
    *,
    rules: RoleRules,
    received_at: datetime | None = None,
    source: EventSource = EventSource.WEBHOOK,
    limits: InputLimits = DEFAULT_LIMITS,
) -> ConversationEvent:
    """Normalise one Conversations post-event webhook (``application/x-www-form-urlencoded`` fields).

    ``event_id`` is the natural key of :func:`webhook_event_id` (the unsigned idempotency token is not used).

    :param form: the decoded form fields, exactly as Twilio sent them (the signature is checked before this).
    :param rules: how identities map to roles.
    :param received_at: when the edge received the request (defaults to now); also the fallback occurred_at.
    :param source: ``webhook`` from the edge; backfill and the simulator reuse this converter with their own.
    :param limits: nesting and channel limits (:meth:`InputLimits.from_settings` at the edge).
    :raises InvalidEventError: see the module docstring for what is strict.
    """
    label, event_type = _webhook_event_type(form)
    received = received_at or datetime.now(UTC)
    fields = _Fields(_gather_binding(form))
    fields.take(_F.EVENT_TYPE)
    occurred_at, occurred_at_source = _occurred_at(fields, event_type, (), received)
    return _build(
        fields,
        event_type,
        label=label,
        event_id=webhook_event_id(form),
        occurred_at=occurred_at,
        occurred_at_source=occurred_at_source,
        received_at=received,
        source=source,
        rules=rules,
        extra={},
        limits=limits,
    )


# --------------------------------------------------------------------------------------------------------
# Event Streams (CloudEvents)
# --------------------------------------------------------------------------------------------------------


def parse_cloudevents_body(body: bytes, *, max_json_depth: int = DEFAULT_MAX_JSON_DEPTH) -> list[Mapping[str, Any]]:
    """Split an Event Streams webhook-sink POST into CloudEvents.

    Twilio posts a JSON array of events; a single JSON object is accepted as a batch of one. An empty array
    yields ``[]`` (the caller decides whether that is worth a 400).

    :param max_json_depth: the whole body (array → event → ``data`` → …) may nest at most this deep; it is
        checked before parsing, so a hostile body is refused as a whole (its events cannot be told apart safely).
    :raises InvalidEventError: ``too_deep``; ``malformed_body`` when the bytes are not UTF-8 JSON, or not an
        object or an array of objects (the message names the first offending array position).
    """
    try:
        parsed = _loads_bounded(body.decode("utf-8"), max_json_depth, "the body")
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidEventError(InvalidReason.MALFORMED_BODY, f"body is not valid JSON: {exc}") from exc
    if isinstance(parsed, dict):
        return [parsed]
    if not isinstance(parsed, list):
        raise InvalidEventError(
            InvalidReason.MALFORMED_BODY,
            f"body must be a JSON array of CloudEvents (or one CloudEvent object), got a JSON {_json_type(parsed)}",
        )
    for position, item in enumerate(parsed):
        if not isinstance(item, dict):
            raise InvalidEventError(
                InvalidReason.MALFORMED_BODY,
                f"body[{position}] must be a CloudEvent object, got a JSON {_json_type(item)}",
            )
    return parsed


def _cloudevent_data(event: Mapping[str, Any], max_depth: int) -> Mapping[str, Any]:
    data = event.get(_CE.DATA)
    if _is_blank(data):
        raise InvalidEventError(InvalidReason.MISSING_FIELD, "CloudEvent data is missing", field=_CE.DATA)
    if isinstance(data, str):  # structured mode allows data as a JSON string; harmless to accept
        try:
            data = _loads_bounded(data, max_depth, "CloudEvent data", _CE.DATA)
        except ValueError as exc:
            raise InvalidEventError(
                InvalidReason.BAD_VALUE,
                f"CloudEvent data is a string that is not JSON: {exc}",
                field=_CE.DATA,
            ) from exc
    if not isinstance(data, Mapping):
        raise InvalidEventError(
            InvalidReason.BAD_VALUE,
            f"CloudEvent data must be a JSON object, got a {_json_type(data)}",
            field=_CE.DATA,
        )
    return data


def _is_json_media_type(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    media_type = value.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def from_cloudevent(
    event: Mapping[str, Any],
    *,
    rules: RoleRules,
    received_at: datetime | None = None,
    limits: InputLimits = DEFAULT_LIMITS,
) -> ConversationEvent:
    """Normalise one Event Streams CloudEvent (``com.twilio.conversations.*``).

    ``id`` becomes ``event_id`` (Event Streams is at-least-once: dedupe on it; the signature covers the body, so a
    replay cannot change it). ``data`` is read with the webhook rules; ``MessageBody`` and ``Body`` both map to
    ``body``. ``occurred_at`` prefers the data's
    ``DateCreated``/``DateUpdated``/``DateRemoved``/``StateUpdated``, then ``time``, then a timestamp found in
    ``datacontenttype`` (a quirk of Twilio's published examples), then ``received_at``. Envelope attributes
    other than those consumed are kept in ``raw_extra`` as ``ce.<name>``.

    :raises InvalidEventError: unknown/missing ``type`` or ``id``, missing or non-object ``data``, ``data`` as
        a JSON string nested deeper than ``limits.max_json_depth``, and the data-field rules of
        :func:`from_webhook_form`.
    """
    if not isinstance(event, Mapping):
        raise InvalidEventError(
            InvalidReason.BAD_VALUE, f"a CloudEvent must be a JSON object, got a {_json_type(event)}"
        )
    ce_type = event.get(_CE.TYPE)
    if _is_blank(ce_type):
        raise InvalidEventError(InvalidReason.MISSING_FIELD, "CloudEvent type is missing", field=_CE.TYPE)
    event_type = CLOUDEVENT_TYPES.get(ce_type) if isinstance(ce_type, str) else None
    if event_type is None:
        raise InvalidEventError(
            InvalidReason.UNKNOWN_EVENT_TYPE,
            f"CloudEvent type {_show(ce_type)} is not supported; supported: {', '.join(SUPPORTED_CLOUDEVENT_TYPES)}",
            field=_CE.TYPE,
        )
    event_id = event.get(_CE.ID)
    if _is_blank(event_id):
        raise InvalidEventError(InvalidReason.MISSING_FIELD, "CloudEvent id is missing", field=_CE.ID)
    if not isinstance(event_id, str):
        raise InvalidEventError(
            InvalidReason.BAD_VALUE,
            f"CloudEvent id must be a string, got a {_json_type(event_id)}",
            field=_CE.ID,
        )
    received = received_at or datetime.now(UTC)
    fields = _Fields(_gather_binding(_cloudevent_data(event, limits.max_json_depth)))
    content_type = event.get(_CE.DATACONTENTTYPE)
    occurred_at, occurred_at_source = _occurred_at(
        fields,
        event_type,
        ((_CE.TIME, event.get(_CE.TIME), True), (_CE.DATACONTENTTYPE, content_type, False)),
        received,
    )

    consumed = {_CE.TYPE, _CE.ID, _CE.DATA}
    if event.get(_CE.SPECVERSION) == _CE.SUPPORTED_SPECVERSION:
        consumed.add(_CE.SPECVERSION)
    if _is_json_media_type(content_type):
        consumed.add(_CE.DATACONTENTTYPE)
    if occurred_at_source in (_CE.TIME, _CE.DATACONTENTTYPE):
        consumed.add(occurred_at_source)
    envelope_extra = {f"{_CE.EXTRA_PREFIX}{key}": value for key, value in event.items() if key not in consumed}

    return _build(
        fields,
        event_type,
        label=ce_type,
        event_id=event_id,
        occurred_at=occurred_at,
        occurred_at_source=occurred_at_source,
        received_at=received,
        source=EventSource.EVENT_STREAMS,
        rules=rules,
        extra=envelope_extra,
        limits=limits,
    )
